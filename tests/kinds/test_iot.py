"""IoT topic rules: a rule with a lambda action (and error action) comes back whole, in place and in
another region; on an existing rule only this function's actions are re-pointed, in their places."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kindtest import ACCOUNT, actions, applied, record_of

from lambda_ark.aws import Aws
from lambda_ark.kinds import iot as kind
from lambda_ark.restore.arns import ArnMapper

A, B = "ap-south-1", "ap-southeast-1"


def _allow(aws: Aws, region: str, name: str, rule: str) -> None:
    aws.client("lambda", region).add_permission(
        FunctionName=name, StatementId="iot", Action="lambda:InvokeFunction", Principal="iot.amazonaws.com",
        SourceArn=f"arn:aws:iot:{region}:{ACCOUNT}:rule/{rule}")


def test_round_trip_in_place_and_into_another_region(
    aws: Aws, uid: Callable[[str], str], make_function: Callable[..., dict[str, Any]],
    region_ctx: Callable[..., Any], restore_ctx: Callable[..., Any],
) -> None:
    name, rule = uid("iotfn"), uid("rule").replace("-", "_")
    fn = make_function(A, name)
    _allow(aws, A, name, rule)
    sns_action = {"sns": {"targetArn": f"arn:aws:sns:{A}:{ACCOUNT}:alerts",
                          "roleArn": f"arn:aws:iam::{ACCOUNT}:role/x"}}
    payload = {"sql": "SELECT * FROM 'sensors/#'", "description": "telemetry", "ruleDisabled": False,
               "awsIotSqlVersion": "2016-03-23",
               "actions": [{"lambda": {"functionArn": fn["FunctionArn"]}}, sns_action],
               "errorAction": {"lambda": {"functionArn": fn["FunctionArn"]}}}
    iot = aws.client("iot", A)
    iot.create_topic_rule(ruleName=rule, topicRulePayload=payload)
    ctx = region_ctx(A)
    data = kind.capture(ctx, kind.discover(ctx), fn)
    assert data is not None and not ctx.warnings
    (entry,) = data
    assert entry["payload"]["actions"] == payload["actions"] and entry["payload"]["sql"] == payload["sql"]
    record = record_of(fn, A)

    # in place: the rule was replaced with one that no longer invokes the function
    iot.replace_topic_rule(ruleName=rule, topicRulePayload={**payload, "actions": [sns_action], "errorAction": {}})
    assert actions(applied(kind, restore_ctx(ArnMapper()), record, data)) == ["update"]
    got = iot.get_topic_rule(ruleName=rule)["rule"]
    assert got["actions"] == [sns_action, {"lambda": {"functionArn": fn["FunctionArn"]}}]
    assert got["errorAction"] == payload["errorAction"] and got["description"] == "telemetry"
    assert actions(applied(kind, restore_ctx(ArnMapper()), record, data)) == ["unchanged"]

    # an intact rule is unchanged, its actions' order kept
    iot.replace_topic_rule(ruleName=rule, topicRulePayload=payload)
    assert actions(applied(kind, restore_ctx(ArnMapper()), record, data)) == ["unchanged"]

    # another region: the rule does not exist there
    make_function(B, name)
    mapper = ArnMapper(region_map={A: B})
    assert actions(applied(kind, restore_ctx(mapper), record, data)) == ["create"]
    got = aws.client("iot", B).get_topic_rule(ruleName=rule)["rule"]
    assert got["actions"][0] == {"lambda": {"functionArn": f"arn:aws:lambda:{B}:{ACCOUNT}:function:{name}"}}
    assert got["actions"][1]["sns"]["targetArn"] == f"arn:aws:sns:{B}:{ACCOUNT}:alerts"
    assert actions(applied(kind, restore_ctx(mapper), record, data)) == ["unchanged"]


def test_missing_permission_is_a_warning(
    aws: Aws, uid: Callable[[str], str], make_function: Callable[..., dict[str, Any]], region_ctx: Callable[..., Any],
) -> None:
    name, rule = uid("iotnoperm"), uid("rule").replace("-", "_")
    fn = make_function(A, name)
    aws.client("iot", A).create_topic_rule(ruleName=rule, topicRulePayload={
        "sql": "SELECT * FROM 'a'", "actions": [{"lambda": {"functionArn": fn["FunctionArn"]}}]})
    ctx = region_ctx(A)
    assert kind.capture(ctx, kind.discover(ctx), fn)
    assert [w for w in ctx.warnings if f"rule/{rule}" in w and "iot.amazonaws.com" in w]


def test_to_iac() -> None:
    (res,) = kind.to_iac({}, [{"name": "r", "arn": "a", "payload": {"sql": "SELECT 1", "ruleDisabled": False,
                                                                    "actions": []}}])
    assert res["Type"] == "AWS::IoT::TopicRule" and res["Properties"]["TopicRulePayload"]["Sql"] == "SELECT 1"


def test_a_rule_of_two_functions_is_created_once_and_points_at_both(
    aws: Aws, uid: Callable[[str], str], make_function: Callable[..., dict[str, Any]],
    region_ctx: Callable[..., Any], restore_ctx: Callable[..., Any],
) -> None:
    rule = uid("rule").replace("-", "_")
    one, two = make_function(A, uid("iotone")), make_function(A, uid("iottwo"))
    payload = {"sql": "SELECT * FROM 'x'", "actions": [{"lambda": {"functionArn": one["FunctionArn"]}},
                                                       {"lambda": {"functionArn": two["FunctionArn"]}}]}
    aws.client("iot", A).create_topic_rule(ruleName=rule, topicRulePayload=payload)
    ctx = region_ctx(A)
    index = kind.discover(ctx)
    data_one, data_two = kind.capture(ctx, index, one), kind.capture(ctx, index, two)
    aws.client("iot", A).delete_topic_rule(ruleName=rule)
    restore = restore_ctx(ArnMapper())
    from lambda_ark.restore.apply import _apply_change
    changes = kind.plan(restore, record_of(one, A), data_one) + kind.plan(restore, record_of(two, A), data_two)
    assert [_apply_change(c, False).action for c in changes] == ["create", "create"]
    got = aws.client("iot", A).get_topic_rule(ruleName=rule)["rule"]
    assert got["actions"] == payload["actions"]
