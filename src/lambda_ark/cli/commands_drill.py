"""Commands: drill (restore into isolation, prove it runs, clean up; or clean up leftovers) and drills."""

from __future__ import annotations

from datetime import UTC
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from ..aws import Aws, connect
from ..drill import DrillOptions, DrillRecord, cleanup, drill_records, load_rules, run_drill
from ..drill.run import assume
from ..errors import UsageError
from ..selection import validate_globs
from . import app
from .audit_hook import audited
from .commands_repo import Partial, open_repo, warn
from .common import (
    EndpointOpt,
    JsonOpt,
    PasswordCommandOpt,
    PasswordFileOpt,
    QuietOpt,
    RepoOpt,
    console,
    note_embedded,
    print_json,
)
from .replica_opts import PreferOpt, open_nearest

OptionalRepoOpt = Annotated[
    list[str] | None,
    typer.Option("--repo", "-r", envvar="LAMBDA_ARK_REPOSITORY",
                 help="Repository URL: /path, file:///path or s3://bucket/prefix (env LAMBDA_ARK_REPOSITORY). "
                      "Repeat for replicas of one repository (the primary first): the drill reads from the "
                      "nearest healthy one and records in the primary."),
]


@app.command()
def drill(
    snapshot: Annotated[str, typer.Argument(help="Snapshot id, unique prefix, or 'latest'.")] = "latest",
    repo: OptionalRepoOpt = None,
    function: Annotated[list[str] | None, typer.Option("--function", "-f", help="Function name glob (repeatable).")]
    = None,
    region: Annotated[list[str] | None, typer.Option("--region", help="Only functions from this source region "
                                                     "(repeatable); with --cleanup: where to clean.")] = None,
    to_region: Annotated[str | None, typer.Option("--to-region", help="Restore into this region (default: each "
                                                  "function's own, renamed).")] = None,
    role_arn: Annotated[str | None, typer.Option("--role-arn", help="Restore into a scratch account through this "
                                                 "role.")] = None,
    name_template: Annotated[str, typer.Option("--name-template", help="The drill's function names, from {name}, "
                                               "{region}, {account}.")] = "{name}-drill",
    events: Annotated[Path | None, typer.Option("--events", help="Test events: a YAML/JSON file mapping name globs "
                                                "to JSON files ({orders-*: events/order.json}), or a folder of "
                                                "NAME.json files.")] = None,
    keep: Annotated[bool, typer.Option("--keep", help="Leave what the drill created (remove it later with "
                                       "--cleanup).")] = False,
    do_cleanup: Annotated[bool, typer.Option("--cleanup", help="Restore nothing: delete what drills left behind "
                                             "(everything tagged lambda-ark:drill).")] = False,
    drill_id: Annotated[str | None, typer.Option("--drill-id", help="With --cleanup: only this drill's "
                                                 "leftovers.")] = None,
    roles: Annotated[bool, typer.Option("--roles", help="With --cleanup: also drill-owned IAM roles and policies "
                                        "(scans the account's roles).")] = False,
    prefer: PreferOpt = None,
    endpoint_url: EndpointOpt = None,
    password_file: PasswordFileOpt = None,
    password_command: PasswordCommandOpt = None,
    json_out: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Prove a snapshot restores and runs: restore it into isolation, verify, invoke, clean up, record it.

    The drill's copies get new names (--name-template), in --to-region or a scratch account
    (--role-arn); their event source mappings are created disabled, and triggers production uses
    (S3, SNS, EventBridge, Scheduler, CloudFront) are not wired (APIs get copies of their own).
    Everything created is tagged lambda-ark:drill and deleted at the end, also after a failure or
    Ctrl-C. Each function is invoked (alias 'live', else $LATEST) with its test event (--events, or
    its lambda-ark:drill-event tag naming s3://bucket/key, else {}); it passes without a
    FunctionError. The record (RTO per function and in total) is stored in the repository: see
    'lambda-ark drills'. Exit 0 all passed, 3 some failed, 130 interrupted.

    Example: lambda-ark drill latest --repo /backups/ark --region eu-west-1 --to-region us-west-2

    Leftovers of a drill that was killed: lambda-ark drill --cleanup --to-region us-west-2
    """
    if not do_cleanup and (drill_id or roles):
        raise UsageError("--drill-id and --roles go with --cleanup")
    if not do_cleanup and not repo:
        raise UsageError("a drill needs a repository: --repo or LAMBDA_ARK_REPOSITORY")
    aws = connect(endpoint_url=endpoint_url)
    note_embedded(aws, json_out or quiet)
    if do_cleanup:
        _cleanup(aws, region, to_region, drill_id, roles, role_arn, json_out, quiet)
        return
    options = DrillOptions(
        snapshot=snapshot, functions=validate_globs(function or []),
        regions=[r.strip() for r in region or [] if r.strip()], to_region=to_region, role_arn=role_arn,
        name_template=name_template, keep=keep, events=load_rules(events) if events else [],
    )
    assert repo is not None  # checked above, before AWS was reached
    repository, options.snapshot, choice = open_nearest(repo, snapshot, prefer, aws)
    primary = choice.candidates[0].repo if choice is not None else None  # None: unreachable, or one repo
    if choice is not None and not (json_out or quiet):
        typer.echo("\n".join(f"drill: {line}" for line in choice.report()), err=True)

    def progress(line: str) -> None:
        if not (json_out or quiet):
            typer.echo(f"drill: {line}")

    scope = {"snapshot": snapshot, "functions": function, "regions": region, "to_region": to_region,
             "role_arn": role_arn, "replica": repository.url if primary is not None else None}
    # Logged where the record is kept: the primary when reading from a replica.
    with audited(primary or repository, "drill", scope, aws) as event:
        result = run_drill(aws, repository, options, progress=progress, record_to=primary,
                           canonical=choice.snapshot if choice is not None and primary is not None else None)
        event.snapshots = [result.record.snapshot]
        event.scope["drill_id"] = result.record.drill_id
        event.counts = result.record.counts() | ({"rto_ms": int(result.record.rto_seconds * 1000)}
                                                 if result.record.rto_seconds is not None else {})
        if json_out:
            print_json(result.as_dict() | ({"replica": choice.as_dict()} if choice is not None else {}))
        else:
            warn(repository)
            _report(result.record, result.record_id, quiet)
        if not result.passed:
            raise Partial(f"drill {result.record.drill_id} failed: "
                          + ", ".join(f"{n} {s}" for s, n in sorted(result.record.counts().items())))


def _report(record: DrillRecord, record_id: str | None, quiet: bool) -> None:
    for problem in record.problems:
        typer.echo(f"drill: problem: {problem}", err=True)
    for failed in record.cleanup.failed:
        typer.echo(f"drill: not deleted: {failed}", err=True)
    for error in record.errors:
        typer.echo(f"drill: error: {error}", err=True)
    if quiet:
        return
    for skipped in record.skipped:
        typer.echo(f"drill: skipped: {skipped}")
    counts = ", ".join(f"{n} {s}" for s, n in sorted(record.counts().items()))
    rto = f"RTO {record.rto_seconds:.1f}s" if record.rto_seconds is not None else "no RTO (not every function passed)"
    stored = f", recorded as {record_id[:8]}" if record_id else ", NOT recorded"
    typer.echo(f"drill {record.drill_id} {record.status}: {counts}; {rto}{stored}")


def _cleanup(aws: Aws, region: list[str] | None, to_region: str | None, drill_id: str | None, roles: bool,
             role_arn: str | None, json_out: bool, quiet: bool) -> None:
    target = assume(aws, role_arn) if role_arn else aws
    regions = aws.resolve_regions([to_region] if to_region else region or None)
    result = cleanup(target, regions, drill_id, roles=roles,
                     progress=None if json_out or quiet else lambda line: typer.echo(f"cleanup: {line}"))
    if json_out:
        print_json({"regions": regions, "deleted": result.deleted, "failed": result.failed})
    else:
        for failed in result.failed:
            typer.echo(f"cleanup: not deleted: {failed}", err=True)
        if not quiet:
            typer.echo(f"cleanup: {len(result.deleted)} deleted in {', '.join(regions)}"
                       + (f", {len(result.failed)} could not be" if result.failed else ""))
    if result.failed:
        raise Partial(f"{len(result.failed)} drill resources could not be deleted")


@app.command()
def drills(repo: RepoOpt, json_out: JsonOpt = False,
           password_file: PasswordFileOpt = None, password_command: PasswordCommandOpt = None) -> None:
    """List past drills, oldest first: snapshot, target, outcome per function, RTO.

    Example: lambda-ark drills --repo /backups/ark --json
    """
    r = open_repo(repo)
    records, warnings = drill_records(r)
    for message in warnings:
        typer.echo(f"warning: {message}", err=True)
    warn(r)
    if json_out:
        print_json([{"record_id": rid, **rec.model_dump(mode="json")} for rid, rec in records])
        return
    table = Table("ID", "Drill", "Started (UTC)", "Snapshot", "Target", "Status", "Functions", "RTO")
    for rid, rec in records:
        counts = ", ".join(f"{n} {s}" for s, n in sorted(rec.counts().items()))
        rto = f"{rec.rto_seconds:.1f}s" if rec.rto_seconds is not None else ""
        table.add_row(rid[:8], rec.drill_id, f"{rec.started.astimezone(UTC):%Y-%m-%d %H:%M:%S}", rec.snapshot[:8],
                      ", ".join(rec.target.get("regions", [])), rec.status, counts, rto)
    console().print(table)
    typer.echo(f"{len(records)} drills")
