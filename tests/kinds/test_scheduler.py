"""Scheduler: a schedule in a custom group comes back in another region, pointing at the new alias ARN."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from kindtest import ACCOUNT, ROLE, actions, applied, planned, record_of

from lambda_ark.aws import Aws
from lambda_ark.kinds import scheduler as kind
from lambda_ark.restore.arns import ArnMapper

A, B = "eu-west-1", "eu-central-1"


def test_round_trip_recreates_group_and_schedule(
    aws: Aws, uid: Callable[[str], str], make_function: Callable[..., dict[str, Any]],
    region_ctx: Callable[..., Any], restore_ctx: Callable[..., Any],
) -> None:
    name, group, sched = uid("schfn"), uid("grp"), uid("nightly")
    fn = make_function(A, name)
    sc = aws.client("scheduler", A)
    sc.create_schedule_group(Name=group)
    end = datetime(2031, 1, 2, 3, 4, 5, tzinfo=UTC)
    target = {"Arn": f"{fn['FunctionArn']}:live", "RoleArn": ROLE, "Input": '{"job": "nightly"}',
              "RetryPolicy": {"MaximumEventAgeInSeconds": 3600, "MaximumRetryAttempts": 2},
              "DeadLetterConfig": {"Arn": f"arn:aws:sqs:{A}:{ACCOUNT}:dlq"}}
    sc.create_schedule(Name=sched, GroupName=group, ScheduleExpression="cron(0 2 * * ? *)",
                       ScheduleExpressionTimezone="Europe/Paris", EndDate=end, Description="nightly",
                       FlexibleTimeWindow={"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 15}, Target=target)
    sc.create_schedule(Name=uid("elsewhere"), ScheduleExpression="rate(1 hour)", FlexibleTimeWindow={"Mode": "OFF"},
                       Target={"Arn": f"arn:aws:sqs:{A}:{ACCOUNT}:q", "RoleArn": ROLE})

    ctx = region_ctx(A)
    data = kind.capture(ctx, kind.discover(ctx), fn)
    assert data is not None and [(d["group"], d["name"]) for d in data] == [(group, sched)]
    captured = data[0]["schedule"]
    assert captured["Target"] == target and captured["EndDate"] == end.isoformat()
    assert captured["ScheduleExpressionTimezone"] == "Europe/Paris"

    sc.delete_schedule(Name=sched, GroupName=group)
    mapper = ArnMapper(region_map={A: B})
    record = record_of(fn, A)
    dry = planned(kind, restore_ctx(mapper), record, data)
    assert [(c.target.split()[0], c.action) for c in dry] == [("schedule", "create"), ("schedule", "create")]
    sb = aws.client("scheduler", B)
    assert [g["Name"] for g in sb.list_schedule_groups()["ScheduleGroups"]] == ["default"]
    assert actions(applied(kind, restore_ctx(mapper), record, data)) == ["create", "create"]
    live = sb.get_schedule(Name=sched, GroupName=group)
    assert live["Target"]["Arn"] == f"arn:aws:lambda:{B}:{ACCOUNT}:function:{name}:live"
    assert live["Target"]["DeadLetterConfig"] == {"Arn": f"arn:aws:sqs:{B}:{ACCOUNT}:dlq"}
    assert live["FlexibleTimeWindow"] == {"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 15}
    assert live["EndDate"] == end
    # the group is reported too, so a re-plan accounts for everything the first restore created
    assert actions(applied(kind, restore_ctx(mapper), record, data)) == ["unchanged", "unchanged"]

    sb.update_schedule(Name=sched, GroupName=group, ScheduleExpression="rate(1 day)",
                       FlexibleTimeWindow={"Mode": "OFF"}, Target={"Arn": fn["FunctionArn"], "RoleArn": ROLE})
    assert actions(applied(kind, restore_ctx(mapper), record, data)) == ["unchanged", "update"]
    assert sb.get_schedule(Name=sched, GroupName=group)["ScheduleExpression"] == "cron(0 2 * * ? *)"


def test_to_iac() -> None:
    data = [{"group": "default", "name": "n", "schedule": {"ScheduleExpression": "rate(1 hour)",
                                                           "Target": {"Arn": "a", "RoleArn": "r"}}}]
    (res,) = kind.to_iac({}, data).resources.values()
    assert res["Type"] == "AWS::Scheduler::Schedule" and res["Properties"]["ScheduleExpression"] == "rate(1 hour)"
