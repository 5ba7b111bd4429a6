"""The function's resource policy: who may invoke it (S3, API Gateway, SNS, EventBridge, accounts).

Statements are restored one by one through add_permission, with every ARN and account remapped.
The policy's SourceArn conditions are also the index of push triggers (see the trigger kinds).
"""

from __future__ import annotations

import json
from typing import Any

from ..aws import call
from . import iac
from .base import Action, Change, RegionContext, RestoreContext
from .common import aliases_of, maybe

NAME = "policy"
SERVICE = "lambda"
PERMISSIONS = ("lambda:GetPolicy", "lambda:AddPermission", "lambda:RemovePermission")
SCOPE = "function"
ORDER_REASON = "after functions, versions and aliases it names; before triggers that need permission to invoke"
# Each function's restore at this step touches only that function: safe to run them in parallel.
PARALLEL = True


def discover(ctx: RegionContext) -> None:
    return None


def capture(ctx: RegionContext, index: Any, fn: dict[str, Any]) -> dict[str, list[dict[str, Any]]] | None:
    client = ctx.client("lambda")
    out: dict[str, list[dict[str, Any]]] = {}
    qualifiers = [""] + [a["Name"] for a in aliases_of(ctx.cache, client, fn["FunctionName"])]
    for q in qualifiers:
        args = {"FunctionName": fn["FunctionArn"], **({"Qualifier": q} if q else {})}
        got = maybe(client, "get_policy", **args)
        if got:
            statements = json.loads(got["Policy"]).get("Statement", [])
            if statements:
                out[q] = statements
    return out or None


def permission_args(statement: dict[str, Any]) -> dict[str, Any]:
    """An IAM statement as add_permission's arguments (the inverse of what Lambda writes).

    Lambda writes FunctionUrlAuthType and InvokedViaFunctionUrl as conditions (StringEquals
    `lambda:FunctionUrlAuthType`, Bool `lambda:InvokedViaFunctionUrl`); some emulators keep them as
    top-level fields of the statement. Both read back the same, so a public URL's grants survive.
    """
    principal = statement.get("Principal", "*")
    if isinstance(principal, dict):
        principal = principal.get("Service") or principal.get("AWS") or "*"
    if isinstance(principal, str) and principal.startswith("arn:aws:iam::") and principal.endswith(":root"):
        principal = principal.split(":")[4]
    action = statement.get("Action", "lambda:InvokeFunction")
    args: dict[str, Any] = {
        "StatementId": statement["Sid"],
        "Action": action[0] if isinstance(action, list) else action,
        "Principal": principal,
    }
    cond = statement.get("Condition", {})
    for op in ("ArnLike", "ArnEquals"):
        if src := cond.get(op, {}).get("AWS:SourceArn"):
            args["SourceArn"] = src
    equals = cond.get("StringEquals", {})
    for key, arg in (
        ("AWS:SourceAccount", "SourceAccount"),
        ("lambda:EventSourceToken", "EventSourceToken"),
        ("aws:PrincipalOrgID", "PrincipalOrgID"),
        ("lambda:FunctionUrlAuthType", "FunctionUrlAuthType"),
    ):
        if key in equals:
            args[arg] = equals[key]
    if "FunctionUrlAuthType" not in args and statement.get("FunctionUrlAuthType"):
        args["FunctionUrlAuthType"] = statement["FunctionUrlAuthType"]
    via_url = cond.get("Bool", {}).get("lambda:InvokedViaFunctionUrl", statement.get("InvokedViaFunctionUrl"))
    if str(via_url).lower() == "true":
        args["InvokedViaFunctionUrl"] = True
    return args


def _mapped(ctx: RestoreContext, args: dict[str, Any]) -> dict[str, Any]:
    out = ctx.mapper.map_obj(args)
    for key in ("SourceAccount", "Principal"):
        if isinstance(out.get(key), str) and out[key].isdigit():
            out[key] = ctx.mapper.account(out[key])
    return dict(out)


def restore(ctx: RestoreContext, record: dict[str, Any], data: dict[str, list[dict[str, Any]]]) -> list[Change]:
    region, name = ctx.target_region(record), ctx.target_name(record)
    client = ctx.client("lambda", region)
    changes = []
    recreated = _recreated_apis(ctx, record)
    for qualifier, statements in data.items():
        target_q = ctx.mapper.version(str(record["name"]), qualifier) if qualifier else ""
        q_args: dict[str, Any] = {"Qualifier": target_q} if target_q else {}
        got = maybe(client, "get_policy", FunctionName=name, **q_args)
        live = {s["Sid"]: permission_args(s) for s in (json.loads(got["Policy"])["Statement"] if got else [])}
        for statement in statements:
            want = _mapped(ctx, permission_args(statement))
            sid = want["StatementId"]
            target = f"{name}{':' + target_q if target_q else ''} {sid} ({region})"
            if _api_id(statement) in recreated:
                changes.append(Change(NAME, target, "skipped", "API recreated under a new id; its kind grants that"))
                continue
            if live.get(sid) == want:
                changes.append(Change(NAME, target, "unchanged"))
                continue
            action: Action = "update" if sid in live else "create"
            if not ctx.dry_run:
                if sid in live:
                    call(client, "remove_permission", FunctionName=name, StatementId=sid, **q_args)
                call(client, "add_permission", FunctionName=name, **q_args, **want)
            changes.append(Change(NAME, target, action, f"{want['Principal']} {want.get('SourceArn', '')}".strip()))
    return changes


def _recreated_apis(ctx: RestoreContext, record: dict[str, Any]) -> set[str]:
    """Ids of the function's APIs that restore recreates elsewhere: a statement naming the old id
    would grant an API that does not exist there (the API kinds grant the new id themselves)."""
    moved = ctx.target_region(record) != record["region"] or ctx.mapper.account(record["account"]) != record["account"]
    if not moved:
        return set()
    entries = [*(record["items"].get("apigateway") or []), *(record["items"].get("apigatewayv2") or [])]
    return {str(e["id"]) for e in entries if "id" in e}


def _api_id(statement: dict[str, Any]) -> str | None:
    """The API id in an execute-api SourceArn (arn:aws:execute-api:region:account:API_ID/stage/...)."""
    source = permission_args(statement).get("SourceArn", "")
    if not source.startswith("arn:aws:execute-api:"):
        return None
    return str(source.split(":")[5].split("/")[0])


def to_iac(record: dict[str, Any], data: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    out = []
    for qualifier, statements in data.items():
        for statement in statements:
            args = permission_args(statement)
            args.pop("StatementId")  # CloudFormation names permissions itself
            out.append(
                iac.resource(
                    "AWS::Lambda::Permission",
                    {
                        "FunctionName": iac.qualified(record, qualifier),
                        **args,
                    },
                )
            )
    return out
