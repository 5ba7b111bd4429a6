"""`run`: every job that is due (or the one named) runs once; safe to call every minute.

A job is due when its schedule's newest slot at or before now is newer than the slot it last
claimed. After downtime only the newest missed slot runs (one catch-up, however many were missed).
A job never runs twice for one slot (the slot is claimed in the job's state before the run starts)
and never overlaps itself (the job's lock; see `state`). After the run: metrics, one notification
per target, failed items to the errors queue; none of these can change how the run went.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ..errors import UsageError, describe
from ..policy.schedule import parse_schedule
from ..repository import Repository
from . import errors_queue, metrics, notify
from .audit_hook import audit_run
from .context import Context
from .drills import DrillRun, after_drill, due_drill
from .job import ANOMALY, FAILED, OK, JobRun, run_job
from .state import AccountState, Claim, JobRunning, JobState, LastRun, due_slot, job_lock, load_state, save_state

RAN, NOT_DUE, RUNNING, ERROR = "ran", "not due", "running elsewhere", "error"


@dataclass
class JobOutcome:
    job: str
    action: str  # ran | not due | running elsewhere | error
    run: JobRun | None = None
    next: datetime | None = None  # the job's (or its drill's) next slot
    message: str = ""
    kind: str = "backup"  # backup | drill (a job with a drill has an outcome of each)
    drill: DrillRun | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"job": self.job, "kind": self.kind, "action": self.action,
                "next": self.next.isoformat() if self.next else None, "message": self.message,
                "run": self.run.as_dict() if self.run else None,
                **({"drill": self.drill.as_dict() if self.drill else None} if self.kind == "drill" else {})}


@dataclass
class RunReport:
    jobs: list[JobOutcome] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        """0 all that ran is ok; 1 nothing could be written; 3 partly (an account, a step, a job failed)."""
        runs = [j.run for j in self.jobs if j.run is not None]
        drills = [j.drill for j in self.jobs if j.drill is not None]
        trouble = bool(self.errors) or any(j.action == ERROR for j in self.jobs)
        if not trouble and all(r.status == OK for r in runs) and all(d.status == OK for d in drills):
            return 0
        if all(r.status == FAILED for r in runs) and not any(d.status == OK for d in drills):
            return 1  # also when no job got to run at all
        return 3

    def as_dict(self) -> dict[str, Any]:
        return {"jobs": [j.as_dict() for j in self.jobs], "warnings": self.warnings, "errors": self.errors,
                "exit_code": self.exit_code}


def run_due(ctx: Context, job: str | None = None, *, drill: bool = False) -> RunReport:
    """Run every due job (and job drill), or `job` now (whatever its schedule: a manual run; it claims
    the current slot, so the schedule does not run it again for that slot). With `drill`, `job`'s
    drill runs now instead of its backup."""
    if job is not None and job not in ctx.policy.jobs:
        raise UsageError(f"no job {job!r} in {ctx.loaded.file} (jobs: {', '.join(ctx.policy.jobs)})")
    if drill and (job is None or ctx.policy.jobs[job].drill is None):
        raise UsageError(f"job {job!r} has no drill in {ctx.loaded.file}" if job else "--drill needs --job NAME")
    report = RunReport()
    for name in [job] if job else list(ctx.policy.jobs):
        if not drill:
            report.jobs.append(_backup(ctx, report, name, forced=job is not None))
        if ctx.policy.jobs[name].drill is not None and (drill or job is None):
            report.jobs.append(_drill(ctx, report, name, forced=drill))
    return report


def _backup(ctx: Context, report: RunReport, name: str, forced: bool) -> JobOutcome:
    try:
        outcome = _one(ctx, name, forced=forced)
    except Exception as exc:  # noqa: BLE001 - one job's failure (even a bug) must not stop the others
        outcome = JobOutcome(name, ERROR, message=describe(exc))
        if not isinstance(exc, JobRunning):  # a job that could not run at all is a failure to tell
            report.warnings += after_error(ctx, name, outcome.message, "manual" if forced else "schedule")
    if outcome.run is not None:
        report.warnings += after_run(ctx, outcome.run)
    return outcome


def _drill(ctx: Context, report: RunReport, name: str, forced: bool) -> JobOutcome:
    try:
        run, nxt = due_drill(ctx, name, forced)
    except JobRunning as exc:
        return JobOutcome(name, RUNNING, message=str(exc), kind="drill")
    except Exception as exc:  # noqa: BLE001 - as a job's: the others go on
        return JobOutcome(name, ERROR, message=describe(exc), kind="drill")
    if run is None:
        return JobOutcome(name, NOT_DUE, next=nxt, kind="drill")
    report.warnings += after_drill(ctx, run)
    return JobOutcome(name, RAN, next=nxt, kind="drill", drill=run)


def _one(ctx: Context, name: str, forced: bool) -> JobOutcome:
    job = ctx.policy.jobs[name]
    schedule = parse_schedule(job.schedule)
    repo = ctx.primary()
    now = ctx.clock()
    nxt = schedule.following(now)
    state, _ = load_state(repo, name)
    if not forced and due_slot(job.schedule, now, state.last_slot) is None:
        return JobOutcome(name, NOT_DUE, next=nxt)
    try:
        with job_lock(repo, name):
            return _locked(ctx, name, forced, nxt)
    except JobRunning as exc:
        if forced:
            raise
        return JobOutcome(name, RUNNING, next=nxt, message=str(exc))


def _locked(ctx: Context, name: str, forced: bool, nxt: datetime | None) -> JobOutcome:
    claimed = claim(ctx, name, forced)
    if claimed is None:
        return JobOutcome(name, NOT_DUE, next=nxt)
    run: JobRun | None = None
    try:
        run = run_job(ctx, name, claimed.trigger, claimed.slot)
        run.warnings = claimed.warnings + run.warnings
    finally:
        record(ctx.primary(), claimed.state, run, ctx.loaded.digest, claimed.started)
        unaudited = audit_run(ctx.primary(), name, claimed.trigger, run, ctx)
        if unaudited is not None and run is not None:
            run.warnings.append(unaudited)
    return JobOutcome(name, RAN, run=run, next=nxt)


@dataclass
class Claimed:
    """A job's slot, claimed: its state says a run is in progress from `started`."""

    state: JobState
    slot: datetime | None
    trigger: str
    started: datetime
    warnings: list[str] = field(default_factory=list)


def claim(ctx: Context, name: str, forced: bool, *, runner: str | None = None,
          alive_for: timedelta | None = None) -> Claimed | None:
    """Claim the job's due slot (or, `forced`, run now): None if nothing is due. Call under the job's lock.

    `runner` names who runs it (default: this host and pid). A claim already in the state is a run
    that died (the lock is ours), unless `alive_for` says runs outlive the lock: the state machine
    claims in its planning step and releases in its final one, so a claim younger than the state
    machine's timeout is a run still going (JobRunning).
    """
    job, repo = ctx.policy.jobs[name], ctx.primary()
    state, problem = load_state(repo, name)  # again: a run that finished meanwhile claimed the slot
    now = ctx.clock()
    if state.running is not None and alive_for is not None and now - state.running.started < alive_for:
        running = state.running
        raise JobRunning(f"job {name} is already running ({running.host}, since {running.started:%Y-%m-%d %H:%M}Z); "
                         "not started again")
    slot = due_slot(job.schedule, now, state.last_slot)
    if slot is None and not forced:
        return None
    warnings = [problem] if problem else []
    if state.running is not None:  # we hold the lock, so that run is over: it died before it could say so
        dead = state.running
        warnings.append(f"job {name}: the run started {dead.started:%Y-%m-%d %H:%M}Z on {dead.host} (pid {dead.pid})"
                        + (f" for slot {dead.slot:%Y-%m-%d %H:%M}Z" if dead.slot else "") + " did not finish")
    if slot is not None and state.last_slot is not None:
        missed = parse_schedule(job.schedule).slots_between(state.last_slot, slot) - 1
        if missed > 0:
            warnings.append(f"job {name}: {missed} slot{'s' if missed > 1 else ''} missed since "
                            f"{state.last_slot:%Y-%m-%d %H:%M}Z; running once for {slot:%Y-%m-%d %H:%M}Z")
    trigger = "manual" if forced else "schedule"
    if slot is not None:
        state.last_slot = slot
    state.running = Claim(slot=slot, started=now, trigger=trigger)
    if runner:
        state.running.host = runner
    save_state(repo, state)  # the claim: from here on this slot is taken
    return Claimed(state, slot, trigger, now, warnings)


def record(repo: Repository, state: JobState, run: JobRun | None, digest: str, started: datetime) -> None:
    """Write the outcome into the job's state (also after an exception: the claim is released)."""
    state.running = None
    if run is not None:
        state.last_run = LastRun(slot=run.slot, started=run.started, finished=run.finished or run.started,
                                 status=run.status, trigger=run.trigger, policy=digest)
        for acct in run.accounts:
            entry = state.accounts.setdefault(acct.account, AccountState())
            entry.last_status = acct.status
            if acct.status in (OK, ANOMALY) and acct.result is not None:
                entry.last_good = run.finished or run.started
                entry.snapshot = acct.snapshot
    else:
        state.last_run = LastRun(started=started, finished=started, status=FAILED, policy=digest)
    save_state(repo, state)


def after_run(ctx: Context, run: JobRun) -> list[str]:
    """Metrics, notifications, the errors queue: each failure a warning, never the run's."""
    warnings: list[str] = []
    policy, job = ctx.policy, ctx.policy.jobs[run.job]
    try:
        state, _ = load_state(ctx.primary(), run.job)
        targets = metrics.sinks(ctx.metrics or policy.metrics.targets, ctx.aws, policy.metrics.region,
                                ctx.emf_stream)
        warnings += metrics.emit(metrics.points(run, state, ctx.clock()), targets)
    except Exception as exc:  # noqa: BLE001
        warnings.append(f"metrics: not delivered: {describe(exc)}")
    if job.notify_on == "always" or run.status != OK:
        warnings += notify.send(policy.notify_targets(job), run, ctx.aws, ctx.sleep)
    if (queue := policy.errors_queue_of(job)) is not None:
        warnings += errors_queue.send_failures(ctx.aws, queue, run)
    return warnings


def after_error(ctx: Context, name: str, error: str, trigger: str) -> list[str]:
    """A job that could not run at all (its repository unreachable, say): its notify targets hear of
    it. No metric names an account it did not reach; the RPO alarm (missing data) covers that."""
    run = JobRun(job=name, trigger=trigger, slot=None, started=ctx.clock(), finished=ctx.clock(), errors=[error])
    return notify.send(ctx.policy.notify_targets(ctx.policy.jobs[name]), run, ctx.aws, ctx.sleep)
