"""Secrets Manager secrets rotated by a function (rotation function, rules, on or off).

Restore re-points rotation on the same-named secret in the target region with RotateSecret and
`RotateImmediately=false`: the restore never rotates a secret (AWS only runs the function's
testSecret step; the next rotation comes on the schedule). Rotation recorded as off is turned off
again (CancelRotateSecret). lambda-ark never creates a secret (its value is not in the snapshot): a
missing one is a failed change; a replica is skipped (rotation is configured on its primary).
Secrets Manager invokes through the function's resource policy; a secret's ARN ends in a random
suffix, so a statement naming the source secret is added again for the target's (`regrant`).
"""

from __future__ import annotations

from functools import partial
from typing import Any

from ..aws import call
from .base import Change, RegionContext, RestoreContext
from .common import maybe, offered, pages
from .regrant import plan_regrant
from .triggers import FunctionIndex, is_function_arn

NAME = "secrets_rotation"
SERVICE = "secretsmanager"
PERMISSIONS = ("secretsmanager:ListSecrets", "secretsmanager:DescribeSecret", "secretsmanager:RotateSecret",
               "secretsmanager:CancelRotateSecret", "lambda:GetPolicy", "lambda:AddPermission")
SCOPE = "region"
ORDER_REASON = "after the function, its versions/aliases and policy: rotation names the function and invokes it"
INVOKERS = ("secretsmanager.amazonaws.com",)
_PRINCIPAL = INVOKERS[0]


def discover(ctx: RegionContext) -> FunctionIndex:
    """ListSecrets (paged) reports each secret's rotation: no per-secret call."""
    if not offered(ctx, SERVICE):
        return FunctionIndex()
    index = FunctionIndex()
    for secret in pages(ctx.client("secretsmanager"), "list_secrets", "SecretList"):
        function = secret.get("RotationLambdaARN") or ""
        if is_function_arn(function):
            index.add(function, {"name": secret["Name"], "arn": secret["ARN"], "function_arn": function,
                                 "rules": secret.get("RotationRules") or {},
                                 "enabled": bool(secret.get("RotationEnabled"))})
    return index


def capture(ctx: RegionContext, index: FunctionIndex, fn: dict[str, Any]) -> list[dict[str, Any]] | None:
    return sorted(index.get(fn), key=lambda e: e["name"]) or None


def sources(record: dict[str, Any], data: list[dict[str, Any]]) -> list[str]:
    return [e["arn"] for e in data]


def plan(ctx: RestoreContext, record: dict[str, Any], data: list[dict[str, Any]]) -> list[Change]:
    region = ctx.target_region(record)
    client = ctx.client("secretsmanager", region)
    changes = []
    for entry in data:
        label = f"secret {entry['name']} rotation ({region})"
        live = maybe(client, "describe_secret", SecretId=entry["name"])
        if live is None:
            changes.append(Change(NAME, label, "failed", f"secret {entry['name']} does not exist in {region} "
                                                         "(lambda-ark does not create secrets: their values are not "
                                                         "in the snapshot)"))
            continue
        if live.get("PrimaryRegion") not in (None, region):
            changes.append(Change(NAME, label, "skipped", f"a replica of the secret in {live['PrimaryRegion']}, "
                                                          "where its rotation is configured"))
            continue
        grant = plan_regrant(ctx, NAME, record, entry["function_arn"], _PRINCIPAL, entry["arn"], live["ARN"],
                             partial(str, live["ARN"]))
        if grant is not None:
            changes.append(grant)
        want = ctx.mapper.arn(entry["function_arn"])
        differ = [k for k, same in (("RotationLambdaARN", live.get("RotationLambdaARN") == want),
                                    ("RotationRules", (live.get("RotationRules") or {}) == entry["rules"]),
                                    ("RotationEnabled", bool(live.get("RotationEnabled")) == entry["enabled"]))
                  if not same]
        if not differ and not ctx.arn_unknown(entry["function_arn"]):
            changes.append(Change(NAME, label, "unchanged"))
            continue
        changes.append(Change(NAME, label, "update", "never rotated by the restore", fields=differ,
                              apply=partial(_repoint, ctx, client, entry)))
    return changes


def _repoint(ctx: RestoreContext, client: Any, entry: dict[str, Any]) -> str:
    call(client, "rotate_secret", SecretId=entry["name"], RotationLambdaARN=ctx.mapper.arn(entry["function_arn"]),
         RotateImmediately=False, **({"RotationRules": entry["rules"]} if entry["rules"] else {}))
    if not entry["enabled"]:
        call(client, "cancel_rotate_secret", SecretId=entry["name"])
        return "rotation function set, rotation off (as recorded)"
    return "rotation function set; next rotation on its schedule"


def to_iac(record: dict[str, Any], data: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"Type": "AWS::SecretsManager::RotationSchedule",
             "Properties": {"SecretId": e["arn"], "RotationLambdaARN": e["function_arn"],
                            "RotationRules": e["rules"], "RotateImmediatelyOnUpdate": False}} for e in data]
