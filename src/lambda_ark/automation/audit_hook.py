"""A policy job's run as one audit event in its primary repository (`run`, `daemon`, `retry`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..audit import Draft, Outcome, record
from .job import FAILED, OK, JobRun

if TYPE_CHECKING:
    from ..repository import Repository
    from .context import Context
    from .drills import DrillRun


def audit_run(repo: Repository, job: str, trigger: str, run: JobRun | None, ctx: Context) -> str | None:
    """Append the run's event; a warning line when it could not be written."""
    outcome: Outcome = "error" if run is None or run.status == FAILED else "ok" if run.status == OK else "partial"
    draft = Draft(command="policy run", outcome=outcome,
                  scope={"job": job, "trigger": trigger, "policy": str(ctx.loaded.file)})
    if run is not None:
        draft.snapshots = [a.snapshot for a in run.accounts if a.snapshot]
        draft.counts = {"accounts": len(run.accounts), "failures": run.failures, "forgotten": run.forgotten,
                        "copied": sum(run.copied.values())}
        draft.error = "; ".join(run.errors) or None
    return record(repo, draft, ctx.aws)


def audit_drill(repo: Repository, run: DrillRun, ctx: Context) -> str | None:
    """A job's scheduled drill as one event (`policy drill`); a warning line when it could not be written."""
    draft = Draft(command="policy drill", outcome="ok" if run.status == OK else "partial" if run.accounts else "error",
                  scope={"job": run.job, "trigger": run.trigger, "policy": str(ctx.loaded.file)},
                  snapshots=[a.snapshot for a in run.accounts], error="; ".join(run.errors) or None)
    for a in run.accounts:
        draft.counts[a.status] = draft.counts.get(a.status, 0) + 1
    if run.rto_seconds is not None:
        draft.counts["rto_ms"] = int(run.rto_seconds * 1000)
    return record(repo, draft, ctx.aws)
