"""Whether a function's resource policy lets a service invoke it: what AWS checks when a service is
wired to a function (CloudWatch Logs `PutSubscriptionFilter`, ELB `RegisterTargets`, SES receipt
rules) and refuses when the policy does not.

Used by the patches that make those calls check the policy (moto accepts them without looking).
Read from the per-qualifier policies the `policies` patch keeps; evaluated as Lambda evaluates a
resource policy for a service principal: an Allow of `lambda:InvokeFunction` (or `lambda:*`, `*`) to
that service (or `*`), whose `AWS:SourceArn` conditions (ArnLike / ArnEquals / StringLike /
StringEquals, `*` and `?` globs) match the source and whose `AWS:SourceAccount` (if any) is the
source's account.
"""

from __future__ import annotations

import fnmatch
import json
from typing import Any

from moto.awslambda.utils import get_backend

from .patches.policies import holder_and_policy

_ACTIONS = ("lambda:InvokeFunction", "lambda:*", "*")


def function_exists(account: str, region: str, function_arn: str) -> bool:
    try:
        holder_and_policy(get_backend(account, region), function_arn, None)
    except Exception:  # noqa: BLE001 - moto's not-found errors have no common base
        return False
    return True


def allows(account: str, region: str, function_arn: str, principals: tuple[str, ...], source_arn: str,
           source_account: str = "") -> bool:
    """Does the policy of `function_arn` (qualified or not) let one of `principals` invoke it from
    `source_arn`? False also when the function does not exist."""
    try:
        _, policy = holder_and_policy(get_backend(account, region), function_arn, None)
    except Exception:  # noqa: BLE001
        return False
    return any(_grants(s, principals, source_arn, source_account) for s in policy.statements)


def _grants(statement: dict[str, Any], principals: tuple[str, ...], source_arn: str, source_account: str) -> bool:
    if statement.get("Effect", "Allow") != "Allow":
        return False
    actions = statement.get("Action", [])
    if not any(a in _ACTIONS for a in ([actions] if isinstance(actions, str) else actions)):
        return False
    who = statement.get("Principal", {})
    services = who.get("Service", []) if isinstance(who, dict) else who
    services = [services] if isinstance(services, str) else services
    if "*" not in services and not set(principals) & set(services):
        return False
    conditions = statement.get("Condition", {})
    if isinstance(conditions, str):
        conditions = json.loads(conditions)
    for op in ("ArnLike", "ArnEquals", "StringLike", "StringEquals"):
        for key, value in conditions.get(op, {}).items():
            values = [value] if isinstance(value, str) else value
            if key.lower() == "aws:sourcearn" and not any(fnmatch.fnmatchcase(source_arn, v) for v in values):
                return False
            if key.lower() == "aws:sourceaccount" and source_account and source_account not in values:
                return False
    return True
