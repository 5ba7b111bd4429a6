"""CloudWatch Logs subscription filters: recorded with every setting, restored on the same-named log
group (created when missing), refused by AWS without the invoke permission."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kindtest import ACCOUNT, actions, applied, planned, record_of

from lambda_ark.aws import Aws
from lambda_ark.kinds import logs_subscriptions as kind
from lambda_ark.restore.arns import ArnMapper

A, B = "ap-northeast-1", "ap-northeast-2"


def _allow(aws: Aws, region: str, name: str, group: str) -> None:
    aws.client("lambda", region).add_permission(
        FunctionName=name, StatementId="logs", Action="lambda:InvokeFunction", Principal="logs.amazonaws.com",
        SourceArn=f"arn:aws:logs:{region}:{ACCOUNT}:log-group:{group}:*", SourceAccount=ACCOUNT)


def test_filter_round_trip_in_place_and_into_another_region(
    aws: Aws, uid: Callable[[str], str], make_function: Callable[..., dict[str, Any]],
    region_ctx: Callable[..., Any], restore_ctx: Callable[..., Any],
) -> None:
    name, group = uid("logfn"), f"/app/{uid('grp')}"
    fn = make_function(A, name)
    logs = aws.client("logs", A)
    logs.create_log_group(logGroupName=group)
    logs.put_retention_policy(logGroupName=group, retentionInDays=14)
    _allow(aws, A, name, group)
    logs.put_subscription_filter(logGroupName=group, filterName="errors", filterPattern="ERROR",
                                 destinationArn=fn["FunctionArn"], distribution="Random")

    ctx = region_ctx(A)
    data = kind.capture(ctx, kind.discover(ctx), fn)
    assert data == [{"log_group": group, "filter": "errors", "function_arn": fn["FunctionArn"], "retention_days": 14,
                     "settings": {"filterPattern": "ERROR", "distribution": "Random"}}]
    assert not ctx.warnings
    record = record_of(fn, A)

    # in place: the filter is gone
    logs.delete_subscription_filter(logGroupName=group, filterName="errors")
    assert actions(applied(kind, restore_ctx(ArnMapper()), record, data)) == ["create"]
    (live,) = logs.describe_subscription_filters(logGroupName=group)["subscriptionFilters"]
    assert (live["filterPattern"], live["distribution"], live["destinationArn"]) == ("ERROR", "Random",
                                                                                     fn["FunctionArn"])
    assert actions(applied(kind, restore_ctx(ArnMapper()), record, data)) == ["unchanged"]

    # another region: no log group there yet; the restored function lets Logs in (the policy kind's work)
    make_function(B, name)
    _allow(aws, B, name, group)
    mapper = ArnMapper(region_map={A: B})
    (change,) = planned(kind, restore_ctx(mapper), record, data)
    assert (change.action, change.detail) == ("create", f"log group {group} created too")
    assert actions(applied(kind, restore_ctx(mapper), record, data)) == ["create"]
    logs_b = aws.client("logs", B)
    (made,) = [g for g in logs_b.describe_log_groups(logGroupNamePrefix=group)["logGroups"]]
    assert made["retentionInDays"] == 14
    (live,) = logs_b.describe_subscription_filters(logGroupName=group)["subscriptionFilters"]
    assert live["destinationArn"] == f"arn:aws:lambda:{B}:{ACCOUNT}:function:{name}"
    assert actions(applied(kind, restore_ctx(mapper), record, data)) == ["unchanged"]


def test_changed_filter_is_updated(
    aws: Aws, uid: Callable[[str], str], make_function: Callable[..., dict[str, Any]],
    region_ctx: Callable[..., Any], restore_ctx: Callable[..., Any],
) -> None:
    name, group = uid("logupd"), f"/app/{uid('grp')}"
    fn = make_function(A, name)
    logs = aws.client("logs", A)
    logs.create_log_group(logGroupName=group)
    _allow(aws, A, name, group)
    logs.put_subscription_filter(logGroupName=group, filterName="f", filterPattern="ERROR",
                                 destinationArn=fn["FunctionArn"])
    ctx = region_ctx(A)
    data = kind.capture(ctx, kind.discover(ctx), fn)
    logs.put_subscription_filter(logGroupName=group, filterName="f", filterPattern="WARN",
                                 destinationArn=fn["FunctionArn"])
    (change,) = applied(kind, restore_ctx(ArnMapper()), record_of(fn, A), data)
    assert (change.action, change.fields) == ("update", ["filterPattern"])
    assert logs.describe_subscription_filters(logGroupName=group)["subscriptionFilters"][0]["filterPattern"] == "ERROR"


def test_no_permission_warns_at_backup_and_fails_at_restore(
    aws: Aws, uid: Callable[[str], str], make_function: Callable[..., dict[str, Any]],
    region_ctx: Callable[..., Any], restore_ctx: Callable[..., Any],
) -> None:
    name, group = uid("lognoperm"), f"/app/{uid('grp')}"
    fn = make_function(A, name)
    logs = aws.client("logs", A)
    logs.create_log_group(logGroupName=group)
    _allow(aws, A, name, group)
    logs.put_subscription_filter(logGroupName=group, filterName="f", filterPattern="",
                                 destinationArn=fn["FunctionArn"])
    aws.client("lambda", A).remove_permission(FunctionName=name, StatementId="logs")
    ctx = region_ctx(A)
    data = kind.capture(ctx, kind.discover(ctx), fn)
    assert data is not None and len(data) == 1
    assert [w for w in ctx.warnings if "does not let logs.amazonaws.com invoke it" in w and group in w]

    logs.delete_subscription_filter(logGroupName=group, filterName="f")
    (change,) = applied(kind, restore_ctx(ArnMapper()), record_of(fn, A), data)
    assert change.action == "failed" and "given CloudWatch Logs permission" in change.detail


def test_to_iac() -> None:
    data = [{"log_group": "/g", "filter": "f", "function_arn": "arn:aws:lambda:r:1:function:f",
             "settings": {"filterPattern": "ERROR", "distribution": "Random"}}]
    (res,) = kind.to_iac({}, data)
    assert res["Type"] == "AWS::Logs::SubscriptionFilter"
    assert res["Properties"]["Distribution"] == "Random" and res["Properties"]["DestinationArn"].endswith(":f")
