"""The `lambda-ark` command line: thin commands that parse, call the library, and render.

Each command module registers its commands on `app`; `main` maps lambda-ark errors to one-line
messages and exit codes (0 ok, 1 error, 2 bad usage or input, 3 partial).
"""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from ..errors import LambdaArkError

app = typer.Typer(
    name="lambda-ark",
    help="Backup, restore and disaster recovery for AWS Lambda estates.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


@app.callback()
def _global(
    repo: Annotated[
        str | None,
        typer.Option(
            "--repo", "-r", help="Repository URL for every command (also per command; env LAMBDA_ARK_REPOSITORY)."
        ),
    ] = None,
) -> None:
    """Backup, restore and disaster recovery for AWS Lambda estates.

    Example: lambda-ark --repo s3://acme-backups/lambda backup --regions all
    """
    if repo:
        # Commands read --repo with LAMBDA_ARK_REPOSITORY as fallback; a global --repo is that fallback.
        os.environ["LAMBDA_ARK_REPOSITORY"] = repo


# Importing the command modules registers their commands on `app`.
from . import (  # noqa: E402,F401
    commands_backup,
    commands_copy,
    commands_demo,
    commands_endpoint,
    commands_maintenance,
    commands_repo,
    commands_restore,
)


def main() -> None:
    try:
        # standalone_mode=False hands back typer.Exit's code instead of exiting with it
        rc = app(standalone_mode=False)
    except LambdaArkError as exc:
        typer.echo(f"lambda-ark: error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        typer.echo("lambda-ark: aborted", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        typer.echo("lambda-ark: interrupted", err=True)
        sys.exit(130)
    except Exception as exc:  # click usage errors and anything unexpected
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        raise
    if isinstance(rc, int) and rc:
        sys.exit(rc)
