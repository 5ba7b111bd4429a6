"""IoT Core topic rules with a `lambda` action (or a `lambda` error action).

A rule is recorded whole (SQL, its version, description, state, every action and the error action).
Restore creates a missing rule with every ARN mapped; on an existing rule it re-points only this
function's `lambda` actions (a rule's other actions, and other functions' actions, stay as they
are) with ReplaceTopicRule. IoT invokes through the function's resource policy (principal
`iot.amazonaws.com`, source the rule's ARN, which keeps its name across regions).
"""

from __future__ import annotations

from functools import partial
from typing import Any

from ..aws import call
from .base import Change, RegionContext, RestoreContext
from .common import offered, pages
from .triggers import FunctionIndex, check_permission, is_function_arn, split_function_arn

NAME = "iot"
SERVICE = "iot"
PERMISSIONS = ("iot:ListTopicRules", "iot:GetTopicRule", "iot:CreateTopicRule", "iot:ReplaceTopicRule",
               "iam:PassRole", "lambda:GetPolicy")
SCOPE = "region"
ORDER_REASON = "after the function, its versions/aliases and policy: a rule's lambda action names them"
INVOKERS = ("iot.amazonaws.com",)
_PAYLOAD = ("sql", "description", "actions", "errorAction", "ruleDisabled", "awsIotSqlVersion")


def lambda_arns(payload: dict[str, Any]) -> list[str]:
    """The functions a rule's actions and error action invoke."""
    actions = [*payload.get("actions", []), *([payload["errorAction"]] if payload.get("errorAction") else [])]
    return [a["lambda"]["functionArn"] for a in actions if is_function_arn(a.get("lambda", {}).get("functionArn", ""))]


def _payload(rule: dict[str, Any]) -> dict[str, Any]:
    return {k: rule[k] for k in _PAYLOAD if rule.get(k) not in (None, {}, "")}


def discover(ctx: RegionContext) -> FunctionIndex:
    """ListTopicRules (paged) names the rules; GetTopicRule per rule gives its actions."""
    if not offered(ctx, SERVICE):
        return FunctionIndex()
    index = FunctionIndex()
    client = ctx.client("iot")
    for summary in pages(client, "list_topic_rules", "rules"):
        got = call(client, "get_topic_rule", ruleName=summary["ruleName"])
        entry = {"name": summary["ruleName"], "arn": got.get("ruleArn") or summary["ruleArn"],
                 "payload": _payload(got["rule"])}
        for function in set(lambda_arns(entry["payload"])):
            index.add(function, entry)
    return index


def capture(ctx: RegionContext, index: FunctionIndex, fn: dict[str, Any]) -> list[dict[str, Any]] | None:
    found = sorted(index.get(fn), key=lambda e: e["name"])
    mine = split_function_arn(fn["FunctionArn"])[0]
    for entry in found:
        for target in lambda_arns(entry["payload"]):
            if split_function_arn(target)[0] == mine:
                check_permission(ctx, NAME, target, "iot.amazonaws.com", entry["arn"])
    return found or None


def sources(record: dict[str, Any], data: list[dict[str, Any]]) -> list[str]:
    return [e["arn"] for e in data]


def plan(ctx: RestoreContext, record: dict[str, Any], data: list[dict[str, Any]]) -> list[Change]:
    region = ctx.target_region(record)
    client = ctx.client("iot", region)
    # GetTopicRule on a missing rule is UnauthorizedException on AWS (not "not found"): list instead
    known: dict[str, set[str]] = ctx.shared(NAME)
    if region not in known:
        known[region] = {r["ruleName"] for r in pages(client, "list_topic_rules", "rules")}
    names = known[region]
    changes = []
    for entry in data:
        label = f"topic rule {entry['name']} ({region})"
        if entry["name"] not in names:
            # another function of the same rule finds it created by then: its apply re-points it
            changes.append(Change(NAME, label, "create", entry["payload"]["sql"],
                                  apply=partial(_put, ctx, client, record, entry)))
            continue
        live = _payload(call(client, "get_topic_rule", ruleName=entry["name"])["rule"])
        want = repointed(ctx, record, entry, live)
        pending = any(ctx.arn_unknown(a) for a in lambda_arns(entry["payload"]))
        if want == live and not pending:
            changes.append(Change(NAME, label, "unchanged"))
            continue
        changes.append(Change(NAME, label, "update", "lambda actions", fields=["actions"],
                              apply=partial(_put, ctx, client, record, entry)))
    return changes


def _mine(record: dict[str, Any], ctx: RestoreContext, arn: str) -> bool:
    """Is `arn` this function (any qualifier), as the source or as the restored function?"""
    unqualified = split_function_arn(arn)[0]
    return unqualified in (split_function_arn(record["arn"])[0], split_function_arn(ctx.target_arn(record))[0])


def _is_mine(ctx: RestoreContext, record: dict[str, Any], action: dict[str, Any]) -> bool:
    return _mine(record, ctx, action.get("lambda", {}).get("functionArn", ""))


def repointed(
    ctx: RestoreContext, record: dict[str, Any], entry: dict[str, Any], live: dict[str, Any]
) -> dict[str, Any]:
    """The live rule with this function's lambda actions as recorded (mapped); the rest untouched."""
    recorded = entry["payload"]
    queue = [ctx.mapper.map_obj(a) for a in recorded.get("actions", []) if _is_mine(ctx, record, a)]
    actions = []
    for action in live.get("actions", []):  # this function's actions keep their places
        if not _is_mine(ctx, record, action):
            actions.append(action)
        elif queue:
            actions.append(queue.pop(0))
    out = {**live, "actions": actions + queue}
    error = recorded.get("errorAction") or {}
    if _mine(record, ctx, error.get("lambda", {}).get("functionArn", "")):
        out["errorAction"] = ctx.mapper.map_obj(error)
    return out


def _put(ctx: RestoreContext, client: Any, record: dict[str, Any], entry: dict[str, Any]) -> None:
    """Create the rule, or replace it with this function's actions re-pointed (decided now: another
    function's change may have created it meanwhile)."""
    exists = entry["name"] in {r["ruleName"] for r in pages(client, "list_topic_rules", "rules")}
    if not exists:
        call(client, "create_topic_rule", ruleName=entry["name"], topicRulePayload=ctx.mapper.map_obj(entry["payload"]))
        return
    live = _payload(call(client, "get_topic_rule", ruleName=entry["name"])["rule"])
    call(client, "replace_topic_rule", ruleName=entry["name"], topicRulePayload=repointed(ctx, record, entry, live))


def to_iac(record: dict[str, Any], data: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for entry in data:
        payload = {_CFN.get(k, k[:1].upper() + k[1:]): v for k, v in entry["payload"].items()}
        out.append({"Type": "AWS::IoT::TopicRule", "Properties": {"RuleName": entry["name"], "TopicRulePayload":
                                                                  payload}})
    return out


_CFN = {"sql": "Sql", "awsIotSqlVersion": "AwsIotSqlVersion", "ruleDisabled": "RuleDisabled"}
