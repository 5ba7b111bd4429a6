"""EventBridge rules: every target field survives, versions are remapped, other targets are left alone."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from kindtest import ACCOUNT, actions, applied, planned, record_of

from lambda_ark.aws import Aws
from lambda_ark.kinds import eventbridge as kind
from lambda_ark.restore.arns import ArnMapper, FunctionId

A, B = "eu-west-1", "eu-central-1"
PATTERN = {"source": ["my.app"], "detail-type": ["order"]}


IAC_RECORD = {"account": "1", "region": "r", "name": "f", "arn": "arn:aws:lambda:r:1:function:f", "items": {}}

def test_round_trip_with_custom_bus_and_new_version_numbers(
    aws: Aws, uid: Callable[[str], str], make_function: Callable[..., dict[str, Any]],
    region_ctx: Callable[..., Any], restore_ctx: Callable[..., Any],
) -> None:
    name, bus, rule, sched = uid("evfn"), uid("bus"), uid("rule"), uid("tick")
    fn = make_function(A, name, publish=True)  # version 1
    ev = aws.client("events", A)
    ev.create_event_bus(Name=bus)
    ev.put_rule(Name=rule, EventBusName=bus, EventPattern=json.dumps(PATTERN), Description="orders")
    target = {
        "Id": "t1", "Arn": f"{fn['FunctionArn']}:1",
        "InputTransformer": {"InputPathsMap": {"id": "$.detail.id"}, "InputTemplate": '{"order": <id>}'},
        "RetryPolicy": {"MaximumRetryAttempts": 3, "MaximumEventAgeInSeconds": 600},
        "DeadLetterConfig": {"Arn": f"arn:aws:sqs:{A}:{ACCOUNT}:dlq"},
    }
    other = {"Id": "other", "Arn": f"arn:aws:sqs:{A}:{ACCOUNT}:q"}
    ev.put_targets(Rule=rule, EventBusName=bus, Targets=[target, other])
    ev.put_rule(Name=sched, ScheduleExpression="rate(5 minutes)", State="DISABLED")
    ev.put_targets(Rule=sched, Targets=[{"Id": "s", "Arn": fn["FunctionArn"], "Input": '{"tick": true}'}])
    aws.client("lambda", A).add_permission(
        FunctionName=name, StatementId="ev", Action="lambda:InvokeFunction", Principal="events.amazonaws.com",
        SourceArn=f"arn:aws:events:{A}:{ACCOUNT}:rule/{sched}")

    ctx = region_ctx(A)
    data = kind.capture(ctx, kind.discover(ctx), fn)
    assert data is not None
    by_name = {d["name"]: d for d in data}
    assert by_name[rule]["bus"] == bus and json.loads(by_name[rule]["rule"]["EventPattern"]) == PATTERN
    assert by_name[rule]["targets"] == [target]  # only this function's target, with every field
    assert by_name[sched]["rule"]["ScheduleExpression"] == "rate(5 minutes)"
    # the bus rule has no permission statement; the schedule rule has one
    assert [w for w in ctx.warnings if f"rule/{bus}/{rule}" in w]
    assert not [w for w in ctx.warnings if f"rule/{sched} " in w]

    # B: the bus does not exist yet -> the bus rule fails, the default-bus rule is still restored
    make_function(B, name, publish=True)
    lam_b = aws.client("lambda", B)
    lam_b.update_function_configuration(FunctionName=name, Description="v2")
    lam_b.get_waiter("function_updated_v2").wait(FunctionName=name)
    new = lam_b.publish_version(FunctionName=name)["Version"]
    assert new == "2"
    mapper = ArnMapper(region_map={A: B}, versions={FunctionId(ACCOUNT, A, name): {"1": new}})
    record = record_of(fn, A)
    changes = planned(kind, restore_ctx(mapper), record, data)
    assert actions(changes) == ["create", "failed"]
    assert f"event bus {bus} does not exist in {B}" in next(c.detail for c in changes if c.action == "failed")

    evb = aws.client("events", B)
    evb.create_event_bus(Name=bus)
    assert actions(planned(kind, restore_ctx(mapper), record, data)) == ["create", "create"]
    assert not evb.list_rules(EventBusName=bus)["Rules"]
    assert actions(applied(kind, restore_ctx(mapper), record, data)) == ["create", "create"]
    (live,) = evb.list_targets_by_rule(Rule=rule, EventBusName=bus)["Targets"]
    assert live["Arn"] == f"arn:aws:lambda:{B}:{ACCOUNT}:function:{name}:2"
    assert live["InputTransformer"] == target["InputTransformer"] and live["RetryPolicy"] == target["RetryPolicy"]
    assert live["DeadLetterConfig"] == {"Arn": f"arn:aws:sqs:{B}:{ACCOUNT}:dlq"}
    described = evb.describe_rule(Name=sched)
    assert described["State"] == "DISABLED" and described["ScheduleExpression"] == "rate(5 minutes)"
    assert evb.list_targets_by_rule(Rule=sched)["Targets"][0]["Input"] == '{"tick": true}'
    assert actions(applied(kind, restore_ctx(mapper), record, data)) == ["unchanged", "unchanged"]


def test_changed_rule_is_updated_and_other_targets_survive(
    aws: Aws, uid: Callable[[str], str], make_function: Callable[..., dict[str, Any]],
    region_ctx: Callable[..., Any], restore_ctx: Callable[..., Any],
) -> None:
    name, rule = uid("evupd"), uid("rule")
    fn = make_function(A, name)
    ev = aws.client("events", A)
    ev.put_rule(Name=rule, EventPattern=json.dumps(PATTERN))
    ev.put_targets(Rule=rule, Targets=[{"Id": "f", "Arn": fn["FunctionArn"]}])
    ctx = region_ctx(A)
    data = kind.capture(ctx, kind.discover(ctx), fn)
    ev.put_rule(Name=rule, EventPattern=json.dumps({"source": ["changed"]}))
    ev.put_targets(Rule=rule, Targets=[{"Id": "other", "Arn": f"arn:aws:sqs:{A}:{ACCOUNT}:q"}])
    assert actions(applied(kind, restore_ctx(ArnMapper()), record_of(fn, A), data)) == ["update"]
    assert json.loads(ev.describe_rule(Name=rule)["EventPattern"]) == PATTERN
    assert {t["Id"] for t in ev.list_targets_by_rule(Rule=rule)["Targets"]} == {"f", "other"}


def test_to_iac_pattern_is_an_object() -> None:
    data = [{"bus": "default", "name": "r", "arn": "x", "rule": {"EventPattern": json.dumps(PATTERN)},
             "targets": [{"Id": "t", "Arn": "arn:aws:lambda:r:1:function:f"}]}]
    frag = kind.to_iac(IAC_RECORD, data)
    (res,) = frag.resources.values()
    assert res["Type"] == "AWS::Events::Rule" and res["Properties"]["EventPattern"] == PATTERN
    assert frag.arns == {"x": "${RuleDefaultR.Arn}"}  # a permission naming the rule becomes its GetAtt
