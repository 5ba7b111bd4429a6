"""Options and helpers shared by the command modules."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from ..aws import Aws
from ..errors import UsageError

RepoOpt = Annotated[
    str,
    typer.Option(
        "--repo",
        "-r",
        envvar="LAMBDA_ARK_REPOSITORY",
        help="Repository URL: /path, file:///path or s3://bucket/prefix (env LAMBDA_ARK_REPOSITORY).",
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one machine-readable JSON result.")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")]
EndpointOpt = Annotated[
    str | None,
    typer.Option(
        "--endpoint-url",
        envvar="AWS_ENDPOINT_URL",
        help="Send every AWS call to this endpoint (LocalStack, `lambda-ark endpoint`); 'embedded' starts one "
        "in this process.",
    ),
]


def _to_env(var: str) -> Any:
    """An option callback that hands the value on through `var`, where every password reader looks.

    Password options exist on the app (before the command) and on each command; both routes end in
    the environment, so commands need not thread the value through to `read_password`.
    """

    def callback(value: str | None) -> str | None:
        if value:
            os.environ[var] = value
        return value

    return callback


PasswordFileOpt = Annotated[
    str | None,
    typer.Option(
        "--password-file",
        callback=_to_env("LAMBDA_ARK_PASSWORD_FILE"),
        help="Read the repository password from this file (env LAMBDA_ARK_PASSWORD_FILE).",
    ),
]
PasswordCommandOpt = Annotated[
    str | None,
    typer.Option(
        "--password-command",
        callback=_to_env("LAMBDA_ARK_PASSWORD_COMMAND"),
        help="Run this command and use its output as the password (env LAMBDA_ARK_PASSWORD_COMMAND).",
    ),
]


def env_password(suffix: str = "") -> str | None:
    """The password from LAMBDA_ARK_PASSWORD{suffix}, its _FILE or its _COMMAND; never prompts.

    Explicit flags win: --password-file and --password-command set their variables, and a file or a
    command named on the command line is read before a LAMBDA_ARK_PASSWORD left in the environment.
    """
    file_var, command_var = f"LAMBDA_ARK_PASSWORD_FILE{suffix}", f"LAMBDA_ARK_PASSWORD_COMMAND{suffix}"
    if (path := os.environ.get(file_var)) is not None:
        try:
            return Path(path).expanduser().read_text().rstrip("\r\n")
        except OSError as exc:
            raise UsageError(f"cannot read password file {path} ({file_var}): {exc.strerror}") from exc
    if (command := os.environ.get(command_var)) is not None:
        return _run_password_command(command, command_var)
    return os.environ.get(f"LAMBDA_ARK_PASSWORD{suffix}")


def _run_password_command(command: str, var: str) -> str:
    try:
        argv = shlex.split(command)
    except ValueError as exc:
        raise UsageError(f"malformed password command ({var}): {exc}") from exc
    if not argv:
        raise UsageError(f"empty password command ({var})")
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise UsageError(f"password command {argv[0]!r} ({var}) failed: {exc}") from exc
    if done.returncode != 0:
        raise UsageError(f"password command {argv[0]!r} ({var}) exited {done.returncode}")
    return done.stdout.rstrip("\r\n")


def read_password(confirm: bool = False) -> str | None:
    """The password from the flags or environment (see `env_password`), else a prompt on a terminal."""
    if (pw := env_password()) is not None:
        return pw
    if sys.stdin.isatty():
        return str(typer.prompt("repository password", hide_input=True, confirmation_prompt=confirm))
    return None


def console(stderr: bool = False) -> Console:
    """A rich console that never truncates or wraps when its stream is not a terminal (a pipe, a
    file, a log): tables keep whole ids and ARNs there, so scripts can grep them."""
    stream = sys.stderr if stderr else sys.stdout
    if stream.isatty():
        return Console(stderr=stderr)
    return Console(stderr=stderr, width=100_000, no_color=True, soft_wrap=True)


def print_json(obj: Any) -> None:
    typer.echo(json.dumps(obj, indent=2, sort_keys=True, default=str))


def interactive() -> bool:
    return sys.stdout.isatty()


def note_embedded(aws: Aws, quiet: bool) -> None:
    """Say so when the embedded endpoint was chosen: its in-memory estate is empty unless populated."""
    if aws.embedded and not quiet:
        typer.echo(
            f"lambda-ark: using the embedded AWS endpoint at {aws.endpoint_url} (--endpoint-url embedded: "
            "in memory, empty until populated, gone when this process ends)",
            err=True,
        )
