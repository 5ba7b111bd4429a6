"""Command: restore (plan once, show it, apply exactly that plan, show what was done)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.table import Table

from ..audit import Draft
from ..aws import Aws, connect
from ..errors import UsageError
from ..kinds.base import Change
from ..repository import Repository, Snapshot
from ..repository.nearest import Choice
from ..restore.apply import RestoreResult, apply_plan, plan_result
from ..restore.plan import RestoreOptions, plan_restore, validate_options
from ..scopes import load_latest_per_scope
from ..selection import parse_arn_map, parse_region_map, validate_globs
from . import app
from .audit_hook import audited
from .common import (
    EndpointOpt,
    JsonOpt,
    PasswordCommandOpt,
    PasswordFileOpt,
    QuietOpt,
    console,
    note_embedded,
    print_json,
)
from .progress import change_progress
from .replica_opts import PreferOpt, ReposOpt, open_nearest
from .transfer import LimitDownloadOpt, S3EndpointOpt

_STYLE = {"create": "green", "update": "yellow", "unchanged": "dim", "failed": "red", "skipped": "magenta"}


@app.command()
def restore(
    repo: ReposOpt,
    snapshot: Annotated[str | None, typer.Argument(
        help="Snapshot id, unique prefix, or 'latest' (or none, with --latest-per-scope).")] = None,
    latest_per_scope: Annotated[
        bool,
        typer.Option("--latest-per-scope", help="Restore the newest snapshot of every scope as one (a sharded "
                     "job's accounts, regions and shards); narrow with --tag."),
    ] = False,
    tag: Annotated[
        list[str] | None, typer.Option("--tag", help="With --latest-per-scope: only snapshots with this tag.")
    ] = None,
    function: Annotated[
        list[str] | None, typer.Option("--function", "-f", help="Function name glob (repeatable).")
    ] = None,
    region: Annotated[
        list[str] | None, typer.Option("--region", help="Only functions from this source region (repeatable).")
    ] = None,
    account: Annotated[
        list[str] | None, typer.Option("--account", help="Only functions from this source account (repeatable).")
    ] = None,
    to_region: Annotated[
        str | None, typer.Option("--to-region", help="Restore every source region into this one.")
    ] = None,
    region_map: Annotated[
        list[str] | None,
        typer.Option("--region-map", help="Per-region target SRC=DST (repeatable, or a=b,c=d); wins over --to-region."),
    ] = None,
    to_account: Annotated[str | None, typer.Option("--to-account", help="Rewrite ARNs to this account id.")] = None,
    name_template: Annotated[
        str | None,
        typer.Option(
            "--name-template",
            help="Restored function names from {name}, {region}, {account}, e.g. '{name}-{region}'.",
        ),
    ] = None,
    name_prefix: Annotated[str, typer.Option("--name-prefix", help="Prefix for restored function names.")] = "",
    name_suffix: Annotated[str, typer.Option("--name-suffix", help="Suffix for restored function names.")] = "",
    arn_map: Annotated[
        list[str] | None,
        typer.Option(
            "--map", help="Rewrite an ARN or id: OLD=NEW (repeatable), e.g. a bucket or subnet in the target region."
        ),
    ] = None,
    fix_permissions: Annotated[
        bool,
        typer.Option(
            "--fix-permissions",
            help="Grant invoke permissions a trigger needs that the source lacked (default: restore exactly).",
        ),
    ] = False,
    rewire_dependents: Annotated[
        bool,
        typer.Option(
            "--rewire-dependents",
            help="Rewrite state machines and other functions that name a restored function to name it where it "
            "is restored (default: the plan lists them).",
        ),
    ] = False,
    data: Annotated[
        bool, typer.Option("--data", help="Also restore the snapshot's event-source resources and data, first.")
    ] = False,
    data_mode: Annotated[
        str | None,
        typer.Option("--data-mode", help="merge | overwrite: how to restore data into a bucket or table that holds "
                     "other data (default: refuse)."),
    ] = None,
    data_bucket_template: Annotated[
        str | None,
        typer.Option("--data-bucket-template", help="Target bucket names, e.g. '{name}-{region}' (the target "
                     "region); --map wins for a bucket it names."),
    ] = None,
    data_import_bucket: Annotated[
        str | None,
        typer.Option("--data-import-bucket", help="Create missing DynamoDB tables with their items by ImportTable "
                     "through this staging bucket (else CreateTable and BatchWriteItem)."),
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the plan, change nothing.")] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Apply without asking.")] = False,
    prefer: PreferOpt = None,
    limit_download: LimitDownloadOpt = None,
    s3_endpoint: S3EndpointOpt = None,
    endpoint_url: EndpointOpt = None,
    password_file: PasswordFileOpt = None,
    password_command: PasswordCommandOpt = None,
    json_out: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Restore functions and their wiring from a snapshot, rewired to another region/account if asked.

    Plans first (create / update / unchanged per item, reading only), shows the plan, and applies
    exactly that plan with --yes or after a confirmation prompt on a terminal; then shows what it
    did. Exit 3 if some items failed (the rest are restored); exit 1 if the selection matches
    nothing; exit 2 if two source functions would land on one target name.

    Example: lambda-ark restore latest --repo /backups/ark --region us-east-1 --to-region us-west-2 --yes

    A sharded job (deploy's state machine writes a snapshot per account, region and shard) as one:

    \b
        lambda-ark restore --latest-per-scope --tag job:critical --account 111122223333 --yes

    Two regions into one, names kept apart:

    \b
        lambda-ark restore latest --to-region us-west-2 --name-template '{name}-{region}' --yes

    From the nearest healthy copy: give --repo once per replica (the primary first); each is measured
    and the fastest that holds the snapshot is read (--prefer REGION to choose), falling back to the
    next when reads fail; the report names the replica, its latency and throughput.

    \b
        lambda-ark restore latest -r s3://backups/ark -r s3://dr-eu/ark -r /mnt/edge/ark --yes

    S3 notifies only functions in the bucket's own region: to move a bucket's triggers, map it,
    e.g. --map arn:aws:s3:::uploads=arn:aws:s3:::uploads-us-west-2; a VPC function needs its subnets
    and security groups mapped the same way (--map subnet-0a1=subnet-9f2).

    With --data, the buckets and tables the snapshot holds (backup --data) are created where missing and
    their objects and items written back before the functions; a target holding other data is refused
    unless --data-mode merge|overwrite:

    \b
        lambda-ark restore latest --to-region us-west-2 --data --data-bucket-template '{name}-{region}' --yes
    """
    if latest_per_scope == (snapshot is not None):
        raise UsageError("give a snapshot or --latest-per-scope (not both)")
    if tag and not latest_per_scope:
        raise UsageError("--tag selects snapshots for --latest-per-scope; a named snapshot needs none")
    options = RestoreOptions(
        functions=validate_globs(function or []),
        regions=[r.strip() for r in region or [] if r.strip()],
        accounts=[a.strip() for a in account or [] if a.strip()],
        region_map=parse_region_map(",".join(region_map or [])),
        to_region=to_region,
        to_account=to_account,
        name_prefix=name_prefix,
        name_suffix=name_suffix,
        name_template=name_template,
        arn_map=parse_arn_map(arn_map or []),
        fix_permissions=fix_permissions,
        rewire_dependents=rewire_dependents,
        data=data,
        data_mode=data_mode,
        data_bucket_template=data_bucket_template,
        data_import_bucket=data_import_bucket,
    )
    aws = connect(endpoint_url=endpoint_url)
    note_embedded(aws, json_out or quiet)
    validate_options(aws, options)
    # --latest-per-scope: a replica holding the newest snapshot holds every scope's (copies go whole)
    repository, snapshot, choice = open_nearest(repo, snapshot or "latest", prefer, aws)
    # A shared lock, as backup takes: prune must not delete data this restore is about to read.
    show = "json" if json_out else "quiet" if quiet else "table"
    scope = {"snapshot": snapshot, "latest_per_scope": latest_per_scope or None, "tags": tag or None,
             "functions": function, "regions": region, "accounts": account,
             "to_region": to_region, "to_account": to_account, "dry_run": dry_run or None}
    with repository.lock(), audited(repository, "restore", scope, aws) as event:
        if latest_per_scope:
            snap = load_latest_per_scope(repository, tag or [])
        else:
            snap = repository.load_snapshot(snapshot)
        _restore(aws, repository, snap, options, dry_run, yes, show, choice, event)


def _restore(
    aws: Aws, repository: Repository, snap: Snapshot, options: RestoreOptions, dry_run: bool, yes: bool, show: str,
    choice: Choice | None = None, event: Draft | None = None,
) -> None:
    if choice is not None and show == "table":
        typer.echo("\n".join(choice.report()), err=True)  # which replica, before the plan is read from it
    if event is not None:
        event.snapshots = [snap.id]
    with change_progress("planning", show == "table") as on_change:
        plan = plan_restore(aws, repository, snap, options, on_change=on_change)
    planned = plan_result(plan)
    planned.warnings += repository.warnings  # a damaged index file worked around, say
    if dry_run or not yes:
        _render(planned, show, choice)
        if dry_run or not _confirmed(show):
            raise typer.Exit(3 if planned.partial else 0)
    if not any(c.apply is not None for c in plan.changes):
        if yes:
            _render(planned, show, choice)  # nothing to do: the plan is also what was done
        raise typer.Exit(3 if planned.partial else 0)
    with change_progress("restoring", show == "table") as on_change:
        result = apply_plan(plan, on_change=on_change)
    if event is not None:
        event.counts = result.counts()
    result.warnings += [w for w in repository.warnings if w not in result.warnings]
    _render(result, show, choice)
    if result.partial:
        raise typer.Exit(3)


def _confirmed(show: str) -> bool:
    if show != "table" or not sys.stdin.isatty():
        typer.echo("plan only: pass --yes to apply", err=True)
        return False
    return bool(typer.confirm("apply this plan?", default=False))


def _render(result: RestoreResult, show: str, choice: Choice | None = None) -> None:
    if show == "json":
        print_json(result.as_dict() | ({"replica": choice.as_dict()} if choice else {}))
        return
    if show == "quiet":
        for c in result.failed:
            typer.echo(f"failed: {c.kind} {c.target}: {c.detail}", err=True)
        return
    for w in result.warnings:
        typer.echo(f"warning: {w}", err=True)
    table = Table(title=("plan" if result.dry_run else "restore") + f" of snapshot {result.snapshot_id[:8]}")
    for col in ("action", "kind", "target", "detail"):
        table.add_column(col)
    for c in _interesting(result.changes):
        table.add_row(f"[{_STYLE[c.action]}]{c.action}[/]", c.kind, c.target, c.detail)
    console().print(table)
    counts = ", ".join(f"{n} {a}" for a, n in sorted(result.counts().items()))
    verb = "planned" if result.dry_run else "done"
    source = f" from {choice.reader.used.describe()}" if choice else ""
    typer.echo(f"{verb}: {counts} ({result.duration:.1f}s){source}")
    for line in choice.reader.switches if choice else []:
        typer.echo(f"note: {line}", err=True)


def _interesting(changes: list[Change]) -> list[Change]:
    return [c for c in changes if c.action != "unchanged"]
