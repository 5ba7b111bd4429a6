"""Commands: run (every due job once), daemon (the same on its own clock), retry (from the errors queue)."""

from __future__ import annotations

import signal
import threading
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer

from ..automation import Context, Daemon, JobOutcome, JobRun, RunReport, retry_from_queue, run_due
from ..automation.run import RAN
from ..aws import connect
from ..errors import UsageError
from ..policy import PolicyError, load_policy
from ..policy.values import queue_url
from . import app
from .automation_common import MetricsOpt, PolicyOpt, context, load_or_exit, metric_targets
from .common import EndpointOpt, JsonOpt, QuietOpt, note_embedded, print_json


@app.command("run")
def run_cmd(
    policy: PolicyOpt,
    job: Annotated[str | None, typer.Option("--job", help="Run this job now, due or not.")] = None,
    drill: Annotated[bool, typer.Option("--drill", help="With --job: run the job's drill now instead of its "
                                        "backup.")] = False,
    metrics: MetricsOpt = None,
    endpoint_url: EndpointOpt = None,
    json_out: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Run every job of the policy that is due (or --job NAME now) once: backup, retention, copies;
    then each job's drill when it is due.

    Safe to call every minute (cron, EventBridge Scheduler): a job never runs twice for one slot and
    never overlaps itself. Exit 0 all ok (or nothing due); 3 something failed (an account, a step,
    a drill); 1 nothing could be written.
    Example: lambda-ark run --policy lambda-ark.yaml
    """
    if drill and job is None:
        raise UsageError("--drill needs --job NAME (the job whose drill to run now)")
    ctx = _context(policy, endpoint_url, metrics, json_out or quiet)
    report = run_due(ctx, job, drill=drill)
    _report(report, json_out, quiet)
    if report.exit_code:
        raise typer.Exit(report.exit_code)


@app.command("daemon")
def daemon_cmd(
    policy: PolicyOpt,
    metrics: MetricsOpt = None,
    endpoint_url: EndpointOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Run the policy's jobs on their schedules until stopped (SIGTERM or Ctrl-C).

    On start it runs what is due, catching up one missed slot per job; it re-reads the policy
    before each round. SIGTERM stops it cleanly (a running job finishes first), exit 0.
    Example: lambda-ark daemon --policy /etc/lambda-ark.yaml
    """
    ctx = _context(policy, endpoint_url, metrics, quiet)
    stop = threading.Event()
    seen = {"mtime": policy.stat().st_mtime}

    def reload() -> Context | None:
        mtime = policy.stat().st_mtime
        if mtime == seen["mtime"]:
            return None
        seen["mtime"] = mtime
        try:
            fresh = load_policy(policy)
        except PolicyError as exc:
            raise UsageError("; ".join(str(p) for p in exc.problems)) from None
        return Context(loaded=fresh, aws=ctx.aws, open_repository=ctx.open_repository, metrics=ctx.metrics)

    def on_term(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = signal.signal(signal.SIGTERM, on_term)
    daemon = Daemon(ctx, reload=reload, on_round=lambda r: _report(r, False, quiet, rounds=True),
                    on_error=lambda m: typer.echo(f"error: {m}", err=True), stop=stop)
    typer.echo(f"lambda-ark daemon: {len(ctx.policy.jobs)} jobs from {policy}; stop with SIGTERM", err=True)
    try:
        daemon.run()
    finally:
        signal.signal(signal.SIGTERM, previous)
    typer.echo(f"lambda-ark daemon: stopped after {daemon.rounds} rounds", err=True)


@app.command("retry")
def retry_cmd(
    policy: PolicyOpt,
    from_queue: Annotated[str, typer.Option("--from-queue", help="The SQS queue URL failed items were sent to.")],
    max_messages: Annotated[int, typer.Option("--max-messages", min=1, max=10000, help="Read at most this many.")]
    = 100,
    metrics: MetricsOpt = None,
    endpoint_url: EndpointOpt = None,
    json_out: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Run again exactly the items failed runs sent to the errors queue; retried messages are deleted.

    Example: lambda-ark retry --policy lambda-ark.yaml --from-queue https://sqs.eu-west-1.amazonaws.com/111111111111/ark-errors
    """
    try:
        queue_url(from_queue)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    ctx = _context(policy, endpoint_url, metrics, json_out or quiet)
    report = retry_from_queue(ctx, from_queue, max_messages)
    if json_out:
        print_json(report.as_dict() | {"received": report.received, "deleted": report.deleted})
    else:
        _report(report, False, quiet)
        if not quiet:
            typer.echo(f"{report.received} queued items read, {report.deleted} deleted after their retry")
    if report.exit_code:
        raise typer.Exit(report.exit_code)


def _context(policy: Path, endpoint_url: str | None, metrics: list[str] | None, quiet: bool) -> Context:
    loaded = load_or_exit(policy)
    targets = metric_targets(metrics)
    aws = connect(endpoint_url=endpoint_url)
    note_embedded(aws, quiet)
    return context(loaded, aws, targets)


def _report(report: RunReport, json_out: bool, quiet: bool, rounds: bool = False) -> None:
    if json_out:
        print_json(report.as_dict())
        return
    stamp = f"{datetime.now(UTC):%Y-%m-%d %H:%M:%S}Z " if rounds else ""
    for outcome in report.jobs:
        if outcome.kind == "drill":
            _print_drill(outcome, stamp, quiet, rounds)
            continue
        if outcome.run is not None and not quiet:
            _print_run(outcome.run, stamp)
        elif outcome.action != RAN and not quiet and not rounds:
            nxt = f" (next {outcome.next:%Y-%m-%d %H:%M}Z)" if outcome.next else ""
            typer.echo(f"{stamp}job {outcome.job}: {outcome.action}{nxt}" + (f": {outcome.message}"
                                                                              if outcome.message else ""))
        if outcome.action == "error":
            typer.echo(f"error: job {outcome.job}: {outcome.message}", err=True)
        if outcome.run is not None:
            for w in outcome.run.warnings:
                typer.echo(f"warning: {w}", err=True)
            for e in outcome.run.errors + [e for a in outcome.run.accounts for e in a.errors]:
                typer.echo(f"error: job {outcome.job}: {e}", err=True)
            for a in outcome.run.accounts:
                for w in (a.result.warnings if a.result is not None and not quiet else []):
                    typer.echo(f"warning: job {outcome.job}: account {a.account}: {w}", err=True)
                if a.result is not None and a.result.anomaly:  # always said, as backup does: someone must look
                    typer.echo(f"warning: job {outcome.job}: account {a.account}: {a.result.anomaly}", err=True)
    for w in report.warnings:
        typer.echo(f"warning: {w}", err=True)
    for e in report.errors:
        typer.echo(f"error: {e}", err=True)


def _print_drill(outcome: JobOutcome, stamp: str, quiet: bool, rounds: bool) -> None:
    run = outcome.drill
    if run is None:
        if outcome.action == "error":
            typer.echo(f"error: job {outcome.job}: drill: {outcome.message}", err=True)
        elif not quiet and not rounds:
            nxt = f" (next {outcome.next:%Y-%m-%d %H:%M}Z)" if outcome.next else ""
            typer.echo(f"{stamp}job {outcome.job} drill: {outcome.action}{nxt}"
                       + (f": {outcome.message}" if outcome.message else ""))
        return
    if not quiet:
        rto = f", RTO {run.rto_seconds:.1f}s" if run.rto_seconds is not None else ""
        typer.echo(f"{stamp}job {run.job} drill: {'passed' if run.status == 'ok' else 'FAILED'} ({run.trigger}): "
                   f"{sum(a.status == 'passed' for a in run.accounts)} of {len(run.accounts)} accounts passed{rto}")
        for a in run.accounts:
            typer.echo(f"  account {a.account}: snapshot {a.snapshot[:8]}: {a.status}"
                       + (f" in {a.rto_seconds:.1f}s" if a.rto_seconds is not None else "")
                       + (f" (record {a.record_id[:8]})" if a.record_id else ""))
    for w in run.warnings:
        typer.echo(f"warning: job {run.job}: drill: {w}", err=True)
    for e in run.errors + [f"account {a.account}: {a.detail}" for a in run.accounts if a.status != "passed"]:
        typer.echo(f"error: job {run.job}: drill: {e}", err=True)


def _print_run(run: JobRun, stamp: str) -> None:
    slot = f" slot {run.slot:%Y-%m-%d %H:%M}Z" if run.slot else ""
    done = [a for a in run.accounts if a.snapshot]
    typer.echo(f"{stamp}job {run.job}: {run.status} ({run.trigger}{slot}): {len(done)} of {len(run.accounts)} "
               f"accounts backed up, {run.forgotten} snapshots forgotten"
               + "".join(f", {n} copied to {url}" for url, n in run.copied.items()) + f", {run.duration:.1f}s")
    for a in run.accounts:
        r = a.result
        if r is not None:
            typer.echo(f"  account {a.account}: snapshot {r.snapshot_id[:8]}: {r.functions} functions, "
                       f"{r.captured} captured, {r.unchanged} unchanged, {r.bytes_added:,} bytes added ({a.status})")
        else:
            typer.echo(f"  account {a.account}: failed")
