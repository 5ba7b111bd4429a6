"""SNS subscriptions with protocol `lambda` (filter policy, its scope and redrive policy included).

Restore subscribes the restored function to the mapped topic. It does not recreate a missing
topic: a topic's publishers, access policy and encryption are not in the snapshot, so an empty
look-alike would hide the real gap. A missing topic is a failed change that names it.
"""

from __future__ import annotations

import json
from functools import partial
from typing import Any

from ..aws import call
from . import iac
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
INVOKERS = ("sns.amazonaws.com",)  # whom its triggers invoke through the resource policy

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


def plan(ctx: RestoreContext, record: dict[str, Any], data: list[dict[str, Any]]) -> list[Change]:
    if ctx.isolated:
        return ctx.isolated_skip(NAME, f"{ctx.target_name(record)} ({ctx.target_region(record)})",
                                 "subscriptions to " + ", ".join(sorted({s["topic_arn"] for s in data})))
    return [_plan_one(ctx, sub) for sub in data]


def _plan_one(ctx: RestoreContext, sub: dict[str, Any]) -> Change:
    topic, endpoint = ctx.mapper.arn(sub["topic_arn"]), ctx.mapper.arn(sub["endpoint"])
    client = ctx.client("sns", topic.split(":")[3])
    label = f"{topic} -> {endpoint}"
    if maybe(client, "get_topic_attributes", TopicArn=topic) is None:
        return Change(NAME, label, "failed", f"topic {topic} does not exist (lambda-ark does not recreate topics)")
    want = _attributes(ctx, sub)
    live = None if ctx.arn_unknown(sub["endpoint"]) else _subscription(client, topic, endpoint)
    if live is None:
        return Change(NAME, label, "create", ", ".join(sorted(want)), apply=partial(_subscribe, ctx, client, sub))
    attrs = call(client, "get_subscription_attributes", SubscriptionArn=live["SubscriptionArn"])["Attributes"]
    differ = sorted(k for k, v in want.items() if not _same(k, attrs.get(k), v))
    if not differ:
        return Change(NAME, label, "unchanged")
    apply = partial(_set_attributes, ctx, client, sub, live["SubscriptionArn"], attrs)
    return Change(NAME, label, "update", ", ".join(differ), fields=differ, apply=apply)


def _attributes(ctx: RestoreContext, sub: dict[str, Any]) -> dict[str, str]:
    return {k: ctx.mapper.map_text(v) if k == "RedrivePolicy" else v for k, v in sub["attributes"].items()}


def _subscription(client: Any, topic: str, endpoint: str) -> dict[str, Any] | None:
    return next(
        (
            s
            for s in pages(client, "list_subscriptions_by_topic", "Subscriptions", TopicArn=topic)
            if s.get("Protocol") == "lambda" and s.get("Endpoint") == endpoint
        ),
        None,
    )


def _subscribe(ctx: RestoreContext, client: Any, sub: dict[str, Any]) -> None:
    call(
        client,
        "subscribe",
        TopicArn=ctx.mapper.arn(sub["topic_arn"]),
        Protocol="lambda",
        Endpoint=ctx.mapper.arn(sub["endpoint"]),  # now: a republished version has its number
        Attributes=_attributes(ctx, sub),
        ReturnSubscriptionArn=True,
    )


def _set_attributes(ctx: RestoreContext, client: Any, sub: dict[str, Any], arn: str, live: dict[str, str]) -> None:
    differ = {k: v for k, v in _attributes(ctx, sub).items() if not _same(k, live.get(k), v)}
    # the scope goes first: a policy is validated against the scope already set
    for key in sorted(differ, key=lambda k: k != "FilterPolicyScope"):
        call(client, "set_subscription_attributes", SubscriptionArn=arn, AttributeName=key, AttributeValue=differ[key])


def sources(record: dict[str, Any], data: list[dict[str, Any]]) -> list[str]:
    """The source ARNs this kind's triggers invoke from (the topics)."""
    return [str(s["topic_arn"]) for s in data]


def to_iac(record: dict[str, Any], data: list[dict[str, Any]]) -> iac.Fragment:
    """Subscriptions; the topic is named, not declared (its publishers and policy are not recorded)."""
    frag = iac.Fragment()
    for sub in data:
        props: dict[str, Any] = {"TopicArn": sub["topic_arn"], "Protocol": "lambda", "Endpoint": sub["endpoint"]}
        for key, value in sub["attributes"].items():
            props[key] = json.loads(value) if key in _JSON_ATTRIBUTES else value
        sid = iac.logical("Subscription", sub["topic_arn"].rsplit(":", 1)[-1], iac.short(sub["endpoint"]))
        frag.add(sid, "AWS::SNS::Subscription", props)
    return frag
