"""Command: history."""

from __future__ import annotations

from datetime import UTC
from typing import Annotated

import typer

from ..audit import parse_since
from ..audit.history import changes, with_cloudtrail
from . import app
from .commands_audit import SinceOpt
from .commands_repo import Partial, open_repo, warn
from .common import EndpointOpt, JsonOpt, PasswordCommandOpt, PasswordFileOpt, RepoOpt, print_json


@app.command("history")
def history_cmd(
    function: Annotated[str, typer.Argument(help="Function name, or account/region/name.")],
    repo: RepoOpt,
    since: SinceOpt = None,
    cloudtrail: Annotated[bool, typer.Option(
        "--cloudtrail/--no-cloudtrail", help="Join CloudTrail's events (who, when, from where; last 90 days).")]
    = True,
    endpoint_url: EndpointOpt = None,
    json_out: JsonOpt = False,
    password_file: PasswordFileOpt = None,
    password_command: PasswordCommandOpt = None,
) -> None:
    """A function's changes across snapshots (field names, never values) with the CloudTrail events behind them.

    Exit 3 when CloudTrail could not be asked (the changes are still listed).
    Example: lambda-ark history orders-api --repo /backups/ark --since 30d
    """
    start = parse_since(since) if since else None
    r = open_repo(repo)
    found = changes(r, function, start)
    if cloudtrail:
        from ..aws import connect

        found = with_cloudtrail(found, connect(endpoint_url=endpoint_url))
    if json_out:
        print_json(found.as_dict() | {"warnings": found.warnings + r.warnings})
    else:
        warn(r)
        for w in found.warnings:
            typer.echo(f"warning: {w}", err=True)
        for e in found.entries:
            what = f"{e.change}" + (f": {', '.join(e.fields or e.kinds)}" if e.fields or e.kinds else "")
            typer.echo(f"{e.time.astimezone(UTC):%Y-%m-%d %H:%M} {e.snapshot[:8]} {e.key} {what}")
            for ev in e.events:
                typer.echo(f"    {ev.time:%Y-%m-%d %H:%M:%S} {ev.event} by {ev.who} from {ev.source_ip}")
        for ev in found.pending:
            typer.echo(f"pending (after the newest snapshot): {ev.time:%Y-%m-%d %H:%M:%S} {ev.event} by {ev.who} "
                       f"from {ev.source_ip}")
        typer.echo(f"{len(found.entries)} changes; CloudTrail: {found.cloudtrail}")
    if cloudtrail and found.cloudtrail != "asked":
        raise Partial(found.cloudtrail)
