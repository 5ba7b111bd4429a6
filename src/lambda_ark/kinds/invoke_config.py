"""Asynchronous invocation settings: retries, maximum event age, on-success/on-failure destinations."""

from __future__ import annotations

from functools import partial
from typing import Any

from ..aws import call
from . import iac
from .base import Change, RegionContext, RestoreContext
from .common import differing, maybe, pages

NAME = "invoke_config"
SERVICE = "lambda"
PERMISSIONS = ("lambda:ListFunctionEventInvokeConfigs", "lambda:GetFunctionEventInvokeConfig",
               "lambda:PutFunctionEventInvokeConfig")
SCOPE = "function"
ORDER_REASON = "after versions and aliases it may be set on; destinations are other resources, remapped"
_FIELDS = ("MaximumRetryAttempts", "MaximumEventAgeInSeconds", "DestinationConfig")
# Each function's restore at this step touches only that function: safe to run them in parallel.
PARALLEL = True
# What of the Lambda API this kind records (see function.RECORDED): all of PutFunctionEventInvokeConfig.
RECORDED: dict[str, tuple[str, ...]] = {
    "PutFunctionEventInvokeConfig": ("FunctionName", "Qualifier", *_FIELDS),
}


def _fields(conf: dict[str, Any]) -> dict[str, Any]:
    out = {k: conf[k] for k in _FIELDS if conf.get(k) not in (None, {})}
    dest = out.get("DestinationConfig")
    if dest is not None:  # AWS returns empty OnSuccess/OnFailure blocks; they mean "none"
        dest = {k: v for k, v in dest.items() if v and v.get("Destination")}
        if dest:
            out["DestinationConfig"] = dest
        else:
            out.pop("DestinationConfig")
    return out


def discover(ctx: RegionContext) -> None:
    return None


def capture(ctx: RegionContext, index: Any, fn: dict[str, Any]) -> dict[str, dict[str, Any]] | None:
    out: dict[str, dict[str, Any]] = {}
    for conf in pages(
        ctx.client("lambda"),
        "list_function_event_invoke_configs",
        "FunctionEventInvokeConfigs",
        FunctionName=fn["FunctionName"],
    ):
        parts = conf["FunctionArn"].split(":")
        q = parts[7] if len(parts) > 7 and parts[7] != "$LATEST" else ""
        out[q] = _fields(conf)
    return out or None


def plan(ctx: RestoreContext, record: dict[str, Any], data: dict[str, dict[str, Any]]) -> list[Change]:
    region, name = ctx.target_region(record), ctx.target_name(record)
    client = ctx.client("lambda", region)
    changes = []
    for qualifier, conf in data.items():
        q = ctx.version(record, qualifier)
        target = f"{name}{':' + q if q else ''} invoke config ({region})"
        live = None
        if not ctx.version_unknown(record, qualifier):
            q_args: dict[str, Any] = {"Qualifier": q} if q else {}
            live = maybe(client, "get_function_event_invoke_config", FunctionName=name, **q_args)
        want: dict[str, Any] = ctx.mapper.map_obj(conf)
        if live is not None and _fields(live) == want:
            changes.append(Change(NAME, target, "unchanged"))
            continue
        fields = [] if live is None else differing(want, _fields(live))
        changes.append(
            Change(
                NAME,
                target,
                "create" if live is None else "update",
                fields=fields,
                apply=partial(_put, ctx, client, name, record, qualifier, conf),
            )
        )
    return changes


def _put(ctx: RestoreContext, client: Any, name: str, record: dict[str, Any], qualifier: str,
         conf: dict[str, Any]) -> None:
    q = ctx.version(record, qualifier)
    q_args: dict[str, Any] = {"Qualifier": q} if q else {}
    call(client, "put_function_event_invoke_config", FunctionName=name, **q_args, **ctx.mapper.map_obj(conf))


def to_iac(record: dict[str, Any], data: dict[str, dict[str, Any]]) -> iac.Fragment:
    frag = iac.Fragment()
    for q, conf in data.items():
        depends: list[str] = []
        qualifier: Any = "$LATEST"
        if q.isdigit():
            qualifier = iac.version_value(record, q)
            if qualifier is None:
                frag.notes.append(f"{iac.function_name(record)}: the invoke config of version {q} is not exported "
                                  "(the version is not)")
                continue
        elif q:
            if q not in iac.exported_aliases(record):
                frag.notes.append(f"{iac.function_name(record)}: the invoke config of alias {q} is not exported "
                                  "(the alias is not)")
                continue
            qualifier, depends = q, [iac.alias_id(record, q)]
        frag.add(iac.logical("Fn", iac.function_name(record), "InvokeConfig", q), "AWS::Lambda::EventInvokeConfig",
                 {"FunctionName": {"Ref": iac.function_id(record)}, "Qualifier": qualifier, **conf},
                 depends_on=depends)
    return frag
