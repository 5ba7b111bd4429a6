"""Command: watch (snapshots seconds after changes, from CloudTrail events through EventBridge and SQS)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Annotated

import typer

from ..audit import Draft, principal, record
from ..aws import connect
from ..backup import BackupOptions, BackupResult
from ..ratelimit import parse_share
from ..repository import Repository
from ..selection import parse_regions, parse_tags, validate_globs
from ..watch import WatchOptions, run_watch
from ..watch_channel import QUEUE, teardown
from . import app
from .commands_backup import report
from .common import (
    EndpointOpt,
    JsonOpt,
    PasswordCommandOpt,
    PasswordFileOpt,
    QuietOpt,
    RepoOpt,
    note_embedded,
    print_json,
    read_password,
)


@app.command()
def watch(
    repo: RepoOpt,
    regions: Annotated[
        str, typer.Option("--regions", help="Comma-separated regions to watch (or 'all': every enabled region).")
    ],
    function: Annotated[
        list[str] | None, typer.Option("--function", "-f", help="Function name glob (repeatable).")
    ] = None,
    select_tag: Annotated[
        list[str] | None, typer.Option("--select-tag", help="Only functions with tag KEY=VALUE (repeatable).")
    ] = None,
    include_roles: Annotated[bool, typer.Option("--include-roles", help="Also capture execution roles.")] = False,
    debounce: Annotated[
        float, typer.Option("--debounce", min=0, help="Seconds without a new change before a snapshot is written.")
    ] = 10.0,
    once: Annotated[
        bool, typer.Option("--once", help="Drain the changes pending now, write at most one snapshot, exit.")
    ] = False,
    remove: Annotated[
        bool, typer.Option("--teardown", help="Remove the EventBridge rules and SQS queues watch created, exit.")
    ] = False,
    queue_name: Annotated[str, typer.Option("--queue-name", help="Name of the rule and queue per region.")] = QUEUE,
    api_share: Annotated[
        str, typer.Option("--api-share", help="Share of AWS's Lambda API rates snapshots may use: 50 or 50%.")
    ] = "50%",
    feed_delay: Annotated[
        int, typer.Option("--feed-delay", min=0, help="Seconds CloudTrail may take to deliver an event.")
    ] = 900,
    workers: Annotated[int, typer.Option("--workers", min=1, max=64, help="Concurrent functions per region.")] = 8,
    endpoint_url: EndpointOpt = None,
    password_file: PasswordFileOpt = None,
    password_command: PasswordCommandOpt = None,
    json_out: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Back up changes as they happen: CloudTrail events reach an SQS queue through an EventBridge rule
    (created in each region, and in us-east-1 for IAM and CloudFront), and a snapshot reading exactly
    what they name follows each burst of changes. Runs until Ctrl-C; --once drains and exits.

    Each snapshot reports its RPO per change: from the event's time to the snapshot. Messages that are
    not CloudTrail events of this account go to the queue's dead-letter queue with a warning.
    Exit codes: 0 done; 1 error; 3 a snapshot was partial or flagged, or one could not be written.

    Example: lambda-ark watch --repo /backups/ark --regions us-east-1,eu-west-1 --once
    """
    share = parse_share(api_share)
    options = BackupOptions(
        regions=parse_regions(regions),
        functions=validate_globs(function or []),
        tags=parse_tags(select_tag or []),
        include_roles=include_roles,
        workers=workers,
        feed_delay=timedelta(seconds=feed_delay),
    )
    aws = connect(endpoint_url=endpoint_url, max_workers=workers, api_share=share)
    note_embedded(aws, json_out or quiet)
    if remove:
        removed = teardown(aws, aws.resolve_regions(options.regions), queue_name)
        if json_out:
            print_json({"removed": removed})
        elif not quiet:
            typer.echo("\n".join(f"removed {r}" for r in removed) or "nothing to remove")
        return
    repository = Repository.open(repo, password=read_password(), aws=aws)

    who: dict[str, str | None] = {}

    def on_snapshot(result: BackupResult) -> None:
        if "arn" not in who:  # asked once: a watch may write a snapshot every few seconds
            who["arn"] = principal(aws)
        event = Draft(command="backup", outcome="ok" if result.ok else "partial", principal=who["arn"],
                      scope={"regions": regions, "watch": True},
                      snapshots=[result.snapshot_id] if result.snapshot_id else [],
                      counts={"functions": result.functions, "captured": result.captured,
                              "unchanged": result.unchanged, "errors": len(result.errors)})
        if (unaudited := record(repository, event)) is not None:
            typer.echo(f"warning: {unaudited}", err=True)
        if once:
            return  # reported once, at the end
        if json_out:
            typer.echo(json.dumps(result.as_dict(), sort_keys=True, default=str))  # one line per snapshot
        else:
            report(result, False, quiet, {}, {})

    def on_warning(message: str) -> None:
        if not json_out:
            typer.echo(f"warning: {message}", err=True)

    if not (json_out or quiet or once):
        typer.echo(f"watching {regions} for changes (Ctrl-C stops)", err=True)
    result = run_watch(aws, repository, WatchOptions(backup=options, debounce=debounce, once=once,
                                                      queue=queue_name), on_snapshot=on_snapshot,
                       on_warning=on_warning)
    if once and json_out:
        print_json(result.as_dict() | {"aws_calls": dict(aws.calls), "aws_throttles": dict(aws.throttles)})
    elif once and not quiet:
        for snap in result.snapshots:
            report(snap, False, quiet, {}, {})
        if not result.snapshots:
            typer.echo("no changes pending")
    if not result.ok:
        raise typer.Exit(3)
