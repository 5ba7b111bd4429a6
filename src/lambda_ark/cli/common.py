"""Options and helpers shared by the command modules."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

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
        help="Send every AWS call to this endpoint (LocalStack, `lambda-ark endpoint`).",
    ),
]


def read_password(confirm: bool = False) -> str | None:
    """LAMBDA_ARK_PASSWORD, then LAMBDA_ARK_PASSWORD_FILE, then a prompt on a terminal."""
    if (pw := os.environ.get("LAMBDA_ARK_PASSWORD")) is not None:
        return pw
    if (path := os.environ.get("LAMBDA_ARK_PASSWORD_FILE")) is not None:
        try:
            return Path(path).read_text().rstrip("\n")
        except OSError as exc:
            raise UsageError(f"cannot read LAMBDA_ARK_PASSWORD_FILE {path}: {exc.strerror}") from exc
    if sys.stdin.isatty():
        return str(typer.prompt("repository password", hide_input=True, confirmation_prompt=confirm))
    return None


def print_json(obj: Any) -> None:
    typer.echo(json.dumps(obj, indent=2, sort_keys=True, default=str))


def interactive() -> bool:
    return sys.stdout.isatty()


def note_embedded(aws: Aws, quiet: bool) -> None:
    """Say so when no credentials were found: an in-memory estate is empty unless populated."""
    if aws.embedded and not quiet:
        typer.echo(
            f"lambda-ark: no AWS credentials found; using the embedded AWS endpoint at {aws.endpoint_url} "
            "(in memory, for trying lambda-ark; configure credentials or --endpoint-url for a real estate)",
            err=True,
        )
