"""The function URL configuration (auth type, CORS, invoke mode), for the function and its aliases."""

from __future__ import annotations

from functools import partial
from typing import Any

from ..aws import call
from . import iac
from .base import Change, RegionContext, RestoreContext
from .common import differing, maybe, pages

NAME = "url"
SERVICE = "lambda"
PERMISSIONS = ("lambda:ListFunctionUrlConfigs", "lambda:GetFunctionUrlConfig", "lambda:CreateFunctionUrlConfig",
               "lambda:UpdateFunctionUrlConfig")
SCOPE = "function"
ORDER_REASON = "after aliases it may be attached to; before policy, whose FunctionUrlAuthType statements it needs"
# Each function's restore at this step touches only that function: safe to run them in parallel.
PARALLEL = True
# What of the Lambda API this kind records (see function.RECORDED): all of CreateFunctionUrlConfig.
RECORDED: dict[str, tuple[str, ...]] = {
    "CreateFunctionUrlConfig": ("FunctionName", "Qualifier", "AuthType", "Cors", "InvokeMode"),
}


def _fields(conf: dict[str, Any]) -> dict[str, Any]:
    out = {"AuthType": conf["AuthType"], "InvokeMode": conf.get("InvokeMode", "BUFFERED")}
    if conf.get("Cors"):
        out["Cors"] = conf["Cors"]
    return out


def discover(ctx: RegionContext) -> None:
    return None


def capture(ctx: RegionContext, index: Any, fn: dict[str, Any]) -> dict[str, dict[str, Any]] | None:
    client = ctx.client("lambda")
    out: dict[str, dict[str, Any]] = {}
    for conf in pages(client, "list_function_url_configs", "FunctionUrlConfigs", FunctionName=fn["FunctionName"]):
        parts = conf["FunctionArn"].split(":")
        out[parts[7] if len(parts) > 7 else ""] = _fields(conf)
    return out or None


def plan(ctx: RestoreContext, record: dict[str, Any], data: dict[str, dict[str, Any]]) -> list[Change]:
    region, name = ctx.target_region(record), ctx.target_name(record)
    client = ctx.client("lambda", region)
    changes = []
    for qualifier, want in data.items():  # "" or an alias name: aliases keep their names
        q_args: dict[str, Any] = {"Qualifier": qualifier} if qualifier else {}
        target = f"{name}{':' + qualifier if qualifier else ''} URL ({region})"
        live = maybe(client, "get_function_url_config", FunctionName=name, **q_args)
        if live is not None and _fields(live) == want:
            changes.append(Change(NAME, target, "unchanged"))
            continue
        operation = "create_function_url_config" if live is None else "update_function_url_config"
        fields = [] if live is None else differing(want, _fields(live))
        changes.append(
            Change(
                NAME,
                target,
                "create" if live is None else "update",
                want["AuthType"],
                fields=fields,
                apply=partial(call, client, operation, FunctionName=name, **q_args, **want),
            )
        )
    return changes


def to_iac(record: dict[str, Any], data: dict[str, dict[str, Any]]) -> iac.Fragment:
    frag = iac.Fragment()
    for q, conf in data.items():
        if q and q not in iac.exported_aliases(record):
            frag.notes.append(f"{iac.function_name(record)}: the URL of alias {q} is not exported (the alias is not)")
            continue
        depends = [iac.alias_id(record, q)] if q else []  # the URL of an alias needs the alias first
        target = {"Fn::GetAtt": [iac.function_id(record), "Arn"]}
        frag.add(iac.logical("Fn", iac.function_name(record), "Url", q), "AWS::Lambda::Url",
                 {"TargetFunctionArn": target, "Qualifier": q or None, **conf}, depends_on=depends)
    return frag
