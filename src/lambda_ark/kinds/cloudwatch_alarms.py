"""CloudWatch alarms (metric and composite) whose actions invoke a function.

An alarm is recorded whole (what PutMetricAlarm / PutCompositeAlarm take, read from DescribeAlarms
by the client's model) with its tags. Restore creates a missing alarm with every ARN mapped; on an
existing alarm it re-points only this function's entries in the alarm, OK and insufficient-data
actions (other actions, and everything else about the alarm, stay as they are). A Put replaces the
whole alarm, so it carries the live definition. CloudWatch invokes through the function's resource
policy (principal `lambda.alarms.cloudwatch.amazonaws.com`, source the alarm's ARN, named).
"""

from __future__ import annotations

from functools import partial
from typing import Any

from ..aws import as_aws_error, call
from .base import Change, RegionContext, RestoreContext
from .common import offered
from .shapes import input_of
from .triggers import FunctionIndex, check_permission, is_function_arn, split_function_arn

NAME = "cloudwatch_alarms"
SERVICE = "cloudwatch"
PERMISSIONS = ("cloudwatch:DescribeAlarms", "cloudwatch:ListTagsForResource", "cloudwatch:PutMetricAlarm",
               "cloudwatch:PutCompositeAlarm", "lambda:GetPolicy")
SCOPE = "region"
ORDER_REASON = "after the function, its versions/aliases and policy: an alarm action names them"
INVOKERS = ("lambda.alarms.cloudwatch.amazonaws.com",)
_ACTIONS = ("AlarmActions", "OKActions", "InsufficientDataActions")
_TYPES = {"MetricAlarms": ("metric", "PutMetricAlarm"), "CompositeAlarms": ("composite", "PutCompositeAlarm")}
_OPERATION = {"metric": "put_metric_alarm", "composite": "put_composite_alarm"}


def functions(alarm: dict[str, Any]) -> list[str]:
    return [a for key in _ACTIONS for a in alarm.get(key) or [] if is_function_arn(a)]


def _alarms(client: Any, **kwargs: Any) -> list[tuple[str, dict[str, Any]]]:
    """(kind, described alarm) for every alarm DescribeAlarms lists (both kinds in each page)."""
    out = []
    for page in client.get_paginator("describe_alarms").paginate(AlarmTypes=["MetricAlarm", "CompositeAlarm"],
                                                                   **kwargs):
        for key, (kind, _) in _TYPES.items():
            out += [(kind, a) for a in page.get(key, [])]
    return out


def _definition(client: Any, kind: str, alarm: dict[str, Any]) -> dict[str, Any]:
    operation = "PutMetricAlarm" if kind == "metric" else "PutCompositeAlarm"
    return input_of(client, operation, alarm, drop=("Tags",))


def discover(ctx: RegionContext) -> FunctionIndex:
    """DescribeAlarms (paged, metric and composite alarms); ListTagsForResource per alarm that invokes
    a function."""
    if not offered(ctx, SERVICE):
        return FunctionIndex()
    index = FunctionIndex()
    client = ctx.client("cloudwatch")
    try:  # paginator errors as one-line AwsErrors, as pages() makes them
        listed = _alarms(client)
    except Exception as exc:
        raise as_aws_error(client, "describe_alarms", exc) from exc
    for kind, alarm in listed:
        targets = functions(alarm)
        if not targets:
            continue
        tags = call(client, "list_tags_for_resource", ResourceARN=alarm["AlarmArn"]).get("Tags", [])
        entry = {"name": alarm["AlarmName"], "arn": alarm["AlarmArn"], "type": kind,
                 "alarm": _definition(client, kind, alarm), "tags": tags}
        for function in set(targets):
            index.add(function, entry)
    return index


def capture(ctx: RegionContext, index: FunctionIndex, fn: dict[str, Any]) -> list[dict[str, Any]] | None:
    found = sorted(index.get(fn), key=lambda e: e["name"])
    mine = split_function_arn(fn["FunctionArn"])[0]
    for entry in found:
        for target in functions(entry["alarm"]):
            if split_function_arn(target)[0] == mine:
                check_permission(ctx, NAME, target, INVOKERS[0], entry["arn"])
    return found or None


def sources(record: dict[str, Any], data: list[dict[str, Any]]) -> list[str]:
    return [e["arn"] for e in data]


def plan(ctx: RestoreContext, record: dict[str, Any], data: list[dict[str, Any]]) -> list[Change]:
    region = ctx.target_region(record)
    client = ctx.client("cloudwatch", region)
    changes = []
    for entry in data:
        label = f"alarm {entry['name']} ({region})"
        live = _live(client, entry)
        pending = any(ctx.arn_unknown(a) for a in functions(entry["alarm"]))
        if live is None:
            changes.append(Change(NAME, label, "create", ", ".join(functions(ctx.mapper.map_obj(entry["alarm"]))),
                                  apply=partial(_put, ctx, client, record, entry)))
            continue
        want = repointed(ctx, record, entry, live)
        if want == live and not pending:
            changes.append(Change(NAME, label, "unchanged"))
            continue
        changes.append(Change(NAME, label, "update", "actions", fields=[k for k in _ACTIONS if want.get(k) !=
                                                                        live.get(k)],
                              apply=partial(_put, ctx, client, record, entry)))
    return changes


def _live(client: Any, entry: dict[str, Any]) -> dict[str, Any] | None:
    found = [(k, a) for k, a in _alarms(client, AlarmNames=[entry["name"]]) if a["AlarmName"] == entry["name"]]
    return _definition(client, found[0][0], found[0][1]) if found else None


def _mine(ctx: RestoreContext, record: dict[str, Any], arn: str) -> bool:
    unqualified = split_function_arn(arn)[0] if is_function_arn(arn) else ""
    return unqualified in (split_function_arn(record["arn"])[0], split_function_arn(ctx.target_arn(record))[0])


def repointed(
    ctx: RestoreContext, record: dict[str, Any], entry: dict[str, Any], live: dict[str, Any]
) -> dict[str, Any]:
    """The live alarm with this function's actions as recorded (mapped), each list's others kept."""
    out = dict(live)
    for key in _ACTIONS:
        queue = [ctx.mapper.arn(a) for a in entry["alarm"].get(key) or [] if _mine(ctx, record, a)]
        actions = []
        for action in live.get(key) or []:  # this function's entries keep their places
            if not _mine(ctx, record, action):
                actions.append(action)
            elif queue:
                actions.append(queue.pop(0))
        if actions or queue or key in live:
            out[key] = actions + queue
    return out


def _put(ctx: RestoreContext, client: Any, record: dict[str, Any], entry: dict[str, Any]) -> str:
    live = _live(client, entry)  # now: another function's change may have created it meanwhile
    operation = _OPERATION[entry["type"]]
    if live is None:
        call(client, operation, **ctx.mapper.map_obj(entry["alarm"]), **({"Tags": entry["tags"]} if entry["tags"]
                                                                          else {}))
        return "created"
    call(client, operation, **repointed(ctx, record, entry, live))
    return "actions re-pointed"


def to_iac(record: dict[str, Any], data: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for entry in data:
        kind = "AWS::CloudWatch::Alarm" if entry["type"] == "metric" else "AWS::CloudWatch::CompositeAlarm"
        out.append({"Type": kind, "Properties": {**entry["alarm"], **({"Tags": entry["tags"]} if entry["tags"]
                                                                      else {})}})
    return out
