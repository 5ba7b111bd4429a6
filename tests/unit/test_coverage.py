"""Nothing invisible, as a table: each policy statement is matched to a kind that captured its
invoker, or becomes a "not captured" line."""

from __future__ import annotations

from typing import Any

import pytest

from lambda_ark.kinds import KINDS
from lambda_ark.kinds.coverage import normal_principal, not_captured

ACCOUNT, REGION = "111122223333", "eu-west-1"
FN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:orders"
BUCKET = "arn:aws:s3:::uploads"
TOPIC = f"arn:aws:sns:{REGION}:{ACCOUNT}:events"
RULE = f"arn:aws:iot:{REGION}:{ACCOUNT}:rule/telemetry"
GROUP = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/app/audit:*"


def allow(principal: Any, source: str = "", account: str = "", **extra: Any) -> dict[str, Any]:
    s: dict[str, Any] = {"Sid": "s", "Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": FN,
                         "Principal": {"Service": principal} if isinstance(principal, str) and "." in principal
                         else principal}
    cond: dict[str, Any] = {}
    if source:
        cond["ArnLike"] = {"AWS:SourceArn": source}
    if account:
        cond["StringEquals"] = {"AWS:SourceAccount": account}
    if cond:
        s["Condition"] = cond
    return {**s, **extra}


S3 = [{"bucket": "uploads", "id": "n", "function_arn": FN, "events": [], "filter": []}]
SNS = [{"topic_arn": TOPIC, "endpoint": FN, "attributes": {}}]
LOGS = [{"log_group": "/app/audit", "filter": "f", "function_arn": FN, "settings": {}}]
REST = [{"id": "abc123", "api": {}, "stages": [], "methods": []}]

CASES: list[tuple[str, dict[str, list[dict[str, Any]]], dict[str, Any], list[str]]] = [
    ("s3 trigger captured", {"": [allow("s3.amazonaws.com", BUCKET, ACCOUNT)]}, {"s3_notifications": S3}, []),
    ("s3 permission, no trigger on that bucket", {"": [allow("s3.amazonaws.com", "arn:aws:s3:::other")]},
     {"s3_notifications": S3}, ["invoked by s3.amazonaws.com (arn:aws:s3:::other), not captured"]),
    ("a service no kind records", {"": [allow("config.amazonaws.com", account=ACCOUNT)]}, {},
     [f"invoked by config.amazonaws.com (account {ACCOUNT}), not captured"]),
    ("another account", {"": [allow({"AWS": "arn:aws:iam::444455556666:root"})]}, {},
     ["invoked by account 444455556666 (any source), not captured"]),
    ("iot rule not captured", {"": [allow("iot.amazonaws.com", RULE)]}, {},
     [f"invoked by iot.amazonaws.com ({RULE}), not captured"]),
    ("regional logs principal", {"": [allow(f"logs.{REGION}.amazonaws.com", GROUP)]}, {"logs_subscriptions": LOGS},
     []),
    ("no SourceArn, the service's kind captured something", {"": [allow("sns.amazonaws.com")]}, {"sns": SNS}, []),
    ("no SourceArn, nothing captured", {"": [allow("sns.amazonaws.com")]}, {},
     ["invoked by sns.amazonaws.com (any source), not captured"]),
    ("an API Gateway route pattern", {"": [allow("apigateway.amazonaws.com",
                                                 f"arn:aws:execute-api:{REGION}:{ACCOUNT}:abc123/*/GET/orders")]},
     {"apigateway": REST}, []),
    ("another API", {"": [allow("apigateway.amazonaws.com", f"arn:aws:execute-api:{REGION}:{ACCOUNT}:zzz/*")]},
     {"apigateway": REST}, [f"invoked by apigateway.amazonaws.com (arn:aws:execute-api:{REGION}:{ACCOUNT}:zzz/*), "
                            "not captured"]),
    ("anyone, from a captured topic", {"": [allow("*", TOPIC)]}, {"sns": SNS}, []),
    ("anyone, at all", {"": [allow("*")]}, {}, ["invoked by anyone (any source), not captured"]),
    ("on an alias", {"live": [allow("events.amazonaws.com", f"arn:aws:events:{REGION}:{ACCOUNT}:rule/r")]}, {},
     [f"invoked by events.amazonaws.com (arn:aws:events:{REGION}:{ACCOUNT}:rule/r) on live, not captured"]),
    ("function URL captured", {"": [allow("*", Action="lambda:InvokeFunctionUrl",
                                          Condition={"StringEquals": {"lambda:FunctionUrlAuthType": "NONE"}})]},
     {"url": {"": {"AuthType": "NONE"}}}, []),
    ("function URL not captured", {"live": [allow("*", Action="lambda:InvokeFunctionUrl")]}, {"url": {}},
     ["invoked through the function URL on live by anyone, not captured"]),
    ("a deny is no invoker", {"": [allow("iot.amazonaws.com", Effect="Deny")]}, {}, []),
    ("not an invoke action", {"": [allow({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, Action="lambda:GetFunction")]},
     {}, []),
]


@pytest.mark.parametrize(("policy", "items", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_not_captured(policy: dict[str, Any], items: dict[str, Any], expected: list[str]) -> None:
    record = {"account": ACCOUNT, "region": REGION, "arn": FN, "items": {"policy": policy, **items}}
    assert not_captured(record, KINDS) == expected


def test_principals_are_normalised() -> None:
    assert normal_principal("logs.eu-west-1.amazonaws.com") == "logs.amazonaws.com"
    assert normal_principal("lambda.alarms.cloudwatch.amazonaws.com") == "lambda.alarms.cloudwatch.amazonaws.com"
    assert normal_principal("123456789012") == "account 123456789012"
    assert normal_principal("arn:aws:iam::123456789012:role/caller") == "account 123456789012"


def test_every_kind_that_names_invokers_says_where_they_come_from() -> None:
    for kind in KINDS:
        if getattr(kind, "INVOKERS", ()):
            assert callable(getattr(kind, "sources", None)), kind.NAME
