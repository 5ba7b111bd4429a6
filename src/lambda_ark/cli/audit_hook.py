"""`audited(...)`: the few lines each repository command wraps its library call in."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import typer

from ..audit import Draft, record
from ..errors import LambdaArkError, describe

if TYPE_CHECKING:
    from ..aws import Aws
    from ..repository import Repository


@contextlib.contextmanager
def audited(repo: Repository, command: str, scope: dict[str, Any] | None = None,
            aws: Aws | None = None) -> Iterator[Draft]:
    """Record the operation's event when the block ends, however it ends. The block fills in
    snapshots and counts (and `outcome`, when its result says partial)."""
    draft = Draft(command=command, scope={k: v for k, v in (scope or {}).items() if v not in (None, [], {})})
    try:
        yield draft
    except KeyboardInterrupt:
        draft.outcome = "interrupted"
        raise
    except BaseException as exc:
        code = getattr(exc, "exit_code", None)  # typer.Exit, click's Exit, LambdaArkError: what it exits with
        if isinstance(exc, LambdaArkError) or code is None:
            draft.outcome, draft.error = "partial" if code == 3 else "error", describe(exc)
        elif code and draft.outcome == "ok":
            draft.outcome = "partial" if code == 3 else "error"
        raise
    finally:
        if (problem := record(repo, draft, aws)) is not None:
            typer.echo(f"warning: {problem}", err=True)
