"""AssumeRole: only a role that exists, and whose trust policy lets the caller in, can be assumed.

AWS: `AssumeRole` of a role that does not exist, or whose trust policy (`AssumeRolePolicyDocument`)
does not allow the caller `sts:AssumeRole`, or whose `sts:ExternalId` condition the request does not
meet, fails with HTTP 403 `AccessDenied`: "User: <caller ARN> is not authorized to perform:
sts:AssumeRole on resource: <role ARN>". A trust policy's `Principal` `{"AWS": "<account id>"}` or
`arn:aws:iam::<id>:root` admits any principal of that account, `arn:aws:iam::<id>:role/<name>`
sessions of that role, `*` anyone; an explicit Deny wins.

moto: "the role does not need to exist": any ARN is assumed, the trust policy and ExternalId are
ignored. A cross-account backup must fail for an account that does not trust it, here as on AWS.

Evaluated here: Allow/Deny statements, `Action` (sts:AssumeRole, sts:*, *, lists, wildcards),
`Principal` as above, and conditions with StringEquals / StringLike / StringNotEquals /
StringNotLike (and their IfExists forms) on `sts:ExternalId`, `sts:RoleSessionName`,
`aws:PrincipalAccount`, `aws:PrincipalArn`. Any other condition is taken as not met (stricter than
AWS, never kinder). The caller's own IAM permissions are not checked (moto checks none).
"""

from __future__ import annotations

import fnmatch
import json
import re
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

from moto.iam.models import iam_backends
from moto.sts import models as sts_models
from moto.sts.responses import TokenResponse

_original: Callable[[TokenResponse], Any] | None = None
_ROLE = re.compile(r"arn:(aws[a-z-]*):iam::(\d{12}):role/(.+)")
_OPERATORS: dict[str, tuple[Callable[[str, str], bool], bool]] = {
    "StringEquals": (lambda value, pattern: value == pattern, False),
    "StringLike": (lambda value, pattern: fnmatch.fnmatchcase(value, pattern), False),
    "StringNotEquals": (lambda value, pattern: value != pattern, True),
    "StringNotLike": (lambda value, pattern: not fnmatch.fnmatchcase(value, pattern), True),
}


def _caller(response: TokenResponse) -> tuple[str, str, str | None]:
    """(account, ARN as AWS names it in errors, ARN of the IAM role behind an assumed-role session)."""
    account = response.current_account
    key = response.get_access_key()
    backend = sts_models.sts_backends[account]["aws"]
    assumed = backend.get_assumed_role_from_access_key(key)
    if assumed is not None:
        return account, assumed.arn, assumed.role_arn
    user = iam_backends[account]["global"].get_user_from_access_key_id(key)
    return account, (user.arn if user else f"arn:aws:iam::{account}:root"), None


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _principal_matches(principal: Any, account: str, caller_arn: str, role_arn: str | None) -> bool:
    if principal == "*":
        return True
    if not isinstance(principal, dict):
        return False
    for entry in _listed(principal.get("AWS", [])):
        entry = str(entry)
        if entry == "*" or entry in (account, f"arn:aws:iam::{account}:root"):
            return True
        if entry in (caller_arn, role_arn):
            return True
    return False


def _action_matches(action: Any) -> bool:
    return any(fnmatch.fnmatchcase("sts:assumerole", str(a).lower()) for a in _listed(action))


def _conditions_met(conditions: Any, context: dict[str, str | None]) -> bool:
    if not isinstance(conditions, dict):
        return not conditions
    for operator, tests in conditions.items():
        base = operator.removesuffix("IfExists")
        if base not in _OPERATORS or not isinstance(tests, dict):
            return False  # an operator not evaluated here is taken as not met
        compare, negated = _OPERATORS[base]
        for key, patterns in tests.items():
            if key.lower() not in context:
                return False
            value = context[key.lower()]
            if value is None:
                if operator.endswith("IfExists") or negated:
                    continue
                return False
            matches = [compare(value, str(p)) for p in _listed(patterns)]
            if not (all(matches) if negated else any(matches)):
                return False
    return True


def allowed(document: str, account: str, caller_arn: str, role_arn: str | None, context: dict[str, str | None]
            ) -> bool:
    """Whether a trust policy lets this caller assume its role (explicit Deny wins)."""
    try:
        policy = json.loads(unquote(document)) if document else {}
    except ValueError:
        return False
    allow = False
    for statement in _listed(policy.get("Statement", [])):
        if not isinstance(statement, dict) or not _action_matches(statement.get("Action", [])):
            continue
        if not _principal_matches(statement.get("Principal"), account, caller_arn, role_arn):
            continue
        if not _conditions_met(statement.get("Condition", {}), context):
            continue
        if statement.get("Effect") == "Deny":
            return False
        allow = allow or statement.get("Effect") == "Allow"
    return allow


def _denied(caller_arn: str, role_arn: str) -> tuple[str, dict[str, Any]]:
    body = (
        '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>'
        f"<Code>AccessDenied</Code><Message>User: {caller_arn} is not authorized to perform: sts:AssumeRole "
        f"on resource: {role_arn}</Message></Error><RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>"
    )
    return body, {"status": 403, "Content-Type": "text/xml"}


def assume_role(self: TokenResponse) -> Any:
    role_arn = str(self._get_param("RoleArn") or "")
    account, caller_arn, caller_role = _caller(self)
    m = _ROLE.fullmatch(role_arn)
    role = None
    if m is not None:
        iam = iam_backends[m.group(2)]["global"]
        role = next((r for r in iam.get_roles() if r.arn == role_arn), None)
    context = {
        "sts:externalid": self._get_param("ExternalId"),
        "sts:rolesessionname": self._get_param("RoleSessionName"),
        "aws:principalaccount": account,
        "aws:principalarn": caller_role or caller_arn,
    }
    if role is None or not allowed(role.assume_role_policy_document, account, caller_arn, caller_role, context):
        return _denied(caller_arn, role_arn)
    assert _original is not None
    return _original(self)


def apply() -> None:
    global _original
    _original = TokenResponse.assume_role
    TokenResponse.assume_role = assume_role  # type: ignore[method-assign]
