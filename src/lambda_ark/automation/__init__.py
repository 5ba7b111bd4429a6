"""Backup automation: a policy's jobs run unattended, across accounts, with metrics and alerts.

    Context(loaded_policy, aws, open_repository, clock=…)   what a run needs from its caller
    run_due(ctx, job=None) -> RunReport                       every due job (or one, now) once
    Daemon(ctx, …).run()                                      the same on its own clock until stopped
    retry_from_queue(ctx, queue_url) -> RetryReport          the failed items a queue holds, again
    apply_alarms(aws, policy, dry_run) -> AlarmsResult       CloudWatch alarms per job and account
    resolve_accounts(aws, sources) -> Accounts                which accounts, reached how

Per-job state and run locks live in the repository (`state`); docs/policy.md describes it all.
"""

from __future__ import annotations

from .accounts import Accounts, Target, resolve_accounts
from .alarms import AlarmsResult, apply_alarms
from .context import Context
from .daemon import Daemon
from .job import AccountRun, JobRun
from .retry import RetryReport, retry_from_queue
from .run import JobOutcome, RunReport, run_due
from .state import JobRunning, JobState, due_slot, load_state

__all__ = [
    "AccountRun",
    "Accounts",
    "AlarmsResult",
    "Context",
    "Daemon",
    "JobOutcome",
    "JobRun",
    "JobRunning",
    "JobState",
    "RetryReport",
    "RunReport",
    "Target",
    "apply_alarms",
    "due_slot",
    "load_state",
    "resolve_accounts",
    "retry_from_queue",
    "run_due",
]
