"""copy: snapshots from another repository into this one (restic >= 0.14's direction), or the other way."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from ..errors import UsageError
from ..repository import Repository, copy
from . import app
from .commands_repo import emit_json, open_repo, progress_bars, size, warn
from .common import (
    JsonOpt,
    PasswordCommandOpt,
    PasswordFileOpt,
    QuietOpt,
    RepoOpt,
    _run_password_command,
    env_password,
)


def _to_env(var: str) -> Any:
    """An option callback that hands the value on through `var`, where `_from_password` looks."""

    def callback(value: str | None) -> str | None:
        if value:
            os.environ[var] = value
        return value

    return callback


FromRepoOpt = Annotated[str | None, typer.Option(
    "--from-repo", envvar="LAMBDA_ARK_FROM_REPOSITORY",
    help="Copy from this repository into --repo (env LAMBDA_ARK_FROM_REPOSITORY).")]
FromPasswordFileOpt = Annotated[str | None, typer.Option(
    "--from-password-file", callback=_to_env("LAMBDA_ARK_FROM_PASSWORD_FILE"),
    help="Read the source repository's password from this file (env LAMBDA_ARK_FROM_PASSWORD_FILE).")]
FromPasswordCommandOpt = Annotated[str | None, typer.Option(
    "--from-password-command", callback=_to_env("LAMBDA_ARK_FROM_PASSWORD_COMMAND"),
    help="Run this command for the source repository's password (env LAMBDA_ARK_FROM_PASSWORD_COMMAND).")]


def _from_password() -> str | None:
    """The source password: its file, its command, LAMBDA_ARK_FROM_PASSWORD; else this repository's
    password (one password for both is common); else a prompt on a terminal."""
    if (path := os.environ.get("LAMBDA_ARK_FROM_PASSWORD_FILE")) is not None:
        try:
            return Path(path).expanduser().read_text().rstrip("\r\n")
        except OSError as exc:
            raise UsageError(f"cannot read password file {path} (LAMBDA_ARK_FROM_PASSWORD_FILE): "
                             f"{exc.strerror}") from exc
    if (command := os.environ.get("LAMBDA_ARK_FROM_PASSWORD_COMMAND")) is not None:
        return _run_password_command(command, "LAMBDA_ARK_FROM_PASSWORD_COMMAND")
    if (pw := os.environ.get("LAMBDA_ARK_FROM_PASSWORD")) is not None:
        return pw
    if (pw := env_password()) is not None:
        return pw
    if sys.stdin.isatty():
        return str(typer.prompt("source repository password", hide_input=True))
    return None


@app.command("copy")
def copy_cmd(
    repo: RepoOpt,
    snapshot: Annotated[list[str] | None, typer.Argument(
        help="Snapshots to copy (id, prefix, latest); default: all of them.")] = None,
    from_repo: FromRepoOpt = None,
    to_repo: Annotated[str | None, typer.Option(
        "--to-repo", help="The old direction: copy from --repo to this repository (password: "
                          "LAMBDA_ARK_PASSWORD2 / LAMBDA_ARK_PASSWORD_FILE2, else the same).")] = None,
    from_password_file: FromPasswordFileOpt = None,
    from_password_command: FromPasswordCommandOpt = None,
    json_out: JsonOpt = False,
    quiet: QuietOpt = False,
    password_file: PasswordFileOpt = None,
    password_command: PasswordCommandOpt = None,
) -> None:
    """Copy snapshots from --from-repo into --repo; only data missing there travels; verified after copy.

    The source opens with --from-password-file / --from-password-command / LAMBDA_ARK_FROM_PASSWORD,
    else the same password as --repo. Snapshots already copied are skipped.
    Example: lambda-ark copy --repo s3://dr-backups-eu/ark --from-repo /backups/ark --from-password-file src.pw
    """
    if bool(from_repo) == bool(to_repo):
        raise UsageError("copy needs --from-repo (copy into --repo) or, the old way, --to-repo")
    if from_repo:
        dst = open_repo(repo)
        src = Repository.open(from_repo, password=_from_password())
    else:
        src = open_repo(repo)
        dst = Repository.open(str(to_repo), password=env_password("2") or env_password())
    refs = snapshot or [s.id for s in src.snapshots()]
    with progress_bars(not (json_out or quiet)) as progress:
        result = copy(src, dst, refs, progress=progress)
    if json_out:
        emit_json(dst, result.__dict__ | {"warnings": src.warnings})
        return
    warn(src)
    warn(dst)
    if not quiet:
        for s, d in result.copied.items():
            typer.echo(f"copied {s[:8]} -> {d[:8]}")
        for s in result.skipped:
            typer.echo(f"skipped {s[:8]} (already in {dst.url})")
        typer.echo(f"{result.files_sent} files sent, {result.files_reused} reused, "
                   f"{size(result.bytes_added)} added; verified")
