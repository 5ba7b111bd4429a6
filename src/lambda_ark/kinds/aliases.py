"""Aliases, with weighted routing, pointed at the republished version numbers."""

from __future__ import annotations

from functools import partial
from typing import Any

from ..aws import call
from . import iac
from .base import Change, RegionContext, RestoreContext
from .common import aliases_of, maybe

NAME = "aliases"
SERVICE = "lambda"
PERMISSIONS = ("lambda:ListAliases", "lambda:GetAlias", "lambda:CreateAlias", "lambda:UpdateAlias")
SCOPE = "function"
ORDER_REASON = "after versions, whose new numbers they point at"
# Each function's restore at this step touches only that function: safe to run them in parallel.
PARALLEL = True
# What of the Lambda API this kind records (see function.RECORDED): all of CreateAlias.
RECORDED: dict[str, tuple[str, ...]] = {
    "CreateAlias": ("FunctionName", "Name", "FunctionVersion", "Description", "RoutingConfig"),
}


def discover(ctx: RegionContext) -> None:
    return None


def capture(ctx: RegionContext, index: Any, fn: dict[str, Any]) -> list[dict[str, Any]] | None:
    out = [
        {
            "name": a["Name"],
            "function_version": a["FunctionVersion"],
            "description": a.get("Description", ""),
            "weights": (a.get("RoutingConfig") or {}).get("AdditionalVersionWeights", {}),
        }
        for a in aliases_of(ctx.cache, ctx.client("lambda"), fn["FunctionName"])
    ]
    return out or None


def desired(ctx: RestoreContext, record: dict[str, Any], alias: dict[str, Any]) -> dict[str, Any]:
    weights = {ctx.version(record, v): w for v, w in alias["weights"].items()}
    return {
        "FunctionVersion": ctx.version(record, alias["function_version"]),
        "Description": alias["description"],
        "weights": weights,
    }


def _live(live: dict[str, Any]) -> dict[str, Any]:
    return {
        "FunctionVersion": live["FunctionVersion"],
        "Description": live.get("Description", ""),
        "weights": (live.get("RoutingConfig") or {}).get("AdditionalVersionWeights", {}),
    }


def plan(ctx: RestoreContext, record: dict[str, Any], data: list[dict[str, Any]]) -> list[Change]:
    region, name = ctx.target_region(record), ctx.target_name(record)
    client = ctx.client("lambda", region)
    changes = []
    for alias in data:
        target = f"{name}:{alias['name']} ({region})"
        live = maybe(client, "get_alias", FunctionName=name, Name=alias["name"])
        pending = any(ctx.version_unknown(record, v) for v in [alias["function_version"], *alias["weights"]])
        if live is not None and not pending and _live(live) == desired(ctx, record, alias):
            changes.append(Change(NAME, target, "unchanged"))
            continue
        fields = [] if live is None else [k for k, v in desired(ctx, record, alias).items() if _live(live)[k] != v]
        changes.append(
            Change(
                NAME,
                target,
                "create" if live is None else "update",
                f"-> version {alias['function_version']} of the snapshot",
                fields=fields or ([] if live is None else ["FunctionVersion"]),
                apply=partial(_put, ctx, client, name, record, alias, live is None),
            )
        )
    return changes


def _put(
    ctx: RestoreContext, client: Any, name: str, record: dict[str, Any], alias: dict[str, Any], create: bool
) -> str:
    want = desired(ctx, record, alias)  # now: republished versions have their numbers
    call(
        client,
        "create_alias" if create else "update_alias",
        FunctionName=name,
        Name=alias["name"],
        FunctionVersion=want["FunctionVersion"],
        Description=want["Description"],
        RoutingConfig={"AdditionalVersionWeights": want["weights"]},
    )
    return f"-> version {want['FunctionVersion']}"


def to_iac(record: dict[str, Any], data: list[dict[str, Any]]) -> iac.Fragment:
    frag = iac.Fragment()
    name = iac.function_name(record)
    for a in data:
        version = iac.version_value(record, a["function_version"])
        if version is None:
            frag.notes.append(f"{name}: alias {a['name']} points at version {a['function_version']}, which the "
                              "template cannot publish; not exported")
            continue
        weights = []
        for v, w in sorted(a["weights"].items()):
            extra = iac.version_value(record, v)
            if extra is None:
                frag.notes.append(f"{name}: alias {a['name']} sends {w:.0%} to version {v}, which the template "
                                  "cannot publish; that routing is not exported")
                continue
            weights.append({"FunctionVersion": extra, "FunctionWeight": w})
        aid = iac.alias_id(record, a["name"])
        frag.add(aid, "AWS::Lambda::Alias", {
            "FunctionName": {"Ref": iac.function_id(record)},
            "Name": a["name"],
            "FunctionVersion": version,
            "Description": a["description"],
            "RoutingConfig": {"AdditionalVersionWeights": weights} if weights else None,
        })
        frag.arns[f"{record['arn']}:{a['name']}"] = f"${{{aid}}}"
    return frag
