"""Recursive loop detection: whether Lambda stops a function caught calling itself through other
services ("Terminate", AWS's default) or lets it loop ("Allow").

Recorded whenever GetFunctionRecursionConfig answers, default included, so a restore puts back
exactly what was there. Where the API is unavailable (an endpoint without it, a role without the
permission) backup warns once per region and records nothing, and restore skips with a reason.
"""

from __future__ import annotations

from typing import Any

from ..aws import call
from ..errors import AwsError
from . import iac
from .base import Action, Change, RegionContext, RestoreContext
from .common import maybe, optional, unavailable

NAME = "recursion"
SERVICE = "lambda"
PERMISSIONS = ("lambda:GetFunctionRecursionConfig", "lambda:PutFunctionRecursionConfig")
SCOPE = "function"
ORDER_REASON = "a setting of the function alone: right after it, before anything that may invoke it"
# One function's setting touches nothing another's does.
PARALLEL = True
DEFAULT = "Terminate"  # what a new function has


def discover(ctx: RegionContext) -> None:
    return None


def capture(ctx: RegionContext, index: Any, fn: dict[str, Any]) -> dict[str, str] | None:
    got = optional(ctx, "get_function_recursion_config", FunctionName=fn["FunctionName"])
    if got is None or not got.get("RecursiveLoop"):
        return None
    return {"RecursiveLoop": str(got["RecursiveLoop"])}


def plan(ctx: RestoreContext, record: dict[str, Any], data: dict[str, str]) -> list[Change]:
    region, name = ctx.target_region(record), ctx.target_name(record)
    client = ctx.client("lambda", region)
    target = f"{name} recursive loop ({region})"
    want = data["RecursiveLoop"]
    try:
        live = maybe(client, "get_function_recursion_config", FunctionName=name)  # None: function still to create
    except AwsError as exc:
        if not unavailable(exc):
            raise
        return [Change(NAME, target, "skipped", f"not available in {region}: {exc}")]
    if live is not None and live.get("RecursiveLoop") == want:
        return [Change(NAME, target, "unchanged")]
    if live is None and want == DEFAULT:  # the function is created with it: nothing to put
        return [Change(NAME, target, "unchanged", "AWS's default")]

    def apply() -> str | None:
        call(client, "put_function_recursion_config", FunctionName=name, RecursiveLoop=want)
        return None

    action: Action = "create" if live is None else "update"
    return [Change(NAME, target, action, want, fields=["RecursiveLoop"], apply=apply)]


def to_iac(record: dict[str, Any], data: dict[str, str]) -> iac.Fragment:
    # No resource of its own: RecursiveLoop is a property of AWS::Lambda::Function.
    return iac.Fragment(patches={iac.function_id(record): {"RecursiveLoop": data["RecursiveLoop"]}})
