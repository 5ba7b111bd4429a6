"""The other repository of `copy --from-repo` and `init --from-repo`, and how its password is found."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from ..errors import UsageError
from .common import _run_password_command, env_password


def _to_env(var: str) -> Any:
    """An option callback that hands the value on through `var`, where `from_password` looks."""

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


def from_password() -> str | None:
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
