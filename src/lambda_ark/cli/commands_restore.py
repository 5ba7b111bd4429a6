"""Command: restore."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ..aws import connect
from ..errors import UsageError
from ..kinds.base import Change
from ..repository import Repository
from ..restore.apply import RestoreOptions, RestoreResult, run_restore, validate_options
from ..selection import parse_arn_map, parse_region_map, validate_globs
from . import app
from .common import EndpointOpt, JsonOpt, QuietOpt, RepoOpt, note_embedded, print_json, read_password
from .progress import change_progress

_STYLE = {"create": "green", "update": "yellow", "unchanged": "dim", "failed": "red", "skipped": "magenta"}


@app.command()
def restore(
    snapshot: Annotated[str, typer.Argument(help="Snapshot id, unique prefix, or 'latest'.")],
    repo: RepoOpt,
    function: Annotated[
        list[str] | None, typer.Option("--function", "-f", help="Function name glob (repeatable).")
    ] = None,
    region: Annotated[
        list[str] | None, typer.Option("--region", help="Only functions from this source region (repeatable).")
    ] = None,
    to_region: Annotated[
        str | None, typer.Option("--to-region", help="Restore every source region into this one.")
    ] = None,
    region_map: Annotated[str | None, typer.Option("--region-map", help="Per-region targets: a=b,c=d.")] = None,
    to_account: Annotated[str | None, typer.Option("--to-account", help="Rewrite ARNs to this account id.")] = None,
    name_prefix: Annotated[str, typer.Option("--name-prefix", help="Prefix for restored function names.")] = "",
    name_suffix: Annotated[str, typer.Option("--name-suffix", help="Suffix for restored function names.")] = "",
    arn_map: Annotated[
        list[str] | None,
        typer.Option(
            "--map", help="Rewrite an ARN or id: OLD=NEW (repeatable), e.g. a bucket or subnet in the target region."
        ),
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the plan, change nothing.")] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Apply without asking.")] = False,
    endpoint_url: EndpointOpt = None,
    json_out: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Restore functions and their wiring from a snapshot, rewired to another region/account if asked.

    Prints the plan (create / update / unchanged per item) and applies it with --yes, or after a
    confirmation prompt on a terminal. Exit 3 if some items failed (the rest are restored).

    Example: lambda-ark restore latest --repo /backups/ark --region us-east-1 --to-region us-west-2 --yes

    S3 notifies only functions in the bucket's own region: to move a bucket's triggers, map it,
    e.g. --map arn:aws:s3:::uploads=arn:aws:s3:::uploads-us-west-2; a VPC function needs its subnets
    and security groups mapped the same way (--map subnet-0a1=subnet-9f2).
    """
    if to_region and region_map:
        raise UsageError("use either --to-region or --region-map, not both")
    options = RestoreOptions(
        functions=validate_globs(function or []),
        regions=region or [],
        region_map=parse_region_map(region_map),
        to_region=to_region,
        to_account=to_account,
        name_prefix=name_prefix,
        name_suffix=name_suffix,
        arn_map=parse_arn_map(arn_map or []),
    )
    aws = connect(endpoint_url=endpoint_url)
    note_embedded(aws, json_out or quiet)
    validate_options(aws, options)
    repository = Repository.open(repo, password=read_password(), aws=aws)
    snap = repository.load_snapshot(snapshot)
    show = "json" if json_out else "quiet" if quiet else "table"
    with change_progress("planning", show == "table") as on_change:
        plan = run_restore(aws, repository, snap, options, dry_run=True, on_change=on_change)
    if dry_run or not yes:
        _render(plan, show)
        if dry_run or not _confirmed(show):
            raise typer.Exit(3 if plan.partial else 0)
    with change_progress("restoring", show == "table") as on_change:
        result = run_restore(aws, repository, snap, options, dry_run=False, on_change=on_change)
    _render(result, show)
    if result.partial:
        raise typer.Exit(3)


def _confirmed(show: str) -> bool:
    if show != "table" or not sys.stdin.isatty():
        typer.echo("plan only: pass --yes to apply", err=True)
        return False
    return bool(typer.confirm("apply this plan?", default=False))


def _render(result: RestoreResult, show: str) -> None:
    if show == "json":
        print_json(result.as_dict())
        return
    if show == "quiet":
        for c in result.failed:
            typer.echo(f"failed: {c.kind} {c.target}: {c.detail}", err=True)
        return
    table = Table(title=("plan" if result.dry_run else "restore") + f" of snapshot {result.snapshot_id[:8]}")
    for col in ("action", "kind", "target", "detail"):
        table.add_column(col)
    for c in _interesting(result.changes):
        table.add_row(f"[{_STYLE[c.action]}]{c.action}[/]", c.kind, c.target, c.detail)
    Console().print(table)
    counts = ", ".join(f"{n} {a}" for a, n in sorted(result.counts().items()))
    typer.echo(f"{counts} ({result.duration:.1f}s)")


def _interesting(changes: list[Change]) -> list[Change]:
    shown = [c for c in changes if c.action != "unchanged"]
    return shown or changes[:0]
