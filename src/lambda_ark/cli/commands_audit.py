"""Commands: audit log, audit verify."""

from __future__ import annotations

from datetime import UTC
from typing import Annotated

import typer
from rich.table import Table

from ..audit import events, parse_since, verify
from ..errors import IntegrityError
from . import app
from .commands_repo import open_repo, warn
from .common import JsonOpt, PasswordCommandOpt, PasswordFileOpt, RepoOpt, console, print_json

audit_app = typer.Typer(help="The repository's tamper-evident log of what lambda-ark did.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")

SinceOpt = Annotated[str | None, typer.Option(
    "--since", help="Only events at or after this time: 2026-01-31, 2026-01-31T12:00Z, or an age (7d, 12h, 30m).")]


@audit_app.command("log")
def audit_log(repo: RepoOpt, since: SinceOpt = None, json_out: JsonOpt = False,
              password_file: PasswordFileOpt = None, password_command: PasswordCommandOpt = None) -> None:
    """List what was done to the repository, oldest first: time, host, user or role, command, outcome.

    Events that cannot be read are warnings here; `audit verify` names every problem.
    Example: lambda-ark audit log --repo /backups/ark --since 7d
    """
    start = parse_since(since) if since else None
    r = open_repo(repo)
    found, warnings = events(r, start)
    if json_out:
        print_json({"events": [e.model_dump(mode="json") for e in found], "warnings": warnings + r.warnings})
        return
    for w in warnings:
        typer.echo(f"warning: {w}", err=True)
    warn(r)
    table = Table("Time (UTC)", "Host", "Who", "Command", "Outcome", "Snapshots", "Counts")
    for e in found:
        counts = ", ".join(f"{k} {v}" for k, v in sorted(e.counts.items()))
        table.add_row(f"{e.time.astimezone(UTC):%Y-%m-%d %H:%M:%S}", e.host, e.principal or e.user,
                      e.command + (f" ({e.error})" if e.error else ""), e.outcome,
                      " ".join(s[:8] for s in e.snapshots), counts)
    console().print(table)
    typer.echo(f"{len(found)} events")


@audit_app.command("verify")
def audit_verify(repo: RepoOpt, json_out: JsonOpt = False,
                 password_file: PasswordFileOpt = None, password_command: PasswordCommandOpt = None) -> None:
    """Walk every audit chain and name each missing, reordered or altered event (exit 1 if any).

    Example: lambda-ark audit verify --repo /backups/ark
    """
    result = verify(open_repo(repo))
    if json_out:
        print_json(result.as_dict())
    else:
        for w in result.warnings:
            typer.echo(f"warning: {w}", err=True)
        for p in result.problems:
            typer.echo(f"error: {p}", err=True)
        typer.echo(f"{result.events} events in {result.chains} chains, {result.snapshots_checked} snapshots' "
                   f"recorded heads checked: " + ("ok" if result.ok else f"{len(result.problems)} problems"))
    if not result.ok:
        raise IntegrityError(f"the audit log of {result.events} events has {len(result.problems)} problems")
