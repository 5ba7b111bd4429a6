"""The one call every repository operation makes when it ends: append its event, never fail it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import describe
from .events import Draft
from .log import append

if TYPE_CHECKING:
    from ..aws import Aws
    from ..repository import Repository


def principal(aws: Aws) -> str | None:
    """The AWS caller's ARN (user or assumed role), or None when STS cannot say."""
    from ..aws import call

    try:
        return str(call(aws.client("sts"), "get_caller_identity")["Arn"])
    except Exception:  # noqa: BLE001 - who called is worth recording, not worth failing over
        return None


def record(repo: Repository, draft: Draft, aws: Aws | None = None) -> str | None:
    """Append the operation's event; a warning line when it could not be written (the operation's
    own outcome stands: its snapshot is there, and `audit verify` will not find a gap either)."""
    if draft.principal is None and aws is not None:
        draft.principal = principal(aws)
    try:
        append(repo, draft)
    except Exception as exc:  # noqa: BLE001 - an unreachable repository must not hide the result
        return f"audit log: the {draft.command} event was not written: {describe(exc)}"
    return None
