"""What the trigger kinds (S3, API Gateway, EventBridge, Scheduler, SNS, CloudFront) share.

- an index from a function's unqualified ARN to the triggers that invoke it (or its versions or
  aliases), built from one scan of a service per region and read once per function;
- "would this trigger fire?": the target's resource policy, read at most once per (function,
  qualifier) per run and only for functions that have triggers;
- granting invoke permission on restore where asked to (`--fix-permissions`);
- treating "the source is gone" as data (a failed Change), not an exception.
"""

from __future__ import annotations

import fnmatch
import json
import threading
from collections import defaultdict
from typing import Any

from ..aws import call
from .base import Change, RegionContext, RestoreContext
from .common import maybe

_LOCK_KEY = "triggers.lock"


def lock(cache: dict[str, Any]) -> Any:
    """One lock per run for the trigger kinds' shared memos (capture runs functions in threads)."""
    return cache.setdefault(_LOCK_KEY, threading.Lock())


def is_function_arn(text: str) -> bool:
    parts = text.split(":")
    return len(parts) in (7, 8) and parts[0] == "arn" and parts[2] == "lambda" and parts[5] == "function"


def split_function_arn(arn: str) -> tuple[str, str | None]:
    """'arn:…:function:name[:qualifier]' -> (unqualified ARN, qualifier or None)."""
    parts = arn.split(":")
    return ":".join(parts[:7]), (parts[7] if len(parts) > 7 else None)


class FunctionIndex:
    """Triggers by the unqualified ARN of the function they invoke; `fn:3` and `fn:live` count as `fn`."""

    def __init__(self) -> None:
        self._by_fn: dict[str, list[Any]] = defaultdict(list)

    def add(self, target_arn: str, item: Any) -> None:
        self._by_fn[split_function_arn(target_arn)[0]].append(item)

    def get(self, fn: dict[str, Any]) -> list[Any]:
        return list(self._by_fn.get(split_function_arn(str(fn["FunctionArn"]))[0], []))

    def __len__(self) -> int:
        return sum(len(v) for v in self._by_fn.values())


def statements(ctx_client: Any, target_arn: str) -> list[dict[str, Any]]:
    """The resource policy statements of a (qualified) function ARN; [] when it has none."""
    unqualified, qualifier = split_function_arn(target_arn)
    args: dict[str, Any] = {"FunctionName": unqualified}
    if qualifier:
        args["Qualifier"] = qualifier
    got = maybe(ctx_client, "get_policy", **args)
    if not got:
        return []
    found = json.loads(got["Policy"]).get("Statement", [])
    return [found] if isinstance(found, dict) else list(found)


def grants(statement: dict[str, Any], principal: str, source_arn: str) -> bool:
    """Whether one statement lets `principal` invoke the function from `source_arn`."""
    if statement.get("Effect", "Allow") != "Allow":
        return False
    actions = statement.get("Action", [])
    actions = [actions] if isinstance(actions, str) else actions
    if not any(a in ("lambda:InvokeFunction", "lambda:*", "*") for a in actions):
        return False
    who = statement.get("Principal", {})
    services = who.get("Service", []) if isinstance(who, dict) else [who]
    services = [services] if isinstance(services, str) else services
    if principal not in services and "*" not in services:
        return False
    cond = statement.get("Condition", {})
    patterns = [
        v
        for op in ("ArnLike", "ArnEquals", "StringLike", "StringEquals")
        for k, v in cond.get(op, {}).items()
        if k.lower() == "aws:sourcearn"
    ]
    # Lambda's policy language: ArnLike takes * and ? globs, which fnmatch matches the same way.
    return not patterns or any(fnmatch.fnmatchcase(source_arn, p) for p in patterns)


def permitted(ctx: RegionContext, target_arn: str, principal: str, source_arn: str) -> bool:
    """Does the target's resource policy let `principal` invoke it from `source_arn`?"""
    memo = ctx.cache.setdefault("triggers.policies", {})
    if target_arn not in memo:
        found = statements(ctx.client("lambda"), target_arn)
        with lock(ctx.cache):
            memo[target_arn] = found
    return any(grants(s, principal, source_arn) for s in memo[target_arn])


def check_permission(ctx: RegionContext, kind: str, target_arn: str, principal: str, source_arn: str) -> None:
    """Warn (never fail) about a trigger that exists but whose invocations Lambda would refuse."""
    if not permitted(ctx, target_arn, principal, source_arn):
        ctx.warnings.append(
            f"{kind}: {source_arn} targets {target_arn} but its resource policy does not let "
            f"{principal} invoke it (the trigger would not fire)"
        )


def ensure_permission(ctx: RestoreContext, target_arn: str, principal: str, source_arn: str, sid: str) -> str:
    """Grant `principal` invoke from `source_arn` on `target_arn` (qualified or not) unless granted;
    runs at apply time (`--fix-permissions`). Returns what it did."""
    client = ctx.client("lambda", target_arn.split(":")[3])
    if any(s.get("Sid") == sid or grants(s, principal, source_arn) for s in statements(client, target_arn)):
        return f"{principal} may already invoke from {source_arn}"
    unqualified, qualifier = split_function_arn(target_arn)
    call(
        client,
        "add_permission",
        FunctionName=unqualified,
        StatementId=sid,
        Action="lambda:InvokeFunction",
        Principal=principal,
        SourceArn=source_arn,
        **({"Qualifier": qualifier} if qualifier else {}),
    )
    return f"let {principal} invoke from {source_arn}"


def failed(kind: str, target: str, detail: str) -> Change:
    return Change(kind, target, "failed", detail)


def json_equal(a: str | None, b: str | None) -> bool:
    """Compare two JSON documents by meaning (AWS re-serialises policies and patterns)."""
    if a is None or b is None:
        return a == b
    try:
        return bool(json.loads(a) == json.loads(b))
    except ValueError:
        return a == b
