"""EventBridge rules (on any event bus) with a function as a target.

A rule is recorded with only this function's targets: restore puts the rule (pattern or schedule,
state, description) and these targets, leaving the rule's other targets alone. Rule ARNs keep their
names across regions, so the policy kind's mapped statements already let the restored rule invoke.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from ..aws import call
from .base import Action, Change, RegionContext, RestoreContext
from .common import NOT_FOUND, maybe, pages, strip_none
from .triggers import FunctionIndex, check_permission, is_function_arn, json_equal

NAME = "eventbridge"
SERVICE = "events"
PERMISSIONS = (
    "events:ListEventBuses",
    "events:ListRules",
    "events:ListTargetsByRule",
    "events:DescribeEventBus",
    "events:DescribeRule",
    "events:PutRule",
    "events:PutTargets",
    "iam:PassRole",
    "lambda:GetPolicy",
)
SCOPE = "region"
ORDER_REASON = "after the function, its versions/aliases and policy: a target names them and needs permission"

_RULE_FIELDS = ("EventPattern", "ScheduleExpression", "State", "Description", "RoleArn")
_TARGET_FIELDS = ("Id", "Arn", "Input", "InputPath", "InputTransformer", "RetryPolicy", "DeadLetterConfig")
_MISSING = NOT_FOUND["events"]


def discover(ctx: RegionContext) -> FunctionIndex:
    index = FunctionIndex()
    client = ctx.client("events")
    for bus in pages(client, "list_event_buses", "EventBuses"):
        for rule in pages(client, "list_rules", "Rules", EventBusName=bus["Name"]):
            if rule.get("ManagedBy"):  # owned by another AWS service, which recreates it itself
                continue
            for target in pages(client, "list_targets_by_rule", "Targets", Rule=rule["Name"], EventBusName=bus["Name"]):
                if is_function_arn(target["Arn"]):
                    index.add(target["Arn"], (bus["Name"], rule, target))
    return index


def capture(ctx: RegionContext, index: FunctionIndex, fn: dict[str, Any]) -> list[dict[str, Any]] | None:
    rules: dict[tuple[str, str], dict[str, Any]] = {}
    for bus, rule, target in index.get(fn):
        check_permission(ctx, NAME, target["Arn"], "events.amazonaws.com", rule["Arn"])
        entry = rules.setdefault(
            (bus, rule["Name"]),
            {
                "bus": bus,
                "name": rule["Name"],
                "arn": rule["Arn"],
                "rule": strip_none({k: rule.get(k) for k in _RULE_FIELDS}),
                "targets": [],
            },
        )
        entry["targets"].append(strip_none({k: target.get(k) for k in _TARGET_FIELDS}))
    return [rules[k] for k in sorted(rules)] or None


def _mapped_target(ctx: RestoreContext, target: dict[str, Any]) -> dict[str, Any]:
    # Only ARN-valued fields: Input is the user's payload and is restored byte for byte.
    out = dict(target, Arn=ctx.mapper.arn(target["Arn"]))
    if "DeadLetterConfig" in out:
        out["DeadLetterConfig"] = {"Arn": ctx.mapper.arn(out["DeadLetterConfig"]["Arn"])}
    return out


def _rule_differs(live: dict[str, Any], want: dict[str, Any]) -> bool:
    if not json_equal(live.get("EventPattern"), want.get("EventPattern")):
        return True
    return any(live.get(k) != want.get(k) for k in ("ScheduleExpression", "State", "Description", "RoleArn"))


def restore(ctx: RestoreContext, record: dict[str, Any], data: list[dict[str, Any]]) -> list[Change]:
    region = ctx.target_region(record)
    client = ctx.client("events", region)
    changes: list[Change] = []
    for entry in data:
        label = f"rule {entry['bus']}/{entry['name']} ({region})"
        if (
            entry["bus"] != "default"
            and maybe(client, "describe_event_bus", missing=_MISSING, Name=entry["bus"]) is None
        ):
            changes.append(Change(NAME, label, "failed", f"event bus {entry['bus']} does not exist in {region}"))
            continue
        changes.extend(_restore_rule(ctx, client, label, entry))
    return changes


def _restore_rule(ctx: RestoreContext, client: Any, label: str, entry: dict[str, Any]) -> list[Change]:
    bus = entry["bus"]
    want_rule = dict(entry["rule"])
    if "RoleArn" in want_rule:
        want_rule["RoleArn"] = ctx.mapper.arn(want_rule["RoleArn"])
    live_rule = maybe(client, "describe_rule", missing=_MISSING, Name=entry["name"], EventBusName=bus)
    live_targets = (
        {}
        if live_rule is None
        else {
            t["Id"]: strip_none({k: t.get(k) for k in _TARGET_FIELDS})
            for t in pages(client, "list_targets_by_rule", "Targets", Rule=entry["name"], EventBusName=bus)
        }
    )
    rule_action: Action = (
        "create" if live_rule is None else "update" if _rule_differs(live_rule, want_rule) else "unchanged"
    )
    if rule_action != "unchanged" and not ctx.dry_run:
        call(client, "put_rule", Name=entry["name"], EventBusName=bus, **want_rule)
    by_action: dict[Action, list[dict[str, Any]]] = defaultdict(list)
    for target in entry["targets"]:
        want = _mapped_target(ctx, target)
        live = live_targets.get(want["Id"])
        action: Action = "create" if live is None else "unchanged" if live == want else "update"
        by_action[action].append(want)
    todo = by_action["create"] + by_action["update"]
    if todo and not ctx.dry_run:
        got = call(client, "put_targets", Rule=entry["name"], EventBusName=bus, Targets=todo)
        if got.get("FailedEntryCount"):
            return [Change(NAME, label, "failed", f"put_targets: {got.get('FailedEntries')}")]
    changes = []
    for action, targets in by_action.items():
        for t in targets:
            # the rule's own change shows on its targets: a recreated rule is a created trigger
            shown = action if rule_action == "unchanged" or action == "create" else rule_action
            changes.append(Change(NAME, f"{label} target {t['Id']}", shown, t["Arn"]))
    return changes


def to_iac(record: dict[str, Any], data: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for entry in data:
        props: dict[str, Any] = {"Name": entry["name"], "EventBusName": entry["bus"], **entry["rule"]}
        if "EventPattern" in props:  # CloudFormation takes the pattern as an object
            props["EventPattern"] = json.loads(props["EventPattern"])
        props["Targets"] = entry["targets"]
        out.append({"Type": "AWS::Events::Rule", "Properties": props})
    return out
