"""EventBridge rules (on any event bus) with a function as a target.

A rule is recorded with only this function's targets: restore puts the rule (pattern or schedule,
state, description) and these targets, leaving the rule's other targets alone. Rule ARNs keep their
names across regions, so the policy kind's mapped statements already let the restored rule invoke.
"""

from __future__ import annotations

import json
from functools import partial
from typing import Any

from ..aws import call
from ..errors import AwsError
from . import iac
from .base import Action, Change, RegionContext, RestoreContext, once
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
INVOKERS = ("events.amazonaws.com",)  # whom its triggers invoke through the resource policy

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


def plan(ctx: RestoreContext, record: dict[str, Any], data: list[dict[str, Any]]) -> list[Change]:
    region = ctx.target_region(record)
    if ctx.isolated:
        return ctx.isolated_skip(NAME, f"{ctx.target_name(record)} ({region})",
                                 "rules " + ", ".join(f"{e['bus']}/{e['name']}" for e in data))
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
        changes.extend(_plan_rule(ctx, client, label, entry))
    return changes


def _want_rule(ctx: RestoreContext, entry: dict[str, Any]) -> dict[str, Any]:
    want = dict(entry["rule"])
    if "RoleArn" in want:
        want["RoleArn"] = ctx.mapper.arn(want["RoleArn"])
    return want


def _plan_rule(ctx: RestoreContext, client: Any, label: str, entry: dict[str, Any]) -> list[Change]:
    bus = entry["bus"]
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
        "create"
        if live_rule is None
        else "update"
        if _rule_differs(live_rule, _want_rule(ctx, entry))
        else "unchanged"
    )
    # the rule and this function's targets in one write each, shared by the targets' changes
    put = once(partial(_put, ctx, client, entry, rule_action != "unchanged"))
    changes = []
    for target in entry["targets"]:
        want = _mapped_target(ctx, target)
        live = live_targets.get(want["Id"])
        same = live == want and not ctx.arn_unknown(target["Arn"])
        action: Action = "create" if live is None else "unchanged" if same else "update"
        # the rule's own change shows on its targets: a recreated rule is a created trigger
        shown = action if rule_action == "unchanged" or action == "create" else rule_action
        apply = None if shown == "unchanged" else put
        changes.append(Change(NAME, f"{label} target {want['Id']}", shown, want["Arn"], apply=apply))
    return changes


def _put(ctx: RestoreContext, client: Any, entry: dict[str, Any], put_rule: bool) -> None:
    bus = entry["bus"]
    if put_rule:
        call(client, "put_rule", Name=entry["name"], EventBusName=bus, **_want_rule(ctx, entry))
    targets = [_mapped_target(ctx, t) for t in entry["targets"]]  # now: new version numbers known
    got = call(client, "put_targets", Rule=entry["name"], EventBusName=bus, Targets=targets)
    if got.get("FailedEntryCount"):
        raise AwsError(f"put_targets on rule {entry['name']}: {got.get('FailedEntries')}")


def sources(record: dict[str, Any], data: list[dict[str, Any]]) -> list[str]:
    """The source ARNs this kind's triggers invoke from (the rules)."""
    return [str(e["arn"]) for e in data]


def to_iac(record: dict[str, Any], data: list[dict[str, Any]]) -> iac.Fragment:
    """The rule with this function's targets (the exporter merges the targets of every function
    that shares a rule). A custom event bus is named, not declared: its policies are not recorded."""
    frag = iac.Fragment()
    for entry in data:
        props: dict[str, Any] = {"Name": entry["name"], **entry["rule"]}
        if entry["bus"] != "default":
            props["EventBusName"] = entry["bus"]
            frag.notes.append(f"rule {entry['name']}: event bus {entry['bus']} must exist where the template is "
                              "deployed (buses are not exported)")
        if "EventPattern" in props:  # CloudFormation takes the pattern as an object
            props["EventPattern"] = json.loads(props["EventPattern"])
        props["Targets"] = entry["targets"]
        rid = iac.logical("Rule", entry["bus"], entry["name"])
        frag.add(rid, "AWS::Events::Rule", props)
        frag.arns[entry["arn"]] = f"${{{rid}.Arn}}"
    return frag
