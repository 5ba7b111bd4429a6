"""EventBridge Scheduler schedules whose target is a function (templated Lambda target).

Scheduler invokes through the schedule's execution role, not the function's resource policy, so
there is no permission to check or grant here. A missing schedule group is recreated: a group is
only a name (and tags), so nothing is lost by making it again. Universal targets
(`arn:aws:scheduler:::aws-sdk:lambda:invoke`) name the function inside their input and are not
matched.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial
from typing import Any

from ..aws import call
from . import iac
from .base import Change, RegionContext, RestoreContext
from .common import NOT_FOUND, differing, maybe, pages, strip_none
from .triggers import FunctionIndex, is_function_arn

NAME = "scheduler"
SERVICE = "scheduler"
PERMISSIONS = (
    "scheduler:ListSchedules",
    "scheduler:GetSchedule",
    "scheduler:GetScheduleGroup",
    "scheduler:CreateScheduleGroup",
    "scheduler:CreateSchedule",
    "scheduler:UpdateSchedule",
    "iam:PassRole",
)
SCOPE = "region"
ORDER_REASON = "after the function and its versions/aliases: a schedule's target names them"
# Scheduler invokes through its role; a statement for it in the policy is matched all the same
INVOKERS = ("scheduler.amazonaws.com",)

_FIELDS = (
    "ScheduleExpression",
    "ScheduleExpressionTimezone",
    "StartDate",
    "EndDate",
    "Description",
    "State",
    "FlexibleTimeWindow",
    "KmsKeyArn",
    "ActionAfterCompletion",
)
_TARGET_FIELDS = ("Arn", "RoleArn", "Input", "RetryPolicy", "DeadLetterConfig")
_DATES = ("StartDate", "EndDate")
_MISSING = NOT_FOUND["scheduler"]


def discover(ctx: RegionContext) -> FunctionIndex:
    index = FunctionIndex()
    client = ctx.client("scheduler")
    for summary in pages(client, "list_schedules", "Schedules"):
        if not is_function_arn(summary.get("Target", {}).get("Arn", "")):
            continue
        got = maybe(client, "get_schedule", missing=_MISSING, Name=summary["Name"], GroupName=summary["GroupName"])
        if got is not None:  # deleted since listed
            index.add(got["Target"]["Arn"], normal(got))
    return index


def normal(schedule: dict[str, Any]) -> dict[str, Any]:
    """A schedule as JSON: what create_schedule takes, dates as ISO 8601 text."""
    out = strip_none({k: schedule.get(k) for k in _FIELDS})
    for key in _DATES:
        if isinstance(out.get(key), datetime):
            out[key] = out[key].astimezone(UTC).isoformat()  # one zone, so equal dates compare equal
    out["Target"] = strip_none({k: schedule["Target"].get(k) for k in _TARGET_FIELDS})
    return {"group": schedule.get("GroupName") or "default", "name": schedule["Name"], "schedule": out}


def capture(ctx: RegionContext, index: FunctionIndex, fn: dict[str, Any]) -> list[dict[str, Any]] | None:
    return sorted(index.get(fn), key=lambda s: (s["group"], s["name"])) or None


def _mapped(ctx: RestoreContext, schedule: dict[str, Any]) -> dict[str, Any]:
    out = dict(schedule)
    target = dict(out["Target"], Arn=ctx.mapper.arn(out["Target"]["Arn"]))
    if "RoleArn" in target:
        target["RoleArn"] = ctx.mapper.arn(target["RoleArn"])
    if "DeadLetterConfig" in target:
        target["DeadLetterConfig"] = {"Arn": ctx.mapper.arn(target["DeadLetterConfig"]["Arn"])}
    out["Target"] = target
    if "KmsKeyArn" in out:
        out["KmsKeyArn"] = ctx.mapper.arn(out["KmsKeyArn"])
    return out


def _as_args(schedule: dict[str, Any]) -> dict[str, Any]:
    return {k: datetime.fromisoformat(v) if k in _DATES else v for k, v in schedule.items()}


def plan(ctx: RestoreContext, record: dict[str, Any], data: list[dict[str, Any]]) -> list[Change]:
    region = ctx.target_region(record)
    if ctx.isolated:
        return ctx.isolated_skip(NAME, f"{ctx.target_name(record)} ({region})",
                                 "schedules " + ", ".join(f"{e['group']}/{e['name']}" for e in data))
    client = ctx.client("scheduler", region)
    groups = ctx.shared(NAME).setdefault("groups", set())  # reported once per restore
    changes = []
    for entry in data:
        group, name = entry["group"], entry["name"]
        label = f"schedule {group}/{name} ({region})"
        if group != "default" and (region, group) not in groups:
            groups.add((region, group))
            group_label = f"schedule group {group} ({region})"
            if maybe(client, "get_schedule_group", missing=_MISSING, Name=group) is None:
                create = partial(call, client, "create_schedule_group", Name=group)
                changes.append(Change(NAME, group_label, "create", apply=create))
            else:
                changes.append(Change(NAME, group_label, "unchanged"))
        live = maybe(client, "get_schedule", missing=_MISSING, Name=name, GroupName=group)
        want = _mapped(ctx, entry["schedule"])
        pending = ctx.arn_unknown(entry["schedule"]["Target"]["Arn"])
        if live is not None and normal(live)["schedule"] == want and not pending:
            changes.append(Change(NAME, label, "unchanged"))
            continue
        fields = [] if live is None else differing(want, normal(live)["schedule"])
        apply = partial(_put, ctx, client, entry, "create_schedule" if live is None else "update_schedule")
        changes.append(
            Change(NAME, label, "create" if live is None else "update", want["Target"]["Arn"], fields=fields,
                   apply=apply)
        )
    return changes


def _put(ctx: RestoreContext, client: Any, entry: dict[str, Any], operation: str) -> None:
    want = _mapped(ctx, entry["schedule"])  # now: new version numbers known
    call(client, operation, Name=entry["name"], GroupName=entry["group"], **_as_args(want))


def sources(record: dict[str, Any], data: list[dict[str, Any]]) -> list[str]:
    """The source ARNs this kind's triggers invoke from (the schedules)."""
    partition = str(record["arn"]).split(":")[1]
    return [f"arn:{partition}:scheduler:{record['region']}:{record['account']}:schedule/{e['group']}/{e['name']}"
            for e in data]


def to_iac(record: dict[str, Any], data: list[dict[str, Any]]) -> iac.Fragment:
    frag = iac.Fragment()
    for e in data:
        props: dict[str, Any] = {"Name": e["name"], **e["schedule"]}
        if props.pop("ActionAfterCompletion", None) not in (None, "NONE"):
            frag.notes.append(f"schedule {e['group']}/{e['name']}: ActionAfterCompletion is not a CloudFormation "
                              "property; not exported")
        if e["group"] != "default":  # the Ref makes the schedule wait for its group
            gid = iac.logical("ScheduleGroup", e["group"])
            frag.add(gid, "AWS::Scheduler::ScheduleGroup", {"Name": e["group"]})
            props["GroupName"] = {"Ref": gid}
        props.setdefault("FlexibleTimeWindow", {"Mode": "OFF"})
        frag.add(iac.logical("Schedule", e["group"], e["name"]), "AWS::Scheduler::Schedule", props)
    return frag
