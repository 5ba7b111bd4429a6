"""The `lambda-ark` command line: thin commands that parse, call the library, and render.

Each command module registers its commands on `app`; `main` turns every way a run can end into
one line on stderr and an exit code (0 ok, 1 error, 2 bad usage or input, 3 partial, 130
interrupted). No traceback reaches a user: an unexpected exception is one line naming it as a bug
(LAMBDA_ARK_DEBUG=1 shows the traceback).
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from types import FrameType
from typing import Annotated, Any, NoReturn

import typer

from .. import __version__
from ..errors import LambdaArkError
from .common import PasswordCommandOpt, PasswordFileOpt
from .transfer import LimitDownloadOpt, LimitUploadOpt, S3EndpointOpt

app = typer.Typer(
    name="lambda-ark",
    help="Backup, restore and disaster recovery for AWS Lambda estates.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"lambda-ark {__version__}")
        raise typer.Exit()


@app.callback()
def _global(
    repo: Annotated[
        str | None,
        typer.Option(
            "--repo", "-r", help="Repository URL for every command (also per command; env LAMBDA_ARK_REPOSITORY)."
        ),
    ] = None,
    password_file: PasswordFileOpt = None,
    password_command: PasswordCommandOpt = None,
    limit_upload: LimitUploadOpt = None,
    limit_download: LimitDownloadOpt = None,
    s3_endpoint: S3EndpointOpt = None,
    version: Annotated[
        bool, typer.Option("--version", is_eager=True, callback=_show_version, help="Print the version and exit.")
    ] = False,
) -> None:
    """Backup, restore and disaster recovery for AWS Lambda estates.

    Example: lambda-ark --repo s3://acme-backups/lambda backup --regions all
    """
    if repo:
        # Commands read --repo with LAMBDA_ARK_REPOSITORY as fallback; a global --repo is that fallback.
        os.environ["LAMBDA_ARK_REPOSITORY"] = repo


# Importing the command modules registers their commands on `app`.
from . import (  # noqa: E402,F401
    commands_access,
    commands_audit,
    commands_backup,
    commands_copy,
    commands_demo,
    commands_deploy,
    commands_drill,
    commands_endpoint,
    commands_export,
    commands_history,
    commands_iam,
    commands_maintenance,
    commands_policy,
    commands_replicas,
    commands_repo,
    commands_report,
    commands_restore,
    commands_run,
    commands_watch,
)

# click's exceptions, by class name: typer bundles its own copy of click (typer._click) and older
# typers use click itself, so they are recognised by name on either module rather than by identity.
_CLICK_MODULES = ("click", "typer")


def _click_class(exc: BaseException, *names: str) -> bool:
    return any(c.__name__ in names and c.__module__.split(".")[0] in _CLICK_MODULES for c in type(exc).__mro__)


def _usage_line(exc: Any) -> str:
    """click's usage error as one line: what is wrong, and where to look."""
    text = " ".join(str(exc.format_message()).split()).rstrip(".")
    ctx = getattr(exc, "ctx", None)
    where = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
    return f"lambda-ark: error: {text[:1].lower()}{text[1:]}{where}"


def _fail(line: str, code: int) -> NoReturn:
    typer.echo(line, err=True)
    sys.exit(code)


def _interrupted() -> NoReturn:
    """Ctrl-C: cleanup (locks released by `finally` blocks) is done when we get here; exit now,
    without waiting for worker threads still inside AWS calls."""
    try:
        sys.stdout.flush()
    except Exception:  # noqa: BLE001 - a closed pipe must not stop the exit
        pass
    sys.stderr.write("lambda-ark: interrupted\n")
    sys.stderr.flush()
    os._exit(130)


def main() -> None:
    interrupted = threading.Event()
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        # Remember that Ctrl-C came: click and typer turn KeyboardInterrupt into Abort or Exit(130).
        def on_sigint(signum: int, frame: FrameType | None) -> None:
            interrupted.set()
            raise KeyboardInterrupt

        signal.signal(signal.SIGINT, on_sigint)
    try:
        # standalone_mode=False hands back typer.Exit's code instead of exiting with it
        rc = app(standalone_mode=False, prog_name="lambda-ark")
    except KeyboardInterrupt:
        _interrupted()
    except LambdaArkError as exc:
        if interrupted.is_set():
            _interrupted()
        _fail(f"lambda-ark: error: {' '.join(str(exc).split())}", exc.exit_code)
    except SystemExit:
        raise
    except BaseException as exc:  # click's shapes, then anything unexpected
        if interrupted.is_set():
            _interrupted()
        _handle(exc)
    if interrupted.is_set() and rc == 130:  # typer's KeyboardInterrupt; a command that handled Ctrl-C
        _interrupted()  # itself (`endpoint` stops gracefully) ends as it chose
    if isinstance(rc, int) and rc:
        sys.exit(rc)


def _handle(exc: BaseException) -> NoReturn:
    if _click_class(exc, "NoArgsIsHelpError"):
        typer.echo(getattr(exc, "ctx").get_help(), err=True)  # noqa: B009 - typed loosely on purpose
        sys.exit(2)
    if _click_class(exc, "UsageError"):
        _fail(_usage_line(exc), 2)
    if _click_class(exc, "Exit"):
        sys.exit(int(getattr(exc, "exit_code", 0) or 0))
    if _click_class(exc, "Abort"):
        _fail("lambda-ark: aborted", 1)
    if _click_class(exc, "ClickException"):
        text = " ".join(str(getattr(exc, "format_message")()).split())  # noqa: B009
        _fail(f"lambda-ark: error: {text}", int(getattr(exc, "exit_code", 1)))
    if os.environ.get("LAMBDA_ARK_DEBUG"):
        raise exc
    text = " ".join(str(exc).split())
    _fail(
        f"lambda-ark: error: unexpected {type(exc).__name__}{': ' + text if text else ''} "
        "(a bug: please report it; LAMBDA_ARK_DEBUG=1 shows the traceback)",
        1,
    )
