"""Aliases, with weighted routing, pointed at the republished version numbers."""

from __future__ import annotations

from typing import Any

from ..aws import call
from . import iac
from .base import Change, RegionContext, RestoreContext
from .common import aliases_of, maybe

NAME = "aliases"
SERVICE = "lambda"
PERMISSIONS = ("lambda:ListAliases", "lambda:CreateAlias", "lambda:UpdateAlias")
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


def desired(ctx: RestoreContext, source_name: str, alias: dict[str, Any]) -> dict[str, Any]:
    version = ctx.mapper.version(source_name, alias["function_version"])
    weights = {ctx.mapper.version(source_name, v): w for v, w in alias["weights"].items()}
    return {"FunctionVersion": version, "Description": alias["description"], "weights": weights}


def restore(ctx: RestoreContext, record: dict[str, Any], data: list[dict[str, Any]]) -> list[Change]:
    region, name = ctx.target_region(record), ctx.target_name(record)
    client = ctx.client("lambda", region)
    changes = []
    for alias in data:
        want = desired(ctx, str(record["name"]), alias)
        target = f"{name}:{alias['name']} ({region})"
        live = maybe(client, "get_alias", FunctionName=name, Name=alias["name"])
        args = {
            "FunctionName": name,
            "Name": alias["name"],
            "FunctionVersion": want["FunctionVersion"],
            "Description": want["Description"],
            "RoutingConfig": {"AdditionalVersionWeights": want["weights"]},
        }
        if live is None:
            if not ctx.dry_run:
                call(client, "create_alias", **args)
            changes.append(Change(NAME, target, "create", f"-> version {want['FunctionVersion']}"))
            continue
        have = {
            "FunctionVersion": live["FunctionVersion"],
            "Description": live.get("Description", ""),
            "weights": (live.get("RoutingConfig") or {}).get("AdditionalVersionWeights", {}),
        }
        if have == want:
            changes.append(Change(NAME, target, "unchanged"))
        else:
            if not ctx.dry_run:
                call(client, "update_alias", **args)
            changes.append(Change(NAME, target, "update", f"-> version {want['FunctionVersion']}"))
    return changes


def to_iac(record: dict[str, Any], data: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        iac.resource(
            "AWS::Lambda::Alias",
            {
                "FunctionName": iac.function_name(record),
                "Name": a["name"],
                "FunctionVersion": a["function_version"],
                "Description": a["description"],
                "RoutingConfig": {
                    "AdditionalVersionWeights": [
                        {"FunctionVersion": v, "FunctionWeight": w} for v, w in sorted(a["weights"].items())
                    ]
                }
                if a["weights"]
                else None,
            },
        )
        for a in data
    ]
