"""SNS subscriptions: filter policy and redrive survive, the topic must exist, changes are updates."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from kindtest import ACCOUNT, actions, applied, planned, record_of

from lambda_ark.aws import Aws
from lambda_ark.kinds import sns as kind
from lambda_ark.restore.arns import ArnMapper, FunctionId

A, B = "eu-west-1", "eu-central-1"
FILTER = {"kind": ["order"], "amount": [{"numeric": [">", 10]}]}


IAC_RECORD = {"account": "1", "region": "r", "name": "f", "arn": "arn:aws:lambda:r:1:function:f", "items": {}}

def _lambda_subs(aws: Aws, region: str, topic: str) -> list[dict[str, Any]]:
    subs = aws.client("sns", region).list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    return [s for s in subs if s["Protocol"] == "lambda"]


def test_round_trip_into_another_region(
    aws: Aws, uid: Callable[[str], str], make_function: Callable[..., dict[str, Any]],
    region_ctx: Callable[..., Any], restore_ctx: Callable[..., Any],
) -> None:
    name, topic_name = uid("snsfn"), uid("topic")
    fn = make_function(A, name)
    lam = aws.client("lambda", A)
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion="$LATEST")
    sns = aws.client("sns", A)
    topic = sns.create_topic(Name=topic_name)["TopicArn"]
    lam.add_permission(FunctionName=name, Qualifier="live", StatementId="sns", Action="lambda:InvokeFunction",
                       Principal="sns.amazonaws.com", SourceArn=topic)
    redrive = json.dumps({"deadLetterTargetArn": f"arn:aws:sqs:{A}:{ACCOUNT}:dlq"})
    sub = sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=f"{fn['FunctionArn']}:live",
                        Attributes={"FilterPolicy": json.dumps(FILTER), "RedrivePolicy": redrive},
                        ReturnSubscriptionArn=True)["SubscriptionArn"]

    ctx = region_ctx(A)
    data = kind.capture(ctx, kind.discover(ctx), fn)
    assert data is not None and len(data) == 1
    (captured,) = data
    assert captured["topic_arn"] == topic and captured["endpoint"] == f"{fn['FunctionArn']}:live"
    assert json.loads(captured["attributes"]["FilterPolicy"]) == FILTER
    assert not [w for w in ctx.warnings if topic in w]

    sns.unsubscribe(SubscriptionArn=sub)
    sns.delete_topic(TopicArn=topic)
    make_function(B, f"dr-{name}")
    aws.client("lambda", B).create_alias(FunctionName=f"dr-{name}", Name="live", FunctionVersion="$LATEST")
    mapper = ArnMapper(region_map={A: B}, name_template="dr-{name}", sources={FunctionId(ACCOUNT, A, name)})
    record = record_of(fn, A)
    topic_b = f"arn:aws:sns:{B}:{ACCOUNT}:{topic_name}"

    (change,) = applied(kind, restore_ctx(mapper), record, data)  # no topic in B yet
    assert change.action == "failed" and topic_b in change.detail
    aws.client("sns", B).create_topic(Name=topic_name)
    assert actions(planned(kind, restore_ctx(mapper), record, data)) == ["create"]
    assert _lambda_subs(aws, B, topic_b) == []
    assert actions(applied(kind, restore_ctx(mapper), record, data)) == ["create"]
    (live,) = _lambda_subs(aws, B, topic_b)
    assert live["Endpoint"] == f"arn:aws:lambda:{B}:{ACCOUNT}:function:dr-{name}:live"
    attrs = aws.client("sns", B).get_subscription_attributes(SubscriptionArn=live["SubscriptionArn"])["Attributes"]
    assert json.loads(attrs["FilterPolicy"]) == FILTER
    assert json.loads(attrs["RedrivePolicy"]) == {"deadLetterTargetArn": f"arn:aws:sqs:{B}:{ACCOUNT}:dlq"}
    assert actions(applied(kind, restore_ctx(mapper), record, data)) == ["unchanged"]


def test_changed_filter_policy_is_updated_and_unpermitted_subscription_warns(
    aws: Aws, uid: Callable[[str], str], make_function: Callable[..., dict[str, Any]],
    region_ctx: Callable[..., Any], restore_ctx: Callable[..., Any],
) -> None:
    fn = make_function(A, uid("snsupd"))
    sns = aws.client("sns", A)
    topic = sns.create_topic(Name=uid("topic"))["TopicArn"]
    sub = sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=fn["FunctionArn"],
                        Attributes={"FilterPolicy": json.dumps(FILTER)}, ReturnSubscriptionArn=True)["SubscriptionArn"]
    ctx = region_ctx(A)
    data = kind.capture(ctx, kind.discover(ctx), fn)
    assert [w for w in ctx.warnings if topic in w and "sns.amazonaws.com" in w]
    sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="FilterPolicy",
                                    AttributeValue=json.dumps({"kind": ["other"]}))
    (change,) = applied(kind, restore_ctx(ArnMapper()), record_of(fn, A), data)
    assert (change.action, change.detail) == ("update", "FilterPolicy")
    attrs = sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]
    assert json.loads(attrs["FilterPolicy"]) == FILTER


def test_to_iac_filter_policy_is_an_object() -> None:
    data = [{"topic_arn": "arn:aws:sns:r:1:t", "endpoint": "arn:aws:lambda:r:1:function:f",
             "attributes": {"FilterPolicy": json.dumps(FILTER), "FilterPolicyScope": "MessageAttributes"}}]
    (res,) = kind.to_iac(IAC_RECORD, data).resources.values()
    assert res["Type"] == "AWS::SNS::Subscription" and res["Properties"]["FilterPolicy"] == FILTER
