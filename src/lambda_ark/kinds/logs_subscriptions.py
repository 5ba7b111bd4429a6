"""CloudWatch Logs subscription filters whose destination is a function.

Discovery lists the region's log groups once and reads each group's filters (a group holds at most
two). Restore puts the filter on the same-named log group in the target. A missing log group is
created (with the recorded retention): whatever writes to it does so by name (a function's own
`/aws/lambda/<name>`, an API's access log), so the group the restored producer writes to is the one
that needs the filter. The filter is put after the policy kind has restored the statement that lets
CloudWatch Logs invoke the function: AWS refuses a filter whose function does not allow it.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from ..aws import call
from .base import Change, RegionContext, RestoreContext
from .common import maybe, offered, pages
from .triggers import FunctionIndex, is_function_arn, permitted

NAME = "logs_subscriptions"
SERVICE = "logs"
PERMISSIONS = (
    "logs:DescribeLogGroups",
    "logs:DescribeSubscriptionFilters",
    "logs:CreateLogGroup",
    "logs:PutRetentionPolicy",
    "logs:PutSubscriptionFilter",
    "lambda:GetPolicy",
)
SCOPE = "region"
ORDER_REASON = "after the function and its policy: CloudWatch Logs tests the invoke permission when the filter is put"
INVOKERS = ("logs.amazonaws.com",)

# PutSubscriptionFilter members a filter keeps (roleArn is for Kinesis and Firehose destinations only)
_FIELDS = ("filterPattern", "distribution", "applyOnTransformedLogs", "fieldSelectionCriteria", "emitSystemFields")


def group_arn(region: str, account: str, name: str, partition: str = "aws") -> str:
    """The ARN CloudWatch Logs invokes with (the log group's, with `:*`)."""
    return f"arn:{partition}:logs:{region}:{account}:log-group:{name}:*"


def discover(ctx: RegionContext) -> FunctionIndex:
    """DescribeLogGroups (paged, 50 a call), then one DescribeSubscriptionFilters per log group."""
    if not offered(ctx, SERVICE):
        return FunctionIndex()
    index = FunctionIndex()
    client = ctx.client("logs")
    for group in pages(client, "describe_log_groups", "logGroups"):
        name = group["logGroupName"]
        # at most two filters per group: one page; None when the group was deleted since listed
        got = maybe(client, "describe_subscription_filters", logGroupName=name)
        for sub in (got or {}).get("subscriptionFilters", []):
            if is_function_arn(sub.get("destinationArn", "")):
                entry = {"log_group": name, "filter": sub["filterName"], "function_arn": sub["destinationArn"],
                         "settings": {k: sub[k] for k in _FIELDS if sub.get(k) is not None}}
                if group.get("retentionInDays"):
                    entry["retention_days"] = group["retentionInDays"]
                index.add(sub["destinationArn"], entry)
    return index


def capture(ctx: RegionContext, index: FunctionIndex, fn: dict[str, Any]) -> list[dict[str, Any]] | None:
    found = sorted(index.get(fn), key=lambda e: (e["log_group"], e["filter"]))
    for entry in found:
        source = group_arn(ctx.region, ctx.account, entry["log_group"])
        principals = ("logs.amazonaws.com", f"logs.{ctx.region}.amazonaws.com")
        if not any(permitted(ctx, entry["function_arn"], p, source) for p in principals):
            ctx.warnings.append(
                f"{NAME}: {source} targets {entry['function_arn']} but its resource policy does not let "
                "logs.amazonaws.com invoke it (the trigger would not fire)"
            )
    return found or None


def sources(record: dict[str, Any], data: list[dict[str, Any]]) -> list[str]:
    return [group_arn(record["region"], record["account"], e["log_group"]) for e in data]


def plan(ctx: RestoreContext, record: dict[str, Any], data: list[dict[str, Any]]) -> list[Change]:
    region = ctx.target_region(record)
    client = ctx.client("logs", region)
    changes = []
    for entry in data:
        group = entry["log_group"]
        label = f"log group {group} filter {entry['filter']} ({region})"
        want = _wanted(ctx, entry)
        if _group(client, group) is None:
            changes.append(Change(NAME, label, "create", f"log group {group} created too",
                                  apply=partial(_put, ctx, client, entry, True)))
            continue
        live = _filter(client, group, entry["filter"])
        if live is None:
            changes.append(Change(NAME, label, "create", want["destinationArn"], apply=partial(_put, ctx, client, entry,
                                                                                               False)))
            continue
        have = {"destinationArn": live.get("destinationArn"),
                **{k: live[k] for k in _FIELDS if live.get(k) is not None}}
        differ = sorted(k for k in set(want) | set(have) if want.get(k) != have.get(k))
        if not differ and not ctx.arn_unknown(entry["function_arn"]):
            changes.append(Change(NAME, label, "unchanged"))
            continue
        changes.append(Change(NAME, label, "update", want["destinationArn"], fields=differ,
                              apply=partial(_put, ctx, client, entry, False)))
    return changes


def _wanted(ctx: RestoreContext, entry: dict[str, Any]) -> dict[str, Any]:
    settings = {"distribution": "ByLogStream", **entry["settings"]}  # AWS reports the default
    return {"destinationArn": ctx.mapper.arn(entry["function_arn"]), **settings}


def _group(client: Any, name: str) -> dict[str, Any] | None:
    return next((g for g in pages(client, "describe_log_groups", "logGroups", logGroupNamePrefix=name)
                 if g["logGroupName"] == name), None)


def _filter(client: Any, group: str, name: str) -> dict[str, Any] | None:
    got = maybe(client, "describe_subscription_filters", logGroupName=group, filterNamePrefix=name)
    return next((f for f in (got or {}).get("subscriptionFilters", []) if f["filterName"] == name), None)


def _put(ctx: RestoreContext, client: Any, entry: dict[str, Any], create_group: bool) -> str | None:
    group = entry["log_group"]
    done = None
    if create_group and _group(client, group) is None:
        call(client, "create_log_group", logGroupName=group)
        if entry.get("retention_days"):
            call(client, "put_retention_policy", logGroupName=group, retentionInDays=entry["retention_days"])
        done = f"created log group {group}"
    want = _wanted(ctx, entry)  # now: a republished version has its number
    call(client, "put_subscription_filter", logGroupName=group, filterName=entry["filter"], **want)
    return done


def to_iac(record: dict[str, Any], data: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for entry in data:
        settings = entry["settings"]
        props: dict[str, Any] = {
            "LogGroupName": entry["log_group"],
            "FilterName": entry["filter"],
            "FilterPattern": settings.get("filterPattern", ""),
            "DestinationArn": entry["function_arn"],
        }
        for key, cfn in (("distribution", "Distribution"), ("applyOnTransformedLogs", "ApplyOnTransformedLogs"),
                         ("fieldSelectionCriteria", "FieldSelectionCriteria"),
                         ("emitSystemFields", "EmitSystemFields")):
            if key in settings:
                props[cfn] = settings[key]
        out.append({"Type": "AWS::Logs::SubscriptionFilter", "Properties": props})
    return out
