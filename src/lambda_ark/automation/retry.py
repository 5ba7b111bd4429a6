"""`retry --from-queue URL`: run again exactly the items failed runs sent to the errors queue.

See `errors_queue` for what a message holds and when it is deleted.
"""

from __future__ import annotations

from dataclasses import dataclass

from .audit_hook import audit_run
from .context import Context
from .errors_queue import delete, receive, retry_scope
from .job import run_job
from .run import RAN, JobOutcome, RunReport, after_run, record
from .state import JobRunning, job_lock, load_state


@dataclass
class RetryReport(RunReport):
    received: int = 0
    deleted: int = 0


def retry_from_queue(ctx: Context, url: str, limit: int = 100) -> RetryReport:
    report = RetryReport()
    batch = receive(ctx.aws, url, limit)
    report.received = len(batch.messages)
    report.warnings += [f"errors queue {url}: {why}; left in the queue" for why in batch.ignored]
    done: list[str] = []
    repo = ctx.primary() if batch.messages else None
    for job, accounts in retry_scope(batch.messages).items():
        receipts = [m.receipt for m in batch.messages if m.job == job]
        if job not in ctx.policy.jobs:
            report.errors.append(f"job {job}: not in {ctx.loaded.file}; its {len(receipts)} queued items stay "
                                 "in the queue")
            continue
        assert repo is not None
        try:
            with job_lock(repo, job):
                run = run_job(ctx, job, "retry", None, only=accounts)
                state, _ = load_state(repo, job)
                record(repo, state, run, ctx.loaded.digest, run.started)
                if (unaudited := audit_run(repo, job, "retry", run, ctx)) is not None:
                    run.warnings.append(unaudited)
        except JobRunning as exc:
            report.warnings.append(f"{exc}: its {len(receipts)} queued items stay in the queue")
            continue
        report.jobs.append(JobOutcome(job, RAN, run=run))
        report.warnings += after_run(ctx, run)
        done += receipts
    report.warnings += delete(ctx.aws, url, done)
    report.deleted = len(done)
    return report
