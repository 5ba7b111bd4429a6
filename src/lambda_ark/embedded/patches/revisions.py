"""Revision ids of functions, versions and aliases (shared by the patches that change them).

AWS keeps one RevisionId per function version ($LATEST or a number) and per alias; the resource
policy of that function version or alias reports the same id, and every `RevisionId` request
parameter is checked against it (PreconditionFailedException, HTTP 412, on mismatch).
"""

from __future__ import annotations

from typing import Any

from moto.awslambda.exceptions import PreconditionFailedException
from moto.awslambda.models import LambdaAlias
from moto.moto_api._internal import mock_random

_FUNCTION_ATTR = "_ark_revision_id"


def _attr(holder: Any) -> str:
    # moto's aliases already carry `revision_id`; functions get ours.
    return "revision_id" if isinstance(holder, LambdaAlias) else _FUNCTION_ATTR


def revision_of(holder: Any) -> str:
    """The current revision id of a function version or alias (assigned on first sight)."""
    rid: str | None = holder.__dict__.get(_attr(holder))
    if rid is None:
        rid = set_revision(holder, str(mock_random.uuid4()))
    return rid


def set_revision(holder: Any, rid: str) -> str:
    setattr(holder, _attr(holder), rid)
    policy = policy_of(holder)
    if policy is not None:
        # The policy's RevisionId is the function's (or alias's): one counter, as in AWS.
        policy.revision = rid
    return rid


def bump(holder: Any) -> str:
    """Record a change: a new revision id."""
    return set_revision(holder, str(mock_random.uuid4()))


def policy_of(holder: Any) -> Any:
    """The resource policy object of a function version or alias, if it has one yet."""
    if isinstance(holder, LambdaAlias):
        return holder.__dict__.get("_ark_policy")
    return holder.__dict__.get("policy")


def check(holder: Any, expected: str | None) -> None:
    """Enforce a request's optional `RevisionId` precondition."""
    if expected and expected != revision_of(holder):
        raise PreconditionFailedException(
            "The Revision Id provided does not match the latest Revision Id. "
            "Call the GetFunction/GetAlias API to retrieve the latest Revision Id"
        )
