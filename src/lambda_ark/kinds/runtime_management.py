"""Runtime management: when Lambda moves the function to a new runtime version ("Auto", AWS's default;
"FunctionUpdate"; or "Manual", pinned to `RuntimeVersionArn`).

Recorded for $LATEST, whenever GetRuntimeManagementConfig answers. Published versions are restored
from $LATEST and start from its setting. A runtime version ARN is regional
(`arn:aws:lambda:<region>::runtime:<id>`), so it goes through the ARN mapper: restoring a pinned
function into another region pins it to the same runtime version there (AWS refuses it if that
version is not offered there, and the change fails saying so). Container images bring their own
runtime: they are not asked.
"""

from __future__ import annotations

from typing import Any

from ..aws import call
from ..errors import AwsError
from . import iac
from .base import Action, Change, RegionContext, RestoreContext
from .common import maybe, optional, unavailable

NAME = "runtime_management"
SERVICE = "lambda"
PERMISSIONS = ("lambda:GetRuntimeManagementConfig", "lambda:PutRuntimeManagementConfig")
SCOPE = "function"
ORDER_REASON = "a setting of the function's $LATEST: right after it, before versions are published from it"
# One function's setting touches nothing another's does.
PARALLEL = True
DEFAULT = {"UpdateRuntimeOn": "Auto"}  # what a new function has


def _fields(got: dict[str, Any]) -> dict[str, str]:
    out = {"UpdateRuntimeOn": str(got["UpdateRuntimeOn"])}
    if got.get("RuntimeVersionArn"):  # answered with "Manual" only
        out["RuntimeVersionArn"] = str(got["RuntimeVersionArn"])
    return out


def discover(ctx: RegionContext) -> None:
    return None


def capture(ctx: RegionContext, index: Any, fn: dict[str, Any]) -> dict[str, str] | None:
    if fn.get("PackageType") == "Image":
        return None
    got = optional(ctx, "get_runtime_management_config", FunctionName=fn["FunctionName"])
    if got is None or not got.get("UpdateRuntimeOn"):
        return None
    return _fields(got)


def plan(ctx: RestoreContext, record: dict[str, Any], data: dict[str, str]) -> list[Change]:
    region, name = ctx.target_region(record), ctx.target_name(record)
    client = ctx.client("lambda", region)
    target = f"{name} runtime updates ({region})"
    want: dict[str, str] = ctx.mapper.map_obj(data)
    try:
        live = maybe(client, "get_runtime_management_config", FunctionName=name)  # None: function still to create
    except AwsError as exc:
        if not unavailable(exc):
            raise
        return [Change(NAME, target, "skipped", f"not available in {region}: {exc}")]
    if live is not None and _fields(live) == want:
        return [Change(NAME, target, "unchanged")]
    if live is None and want == DEFAULT:  # the function is created with it: nothing to put
        return [Change(NAME, target, "unchanged", "AWS's default")]

    def apply() -> str | None:
        call(client, "put_runtime_management_config", FunctionName=name, **want)
        return None

    action: Action = "create" if live is None else "update"
    fields = sorted(k for k in set(want) | set(_fields(live) if live else {}) if want.get(k) != (live or {}).get(k))
    return [Change(NAME, target, action, want["UpdateRuntimeOn"], fields=fields, apply=apply)]


def to_iac(record: dict[str, Any], data: dict[str, str]) -> iac.Fragment:
    # No resource of its own: RuntimeManagementConfig is a property of AWS::Lambda::Function.
    return iac.Fragment(patches={iac.function_id(record): {"RuntimeManagementConfig": dict(data)}})
