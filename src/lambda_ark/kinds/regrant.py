"""The source's invoke permission, again, for a trigger source that comes back under another ARN.

Most sources keep their ARN across a restore up to region and account (a rule, a topic, a log group
are named), so the policy kind's mapped statements already let them in. Some get a new identity in
the target: a target group (its ARN ends in a random id), a Cognito user pool (its id), a secret
(its ARN suffix), an AppSync API (its id). For those, the source statement that let the old source
invoke the function is added again naming the new source, under a statement id derived from the
source statement's and the new ARN (deterministic, so a second restore finds it). The policy kind's
mapped copy still names the old ARN: harmless, since nothing has that ARN in the target.

A source the source policy never let in stays so (with a warning), unless `--fix-permissions`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import partial
from typing import Any

from ..aws import call
from .base import Change, RestoreContext
from .policy import NAME as POLICY
from .policy import permission_args
from .triggers import ensure_permission, grants, split_function_arn, statements


def source_statement(
    record: dict[str, Any], function_arn: str, principal: str, source_arn: str
) -> dict[str, Any] | None:
    """The recorded statement that let `principal` invoke `function_arn` (its qualifier's policy) from
    `source_arn`, or None."""
    qualifier = split_function_arn(function_arn)[1] or ""
    recorded = ((record.get("items") or {}).get(POLICY) or {}).get(qualifier, [])
    return next((s for s in recorded if grants(s, principal, source_arn)), None)


def regrant_sid(sid: str, new_source: str) -> str:
    """A statement id for the source's statement naming `new_source` (≤ 100 characters)."""
    return f"{sid[:80]}-{hashlib.sha256(new_source.encode()).hexdigest()[:12]}"


def granted(ctx: RestoreContext, target_fn: str, principal: str, source_arn: str) -> bool:
    """Does the live target function (or alias) let `principal` invoke from `source_arn`?"""
    client = ctx.client("lambda", target_fn.split(":")[3])
    return any(grants(s, principal, source_arn) for s in statements(client, target_fn))


def plan_regrant(
    ctx: RestoreContext,
    kind: str,
    record: dict[str, Any],
    function_arn: str,
    principal: str,
    old_source: str,
    new_source: str | None,
    resolve: Callable[[], str],
) -> Change | None:
    """The permission `principal` needs to invoke the restored `function_arn` (source form) from the
    target's source; None when the policy kind's restored statements already cover it.

    `new_source` is the target source's ARN when planning knows it; None when this restore creates
    the source (then `resolve()` gives its ARN when the change applies).
    """
    statement = source_statement(record, function_arn, principal, old_source)
    if statement is not None and "SourceArn" not in permission_args(statement):
        return None  # any source of that principal: the mapped statement already lets the new one in
    if new_source is not None and new_source == ctx.mapper.arn(old_source):
        return None
    if statement is not None and new_source is not None and grants(ctx.mapper.map_obj(statement), principal,
                                                                    new_source):
        return None  # a pattern that still matches once mapped
    label = f"{ctx.mapper.arn(function_arn)} invoke permission for {principal}"
    if statement is None and not ctx.fix_permissions:
        ctx.warn(f"{kind}: the source did not let {old_source} invoke {function_arn}, so the restored source "
                 "may not either (the trigger would not fire, as before); --fix-permissions adds it")
        return None
    if new_source is not None and not ctx.arn_unknown(function_arn) and granted(
        ctx, ctx.mapper.arn(function_arn), principal, new_source
    ):
        return Change(kind, label, "unchanged", f"{new_source} may invoke")
    why = "the source's permission, for the source's new ARN" if statement else "--fix-permissions"
    return Change(kind, label, "create", why, apply=partial(_grant, ctx, function_arn, principal, statement, resolve))


def _grant(
    ctx: RestoreContext, function_arn: str, principal: str, statement: dict[str, Any] | None, resolve: Callable[[], str]
) -> str:
    target = ctx.mapper.arn(function_arn)  # now: a republished version has its number
    new_source = resolve()
    if statement is None:
        return ensure_permission(ctx, target, principal, new_source, regrant_sid("lambda-ark", new_source))
    if granted(ctx, target, principal, new_source):
        return f"{new_source} may already invoke"
    args: dict[str, Any] = ctx.mapper.map_obj(permission_args(statement))
    for key in ("SourceAccount", "Principal"):
        if isinstance(args.get(key), str) and args[key].isdigit():
            args[key] = ctx.mapper.account(args[key])
    args["SourceArn"] = new_source
    args["StatementId"] = regrant_sid(str(statement["Sid"]), new_source)
    unqualified, qualifier = split_function_arn(target)
    client = ctx.client("lambda", target.split(":")[3])
    call(client, "add_permission", FunctionName=unqualified, **({"Qualifier": qualifier} if qualifier else {}), **args)
    return f"let {principal} invoke from {new_source}"
