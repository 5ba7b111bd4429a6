"""The function's resource policy: who may invoke it (S3, API Gateway, SNS, EventBridge, accounts).

Statements are restored one by one through add_permission, with every ARN and account remapped.
The policy's SourceArn conditions are also the index of push triggers (see the trigger kinds).
"""

from __future__ import annotations

import json
import re
from functools import partial
from typing import Any

from ..aws import call
from . import iac
from .base import Change, RegionContext, RestoreContext
from .common import aliases_of, differing, maybe

NAME = "policy"
SERVICE = "lambda"
PERMISSIONS = ("lambda:GetPolicy", "lambda:ListAliases", "lambda:AddPermission", "lambda:RemovePermission")
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


_ACCOUNT_ROOT = re.compile(r"arn:aws[a-z-]*:iam::(\d{12}):root")


def permission_args(statement: dict[str, Any]) -> dict[str, Any]:
    """An IAM statement as add_permission's arguments (the inverse of what Lambda writes).

    Lambda writes FunctionUrlAuthType and InvokedViaFunctionUrl as conditions (StringEquals
    `lambda:FunctionUrlAuthType`, Bool `lambda:InvokedViaFunctionUrl`); some emulators keep them as
    top-level fields of the statement. Both read back the same, so a public URL's grants survive.
    """
    principal = statement.get("Principal", "*")
    if isinstance(principal, dict):
        principal = principal.get("Service") or principal.get("AWS") or "*"
    if isinstance(principal, str) and (root := _ACCOUNT_ROOT.fullmatch(principal)):
        principal = root.group(1)  # add_permission takes the account id Lambda wrote as its root ARN
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


def plan(ctx: RestoreContext, record: dict[str, Any], data: dict[str, list[dict[str, Any]]]) -> list[Change]:
    region, name = ctx.target_region(record), ctx.target_name(record)
    client = ctx.client("lambda", region)
    changes = []
    recreated = _recreated_apis(ctx, record)
    for qualifier, statements in data.items():
        label_q = ctx.version(record, qualifier)
        live: dict[str, dict[str, Any]] = {}
        if not ctx.version_unknown(record, qualifier):
            q_args: dict[str, Any] = {"Qualifier": label_q} if label_q else {}
            got = maybe(client, "get_policy", FunctionName=name, **q_args)
            live = {s["Sid"]: permission_args(s) for s in (json.loads(got["Policy"])["Statement"] if got else [])}
        for statement in statements:
            want = _mapped(ctx, permission_args(statement))
            sid = want["StatementId"]
            target = f"{name}{':' + label_q if label_q else ''} {sid} ({region})"
            if _api_id(statement) in recreated:
                changes.append(Change(NAME, target, "skipped", "API recreated under a new id; its kind grants that"))
                continue
            if live.get(sid) == want:
                changes.append(Change(NAME, target, "unchanged"))
                continue
            changes.append(
                Change(
                    NAME,
                    target,
                    "update" if sid in live else "create",
                    f"{want['Principal']} {want.get('SourceArn', '')}".strip(),
                    fields=differing(want, live[sid]) if sid in live else [],
                    apply=partial(_put, ctx, client, name, record, qualifier, statement, sid in live),
                )
            )
    return changes


def _put(
    ctx: RestoreContext,
    client: Any,
    name: str,
    record: dict[str, Any],
    qualifier: str,
    statement: dict[str, Any],
    replace: bool,
) -> None:
    q = ctx.version(record, qualifier)
    q_args: dict[str, Any] = {"Qualifier": q} if q else {}
    want = _mapped(ctx, permission_args(statement))
    if replace:  # add_permission refuses an existing statement id
        call(client, "remove_permission", FunctionName=name, StatementId=want["StatementId"], **q_args)
    call(client, "add_permission", FunctionName=name, **q_args, **want)


def _recreated_apis(ctx: RestoreContext, record: dict[str, Any]) -> set[str]:
    """Ids of the function's APIs that restore recreates elsewhere: a statement naming the old id
    would grant an API that does not exist there (the API kinds grant the new id themselves)."""
    moved = ctx.target_region(record) != record["region"] or ctx.mapper.account(record["account"]) != record["account"]
    if not moved and not ctx.isolated:  # a drill always gets APIs of its own
        return set()
    entries = [*(record["items"].get("apigateway") or []), *(record["items"].get("apigatewayv2") or [])]
    return {str(e["id"]) for e in entries if "id" in e}


def _api_id(statement: dict[str, Any]) -> str | None:
    """The API id in an execute-api SourceArn (arn:aws:execute-api:region:account:API_ID/stage/...)."""
    parts = permission_args(statement).get("SourceArn", "").split(":")
    if len(parts) < 6 or parts[2] != "execute-api":
        return None
    return str(parts[5].split("/")[0])


def to_iac(record: dict[str, Any], data: dict[str, list[dict[str, Any]]]) -> iac.Fragment:
    frag = iac.Fragment()
    for qualifier, statements in data.items():
        target = iac.qualifier_ref(record, qualifier)
        if target is None:
            frag.notes.append(f"{iac.function_name(record)}: the policy of {qualifier} is not exported "
                              "(the version or alias is not)")
            continue
        for statement in statements:
            args = permission_args(statement)
            sid = args.pop("StatementId")  # CloudFormation names permissions itself
            for key in ("SourceAccount", "Principal"):  # the deploying account, when it was the source's
                if args.get(key) == record["account"]:
                    args[key] = {"Ref": "AWS::AccountId"}
            frag.add(permission_id(record, qualifier, sid), "AWS::Lambda::Permission", {"FunctionName": target, **args})
    return frag


def permission_id(record: dict[str, Any], qualifier: str, sid: str) -> str:
    """The logical id of one statement's AWS::Lambda::Permission (a trigger that needs it first
    depends on it)."""
    return iac.logical("Fn", iac.function_name(record), "Permission", qualifier, sid)


def permission_ids(record: dict[str, Any], principal: str, source_arn: str) -> list[str]:
    """The permissions of the function's recorded policy that let `principal` invoke from `source_arn`."""
    from .triggers import grants

    policy = (record.get("items") or {}).get(NAME) or {}
    return [permission_id(record, q, s["Sid"]) for q, statements in policy.items() for s in statements
            if grants(s, principal, source_arn)]
