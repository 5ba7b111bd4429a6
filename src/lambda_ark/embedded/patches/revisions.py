"""Revision ids of functions, versions and aliases (shared by the patches that change them).

AWS keeps one RevisionId per function version ($LATEST or a number) and per alias, and every
`RevisionId` request parameter is checked against it (PreconditionFailedException, HTTP 412, on
mismatch). The resource policy of a function version or alias reports its own id, which starts as
the holder's and moves on with every permission change (`bump_policy`).
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


def bump_policy(policy: Any) -> str:
    """A permission changed: the policy gets a new id, its function version or alias keeps its own."""
    policy.revision = str(mock_random.uuid4())
    return str(policy.revision)


def check_policy(holder: Any, policy: Any, expected: str | None) -> None:
    """AddPermission/RemovePermission's `RevisionId`: the policy's current id (as GetPolicy gives it)."""
    if expected and expected != (getattr(policy, "revision", None) or revision_of(holder)):
        raise PreconditionFailedException(
            "The Revision Id provided does not match the latest Revision Id. "
            "Call the GetPolicy API to retrieve the latest Revision Id"
        )


def check(holder: Any, expected: str | None) -> None:
    """Enforce a request's optional `RevisionId` precondition."""
    if expected and expected != revision_of(holder):
        raise PreconditionFailedException(
            "The Revision Id provided does not match the latest Revision Id. "
            "Call the GetFunction/GetAlias API to retrieve the latest Revision Id"
        )
