"""A job's scheduled drill: prove the job's newest good snapshot of each account restores and runs.

A drill has its own schedule, state and lock (`jobs/<job>/drill/…`, the same rules as the job's:
one run per slot, one catch-up, never overlapping itself), so a long drill never delays a backup
and a backup never claims a drill's slot. In one `run` round the backup comes first, so a drill due
at the same time proves the snapshot just written.

Each account the job backed up successfully is drilled from the snapshot its state names
(`AccountState.snapshot`): into the same account (renamed, or in `to_region`), or into a scratch
account through `role_arn`, assumed from that account. After the drill: `DrillRTOSeconds` and
`DrillFailures` metrics, and a notification (on failure, or always with `notify_on: always`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from ..drill import DrillOptions, DrillRecord, rules_from_mapping, run_drill
from ..drill.events import EventRule
from ..errors import describe
from ..policy.models import Job, JobDrill
from ..policy.schedule import parse_schedule
from . import metrics, notify
from .accounts import Target, resolve_accounts
from .audit_hook import audit_drill
from .context import Context
from .job import FAILED, OK
from .state import Claim, JobRunning, LastRun, due_slot, job_lock, load_state, save_state


def drill_key(job: str) -> str:
    """The drill's name among the job states and locks (`jobs/<job>/drill/state`)."""
    return f"{job}/drill"


@dataclass
class AccountDrill:
    account: str
    snapshot: str
    status: str  # passed | failed | interrupted | error (the drill record's), or "error" before it ran
    record_id: str | None = None
    rto_seconds: float | None = None
    detail: str = ""  # why it failed, in one line

    def as_dict(self) -> dict[str, Any]:
        return {"account": self.account, "snapshot": self.snapshot, "status": self.status,
                "record_id": self.record_id, "rto_seconds": self.rto_seconds, "detail": self.detail}


@dataclass
class DrillRun:
    job: str
    trigger: str  # schedule | manual
    slot: datetime | None
    started: datetime
    finished: datetime | None = None
    accounts: list[AccountDrill] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # the drill's own: no snapshot to drill, accounts
    warnings: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        if not self.errors and self.accounts and all(a.status == "passed" for a in self.accounts):
            return OK
        return FAILED

    @property
    def rto_seconds(self) -> float | None:
        """The slowest account's RTO, when every account passed."""
        rtos = [a.rto_seconds for a in self.accounts]
        return max(r for r in rtos if r is not None) if self.status == OK and all(r is not None for r in rtos) \
            else None

    def as_dict(self) -> dict[str, Any]:
        return {"job": self.job, "kind": "drill", "trigger": self.trigger, "status": self.status,
                "slot": self.slot.isoformat() if self.slot else None, "started": self.started.isoformat(),
                "finished": self.finished.isoformat() if self.finished else None, "rto_seconds": self.rto_seconds,
                "accounts": [a.as_dict() for a in self.accounts], "errors": self.errors, "warnings": self.warnings}


def due_drill(ctx: Context, name: str, forced: bool) -> tuple[DrillRun | None, datetime | None]:
    """Run the job's drill if its slot is due (or now, when forced). Returns (the run or None when not
    due, the drill's next slot). JobRunning when the drill is running elsewhere."""
    spec = ctx.policy.jobs[name].drill
    assert spec is not None
    schedule, repo, key = parse_schedule(spec.schedule), ctx.primary(), drill_key(name)
    now = ctx.clock()
    nxt = schedule.following(now)
    state, _ = load_state(repo, key)
    if not forced and due_slot(spec.schedule, now, state.last_slot) is None:
        return None, nxt
    with job_lock(repo, key):
        state, problem = load_state(repo, key)  # again, under the lock: another runner may have taken it
        slot = due_slot(spec.schedule, now, state.last_slot)
        if slot is None and not forced:
            return None, nxt
        trigger = "manual" if forced else "schedule"
        if slot is not None:
            state.last_slot = slot
        state.running = Claim(slot=slot, started=now, trigger=trigger)
        save_state(repo, state)
        run = DrillRun(job=name, trigger=trigger, slot=slot, started=now, warnings=[problem] if problem else [])
        try:
            drill_job(ctx, name, run)
        finally:
            run.finished = ctx.clock()
            state.running = None
            state.last_run = LastRun(slot=slot, started=now, finished=run.finished, status=run.status,
                                     trigger=trigger, policy=ctx.loaded.digest)
            save_state(repo, state)
            if (unaudited := audit_drill(repo, run, ctx)) is not None:
                run.warnings.append(unaudited)
    return run, nxt


def drill_job(ctx: Context, name: str, run: DrillRun) -> None:
    """Drill each account the job has a good snapshot of; failures are the run's data."""
    job = ctx.policy.jobs[name]
    spec = job.drill
    assert spec is not None
    try:
        rules = events_of(spec, Path(ctx.loaded.file).parent)
    except Exception as exc:  # noqa: BLE001 - a missing event file is this drill's failure, told like any
        run.errors.append(f"test events: {describe(exc)}")
        return
    state, _ = load_state(ctx.primary(), name)
    good = {acct: s.snapshot for acct, s in state.accounts.items() if s.snapshot}
    if not good:
        run.errors.append(f"job {name} has no good snapshot to drill yet (run the job first)")
        return
    try:
        accounts = resolve_accounts(ctx.aws, ctx.policy.accounts)
    except Exception as exc:  # noqa: BLE001
        run.errors.append(f"accounts: {describe(exc)}")
        return
    run.errors += accounts.errors
    by_account = {t.account: t for t in accounts.targets}
    for account, snapshot in sorted(good.items()):
        target = by_account.get(account)
        if target is None:
            run.warnings.append(f"account {account}: no longer covered by the policy; not drilled")
            continue
        run.accounts.append(_one(ctx, job, spec, rules, target, snapshot))


def events_of(spec: JobDrill, base: Path) -> list[EventRule]:
    return rules_from_mapping(dict(spec.events), base) if spec.events else []


def _one(ctx: Context, job: Job, spec: JobDrill, rules: list[EventRule], target: Target,
         snapshot: str) -> AccountDrill:
    out = AccountDrill(account=target.account, snapshot=snapshot, status="error")
    try:
        aws = target.connect(ctx.aws)
    except Exception as exc:  # noqa: BLE001 - this account fails; the others go on
        out.detail = f"cannot assume {target.via}: {describe(exc)}"
        return out
    options = DrillOptions(
        snapshot=snapshot, functions=list(job.select.names),
        regions=[] if job.select.regions == "all" else list(job.select.regions),
        to_region=spec.to_region, role_arn=spec.role_arn, name_template=spec.name_template, events=rules,
    )
    try:
        result = run_drill(aws, ctx.primary(), options)
    except Exception as exc:  # noqa: BLE001 - refused before anything was created, or the drill broke
        out.detail = describe(exc)
        return out
    record = result.record
    out.status, out.record_id, out.rto_seconds = record.status, result.record_id, record.rto_seconds
    out.detail = _why(record)
    return out


def _why(record: DrillRecord) -> str:
    if record.passed:
        return ""
    bad = [f for f in record.functions if f.status in ("failed", "not-restored")]
    first = (record.errors or [f"{f.target}: {f.status} ({f.detail})" for f in bad] or record.problems or [""])[0]
    return f"{len(bad)} of {len(record.functions)} functions did not pass" + (f"; {first}" if first else "")


def after_drill(ctx: Context, run: DrillRun) -> list[str]:
    """Metrics and notifications of a drill run; each failure a warning, never the drill's."""
    warnings: list[str] = []
    policy, job = ctx.policy, ctx.policy.jobs[run.job]
    try:
        targets = metrics.sinks(ctx.metrics or policy.metrics.targets, ctx.aws, policy.metrics.region,
                                ctx.emf_stream)
        warnings += metrics.emit(metrics.drill_points(run), targets)
    except Exception as exc:  # noqa: BLE001
        warnings.append(f"metrics: not delivered: {describe(exc)}")
    if job.notify_on == "always" or run.status != OK:
        warnings += notify.send_message(policy.notify_targets(job), *drill_message(run), ctx.aws, ctx.sleep)
    return warnings


def drill_message(run: DrillRun) -> tuple[str, dict[str, Any]]:
    if run.status == OK:
        rto = f", RTO {run.rto_seconds:.0f}s" if run.rto_seconds is not None else ""
        subject = f"lambda-ark: drill of job {run.job} passed in {len(run.accounts)} accounts{rto}"
    else:
        bad = [a for a in run.accounts if a.status != "passed"]
        subject = f"lambda-ark: drill of job {run.job} FAILED: {len(bad)} of {len(run.accounts)} accounts" + (
            f", {len(run.errors)} errors" if run.errors else "")
    return subject[:100], {"source": "lambda-ark", "version": notify.version(), **run.as_dict()}


__all__ = ["AccountDrill", "DrillRun", "JobRunning", "after_drill", "drill_key", "due_drill"]
