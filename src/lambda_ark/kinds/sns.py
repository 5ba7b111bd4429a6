"""SNS subscriptions with protocol `lambda` (filter policy, its scope and redrive policy included).

Restore subscribes the restored function to the mapped topic. It does not recreate a missing
topic: a topic's publishers, access policy and encryption are not in the snapshot, so an empty
look-alike would hide the real gap. A missing topic is a failed change that names it.
"""

from __future__ import annotations

import json
from typing import Any

from ..aws import call
from .base import Change, RegionContext, RestoreContext
from .common import maybe, pages
from .triggers import FunctionIndex, check_permission, is_function_arn, json_equal

NAME = "sns"
SERVICE = "sns"
PERMISSIONS = (
    "sns:ListSubscriptions",
    "sns:GetSubscriptionAttributes",
    "sns:GetTopicAttributes",
    "sns:ListSubscriptionsByTopic",
    "sns:Subscribe",
    "sns:SetSubscriptionAttributes",
    "lambda:GetPolicy",
)
SCOPE = "region"
ORDER_REASON = "after the function, its versions/aliases and policy: SNS invokes the endpoint it names"

# Attributes that shape delivery to a function; the rest (owner, ARNs, confirmation) are SNS's own.
_ATTRIBUTES = ("FilterPolicy", "FilterPolicyScope", "RedrivePolicy")
_JSON_ATTRIBUTES = ("FilterPolicy", "RedrivePolicy")


def discover(ctx: RegionContext) -> FunctionIndex:
    """ListSubscriptions covers every topic of the region in one paged call."""
    index = FunctionIndex()
    client = ctx.client("sns")
    for sub in pages(client, "list_subscriptions", "Subscriptions"):
        if sub.get("Protocol") != "lambda" or not is_function_arn(sub.get("Endpoint", "")):
            continue
        got = maybe(client, "get_subscription_attributes", SubscriptionArn=sub["SubscriptionArn"])
        if got is None:  # unsubscribed since listed
            continue
        attrs = {k: v for k, v in got["Attributes"].items() if k in _ATTRIBUTES}
        if "FilterPolicy" not in attrs:  # the scope means nothing without a policy
            attrs.pop("FilterPolicyScope", None)
        index.add(sub["Endpoint"], {"topic_arn": sub["TopicArn"], "endpoint": sub["Endpoint"], "attributes": attrs})
    return index


def capture(ctx: RegionContext, index: FunctionIndex, fn: dict[str, Any]) -> list[dict[str, Any]] | None:
    found = sorted(index.get(fn), key=lambda s: (s["topic_arn"], s["endpoint"]))
    for sub in found:
        check_permission(ctx, NAME, sub["endpoint"], "sns.amazonaws.com", sub["topic_arn"])
    return found or None


def _same(name: str, live: str | None, want: str) -> bool:
    return json_equal(live, want) if name in _JSON_ATTRIBUTES else live == want


def restore(ctx: RestoreContext, record: dict[str, Any], data: list[dict[str, Any]]) -> list[Change]:
    return [_restore_one(ctx, sub) for sub in data]


def _restore_one(ctx: RestoreContext, sub: dict[str, Any]) -> Change:
    topic, endpoint = ctx.mapper.arn(sub["topic_arn"]), ctx.mapper.arn(sub["endpoint"])
    client = ctx.client("sns", topic.split(":")[3])
    label = f"{topic} -> {endpoint}"
    if maybe(client, "get_topic_attributes", TopicArn=topic) is None:
        return Change(NAME, label, "failed", f"topic {topic} does not exist (lambda-ark does not recreate topics)")
    want = {k: ctx.mapper.map_text(v) if k == "RedrivePolicy" else v for k, v in sub["attributes"].items()}
    live = next(
        (
            s
            for s in pages(client, "list_subscriptions_by_topic", "Subscriptions", TopicArn=topic)
            if s.get("Protocol") == "lambda" and s.get("Endpoint") == endpoint
        ),
        None,
    )
    if live is None:
        if not ctx.dry_run:
            call(
                client,
                "subscribe",
                TopicArn=topic,
                Protocol="lambda",
                Endpoint=endpoint,
                Attributes=want,
                ReturnSubscriptionArn=True,
            )
        return Change(NAME, label, "create", ", ".join(sorted(want)))
    attrs = call(client, "get_subscription_attributes", SubscriptionArn=live["SubscriptionArn"])["Attributes"]
    differ = {k: v for k, v in want.items() if not _same(k, attrs.get(k), v)}
    if differ and not ctx.dry_run:
        # the scope goes first: a policy is validated against the scope already set
        for key in sorted(differ, key=lambda k: k != "FilterPolicyScope"):
            call(
                client,
                "set_subscription_attributes",
                SubscriptionArn=live["SubscriptionArn"],
                AttributeName=key,
                AttributeValue=differ[key],
            )
    return Change(NAME, label, "update" if differ else "unchanged", ", ".join(sorted(differ)))


def to_iac(record: dict[str, Any], data: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for sub in data:
        props: dict[str, Any] = {"TopicArn": sub["topic_arn"], "Protocol": "lambda", "Endpoint": sub["endpoint"]}
        for key, value in sub["attributes"].items():
            props[key] = json.loads(value) if key in _JSON_ATTRIBUTES else value
        out.append({"Type": "AWS::SNS::Subscription", "Properties": props})
    return out
