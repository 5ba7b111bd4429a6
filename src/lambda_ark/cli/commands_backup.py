"""Command: backup."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import typer

from ..aws import connect
from ..backup import BackupOptions, BackupResult, run_backup
from ..backup_guard import parse_max_deleted
from ..data import parse_sources
from ..ratelimit import parse_share
from ..repository import Repository
from ..selection import parse_regions, parse_shard, parse_tags, validate_globs
from . import app
from .audit_hook import audited
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
from .progress import region_progress
from .transfer import LimitDownloadOpt, LimitUploadOpt, S3EndpointOpt, transfer


@app.command()
def backup(
    repo: RepoOpt,
    regions: Annotated[
        str, typer.Option("--regions", help="Comma-separated regions, or 'all' (enabled regions).")
    ] = "all",
    function: Annotated[
        list[str] | None, typer.Option("--function", "-f", help="Function name glob (repeatable).")
    ] = None,
    select_tag: Annotated[
        list[str] | None, typer.Option("--select-tag", help="Only functions with tag KEY=VALUE (repeatable).")
    ] = None,
    tag: Annotated[list[str] | None, typer.Option("--tag", help="Label the snapshot (repeatable).")] = None,
    snapshot_tag: Annotated[list[str] | None, typer.Option("--snapshot-tag", hidden=True)] = None,  # old --tag
    full: Annotated[bool, typer.Option("--full", help="Capture everything, ignoring unchanged fingerprints.")] = False,
    recapture_days: Annotated[
        int,
        typer.Option("--recapture-days", min=0, help="Re-read unchanged functions at least this often (0: never)."),
    ] = 7,
    include_roles: Annotated[bool, typer.Option("--include-roles", help="Also capture execution roles.")] = False,
    shard: Annotated[str | None, typer.Option("--shard", help="Back up shard i of n (i/n) of the estate.")] = None,
    workers: Annotated[int, typer.Option("--workers", min=1, max=64, help="Concurrent functions per region.")] = 8,
    allow_empty: Annotated[
        bool, typer.Option("--allow-empty", help="Write a snapshot even when the selection matches no function.")
    ] = False,
    max_deleted: Annotated[
        str,
        typer.Option(
            "--max-deleted",
            help="Flag the snapshot (tag 'anomaly', exit 3) when more than this share of the scope's functions "
            "vanished since the previous snapshot: 20 or 20%.",
        ),
    ] = "20%",
    change_feed: Annotated[
        bool,
        typer.Option(
            "--change-feed/--no-change-feed",
            help="Ask CloudTrail what changed since the previous snapshot (aliases, tags, permissions, triggers...). "
            "Without it, unchanged functions are trusted by fingerprint and re-read every --recapture-days.",
        ),
    ] = True,
    feed_delay: Annotated[
        int, typer.Option("--feed-delay", min=0, help="Seconds CloudTrail may take to show an event (AWS: minutes).")
    ] = 900,
    api_share: Annotated[
        str,
        typer.Option(
            "--api-share",
            help="Share of AWS's Lambda API rates this backup may use, per account and region (the rest is left "
            "for your deploys): 50 or 50%.",
        ),
    ] = "50%",
    data: Annotated[
        str | None,
        typer.Option("--data", help="Also back up the data of wired event sources: s3,dynamodb,kinesis,sqs,sqs-dlq "
                     "(comma-separated); see docs/data.md."),
    ] = None,
    data_bucket: Annotated[
        list[str] | None,
        typer.Option("--data-bucket", help="Also back up this bucket's configuration and objects (repeatable)."),
    ] = None,
    consistent_read: Annotated[
        bool, typer.Option("--consistent-read", help="DynamoDB scans with strongly consistent reads (2x cost).")
    ] = False,
    data_export_bucket: Annotated[
        str | None,
        typer.Option("--data-export-bucket", help="Export DynamoDB tables that have point-in-time recovery "
                     "through this bucket (ExportTableToPointInTime; a consistent read) instead of scanning them."),
    ] = None,
    s3_versions: Annotated[
        bool, typer.Option("--s3-versions", help="Every version (and delete marker) of versioned buckets' objects, "
                           "not only the current ones.")
    ] = False,
    limit_upload: LimitUploadOpt = None,
    limit_download: LimitDownloadOpt = None,
    s3_endpoint: S3EndpointOpt = None,
    endpoint_url: EndpointOpt = None,
    password_file: PasswordFileOpt = None,
    password_command: PasswordCommandOpt = None,
    json_out: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Back up every Lambda function (code, configuration, versions, aliases, triggers) into the repository.

    Exit codes: 0 all done; 1 nothing written (no credentials, empty selection, every region failed);
    3 snapshot written but partial (something could not be read; previous captures kept) or flagged
    as a mass deletion.

    An incremental backup asks CloudTrail (LookupEvents) what changed since the previous snapshot and
    reads exactly that again; the summary says which feed it used (change_feed: cloudtrail | none).

    Example: lambda-ark backup --repo /backups/ark --regions us-east-1,eu-west-1 --function 'orders-*' --tag nightly

    With the data of the buckets, tables and streams the functions are wired to (incremental: unchanged
    objects are not read again, streams are read from their last checkpoint):

    \b
        lambda-ark backup --repo /backups/ark --regions us-east-1 --data s3,dynamodb,kinesis
    """
    options = BackupOptions(
        regions=parse_regions(regions),
        functions=validate_globs(function or []),
        tags=parse_tags(select_tag or []),
        full=full,
        recapture_after=timedelta(days=recapture_days) if recapture_days else None,
        include_roles=include_roles,
        shard=parse_shard(shard),
        workers=workers,
        snapshot_tags=[*(tag or []), *(snapshot_tag or [])],
        allow_empty=allow_empty,
        max_deleted=parse_max_deleted(max_deleted),
        change_feed=change_feed,
        feed_delay=timedelta(seconds=feed_delay),
        data=parse_sources(data),
        data_buckets=[b.strip() for b in data_bucket or [] if b.strip()],
        data_consistent_read=consistent_read,
        data_export_bucket=data_export_bucket,
        data_s3_versions=s3_versions,
    )
    aws = connect(endpoint_url=endpoint_url, max_workers=workers, api_share=parse_share(api_share))
    note_embedded(aws, json_out or quiet)
    repository = Repository.open(repo, password=read_password(), aws=aws, transfer=transfer())
    scope = {"regions": regions, "functions": function, "select_tags": select_tag, "shard": shard, "full": full or None}
    with audited(repository, "backup", scope, aws) as event:
        with region_progress(not (json_out or quiet)) as progress:
            result = run_backup(aws, repository, options, progress=progress)
        event.snapshots = [result.snapshot_id] if result.snapshot_id else []
        event.counts = {"functions": result.functions, "captured": result.captured, "unchanged": result.unchanged,
                        "errors": len(result.errors)}
        report(result, json_out, quiet, dict(aws.calls), dict(aws.throttles))
        if not result.ok:
            raise typer.Exit(3)


def report(
    result: BackupResult, json_out: bool, quiet: bool, calls: dict[str, int], throttles: dict[str, int]
) -> None:
    """One backup's result: a line (or JSON), then its warnings and errors (also used by `watch`)."""
    if json_out:
        print_json(result.as_dict() | {"aws_calls": calls, "aws_throttles": throttles})
    elif not quiet:
        typer.echo(
            f"snapshot {result.snapshot_id[:8]}: {_n(result.functions, 'function')} "
            f"in {_n(len(result.regions), 'region')}, "
            f"{result.captured} captured, {result.unchanged} unchanged, {result.bytes_added:,} bytes added, "
            f"{result.duration:.1f}s; change feed: {result.change_feed}"
            + (f", worst RPO {max(r['rpo_seconds'] for r in result.rpo):.1f}s" if result.rpo else "")
        )
        for w in result.warnings:
            typer.echo(f"warning: {w}", err=True)
    for e in result.errors:
        typer.echo(f"error: {e}", err=True)
    if result.anomaly:  # always said, even with --json or --quiet: someone must look
        typer.echo(f"warning: {result.anomaly}", err=True)


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"
