"""What each CloudTrail record asks a backup to read again: a pure mapping, tested as a table."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from lambda_ark.change_feed import ALL, WHOLE, Change, FeedIndex, MalformedEvent, changes_of, operation

R = "eu-west-1"
ARN = f"arn:aws:lambda:{R}:123456789012:function:orders"


def record(source: str, name: str, params: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "eventSource": f"{source}.amazonaws.com",
        "eventName": name,
        "awsRegion": R,
        "eventTime": "2026-11-25T12:00:00Z",
        "requestParameters": params,
        "readOnly": False,
        **extra,
    }


def targets(rec: dict[str, Any]) -> set[tuple[str, str, str | None, str]]:
    return {(c.region, c.kind, c.function, c.resource) for c in changes_of(rec)}


def fn(*kinds: str, name: str = "orders") -> set[tuple[str, str, str | None, str]]:
    return {(R, k, name, "") for k in kinds}


def region(*kinds: str, where: str = R) -> set[tuple[str, str, str | None, str]]:
    return {(where, k, None, "") for k in kinds}


TABLE: list[tuple[dict[str, Any], set[tuple[str, str, str | None, str]]]] = [
    (record("lambda", "CreateFunction20150331", {"functionName": "orders"}), fn(*WHOLE)),
    (record("lambda", "UpdateFunctionConfiguration20150331v2", {"functionName": ARN}),
     fn("function", "layers", "role")),
    (record("lambda", "UpdateFunctionCode20150331v2", {"functionName": "orders"}), fn("function")),
    (record("lambda", "UpdateFunctionCode20150331v2", {"functionName": "orders", "publish": True}),
     fn("function", "versions", "concurrency")),
    (record("lambda", "PublishVersion20150331", {"functionName": "orders"}), fn("function", "versions", "concurrency")),
    (record("lambda", "CreateAlias20150331", {"functionName": "orders", "name": "live"}),
     fn("aliases", "policy", "url", "invoke_config", "concurrency")),
    (record("lambda", "UpdateAlias20150331", {"functionName": "orders:live"}),
     fn("aliases", "policy", "url", "invoke_config", "concurrency")),
    (record("lambda", "DeleteAlias20150331", {"functionName": "orders", "name": "live"}),
     fn("aliases", "policy", "url", "invoke_config", "concurrency")),
    (record("lambda", "AddPermission20150331v2", {"functionName": "orders", "statementId": "s3"}), fn("policy")),
    (record("lambda", "RemovePermission20150331v2", {"functionName": f"{ARN}:live"}), fn("policy")),
    (record("lambda", "PutFunctionConcurrency20171031", {"functionName": "orders"}), fn("concurrency")),
    (record("lambda", "DeleteFunctionConcurrency20171031", {"functionName": "orders"}), fn("concurrency")),
    (record("lambda", "PutProvisionedConcurrencyConfig20190930", {"functionName": "orders"}), fn("concurrency")),
    (record("lambda", "CreateFunctionUrlConfig20211031", {"functionName": "orders"}), fn("url")),
    (record("lambda", "DeleteFunctionUrlConfig20211031", {"functionName": "orders"}), fn("url")),
    (record("lambda", "PutFunctionEventInvokeConfig20190925", {"functionName": "orders"}), fn("invoke_config")),
    (record("lambda", "UpdateFunctionEventInvokeConfig20190925", {"functionName": "orders"}), fn("invoke_config")),
    (record("lambda", "PutFunctionCodeSigningConfig20200630", {"functionName": "orders"}), fn("code_signing")),
    (record("lambda", "PutFunctionRecursionConfig20240831", {"functionName": "orders"}), fn("recursion")),
    (record("lambda", "PutRuntimeManagementConfig20210720", {"functionName": "orders"}), fn("runtime_management")),
    (record("lambda", "TagResource20170331v2", {"resource": ARN}), fn("function")),
    (record("lambda", "UntagResource20170331v2", {"resource": ARN, "tagKeys": ["a"]}), fn("function")),
    (record("lambda", "TagResource20170331v2", {"resource": f"arn:aws:lambda:{R}:1:event-source-mapping:u-1"}),
     {(R, "mapping_tags", None, "u-1")}),
    (record("lambda", "TagResource20170331v2", {"resource": f"arn:aws:lambda:{R}:1:code-signing-config:csc-1"}),
     {(R, "code_signing", None, f"arn:aws:lambda:{R}:1:code-signing-config:csc-1")}),
    (record("lambda", "UpdateCodeSigningConfig20200422", {"codeSigningConfigArn": "csc-arn"}),
     {(R, "code_signing", None, "csc-arn")}),
    (record("lambda", "CreateEventSourceMapping20150331", {"functionName": "orders"}),
     region("mappings") | fn("mapping_tags")),
    (record("lambda", "UpdateEventSourceMapping20150331", {"uUID": "u-2"}, responseElements={"functionArn": ARN}),
     region("mappings") | fn("mapping_tags")),
    (record("lambda", "DeleteEventSourceMapping20150331", {"uUID": "u-3"}),
     region("mappings") | {(R, "mapping_tags", None, "u-3")}),
    (record("lambda", "DeleteFunction20150331", {"functionName": "orders", "qualifier": "3"}),
     fn("versions", "aliases", "concurrency", "url", "invoke_config", "policy")),
    (record("lambda", "DeleteFunction20150331", {"functionName": "orders:3"}),
     fn("versions", "aliases", "concurrency", "url", "invoke_config", "policy")),
    (record("lambda", "DeleteFunction20150331", {"functionName": ARN}), fn(*WHOLE)),
    # an operation lambda-ark cannot place reads the whole function it names
    (record("lambda", "PutFunctionScalingConfig20251130", {"functionName": "orders"}), fn(*WHOLE)),
    # nothing a record holds
    (record("lambda", "PublishLayerVersion20181031", {"layerName": "lib"}), set()),
    (record("lambda", "CreateCodeSigningConfig20200422", {}), set()),
    # failed calls, reads and data events change nothing
    (record("lambda", "UpdateAlias20150331", {"functionName": "orders"}, errorCode="ResourceNotFoundException"), set()),
    (record("lambda", "GetFunction20150331v2", {"functionName": "orders"}, readOnly=True), set()),
    (record("lambda", "Invoke", {"functionName": "orders"}), set()),
    # trigger services: their region's listing
    (record("s3", "PutBucketNotificationConfiguration", {"bucketName": "b"}), region("s3_notifications")),
    (record("s3", "DeleteBucket", {"bucketName": "b"}), region("s3_notifications")),
    (record("s3", "PutBucketPolicy", {"bucketName": "b"}), set()),
    (record("apigateway", "PutIntegration", {"restApiId": "a1"}), region("apigateway")),
    (record("apigateway", "UpdateApi", {"apiId": "h1"}), region("apigatewayv2")),
    (record("apigateway", "UpdateAccount", {}), region("apigateway", "apigatewayv2")),
    (record("events", "PutTargets", {"rule": "nightly"}), region("eventbridge")),
    (record("events", "PutRule", {"name": "lambda-ark-changes"}), set()),  # the watch's own rule
    (record("events", "PutEvents", {}), set()),
    (record("scheduler", "UpdateSchedule", {"name": "s"}), region("scheduler")),
    (record("sns", "Subscribe", {"topicArn": "t", "protocol": "lambda"}), region("sns")),
    (record("sns", "SetSubscriptionAttributes", {"subscriptionArn": "s"}), region("sns")),
    (record("sns", "CreateTopic", {"name": "t"}), set()),
    (record("sns", "Publish", {"topicArn": "t"}), set()),
    (record("cloudfront", "UpdateDistribution", {"id": "E1"}), region("cloudfront", where="us-east-1")),
    # IAM (recorded in us-east-1, global): the functions that use the role, in every region
    (record("iam", "PutRolePolicy", {"roleName": "app"}), {(ALL, "role", None, "app")}),
    (record("iam", "CreatePolicyVersion", {"policyArn": "p"}), {(ALL, "role", ALL, "")}),
    (record("iam", "CreateUser", {"userName": "u"}), set()),
    # services lambda-ark does not record
    (record("ec2", "RunInstances", {}), set()),
]


@pytest.mark.parametrize(("rec", "expected"), TABLE, ids=[r["eventName"] for r, _ in TABLE])
def test_each_event_names_what_it_changed(rec: dict[str, Any], expected: set[tuple[str, str, str | None, str]]) -> None:
    assert targets(rec) == expected


def test_changes_carry_the_event_and_its_time() -> None:
    (change,) = changes_of(record("lambda", "AddPermission20150331v2", {"functionName": "orders"}))
    assert change.event == "AddPermission20150331v2"
    assert change.time == datetime(2026, 11, 25, 12, tzinfo=UTC)
    assert not change.moves_revision
    assert all(c.moves_revision for c in changes_of(record("lambda", "UpdateFunctionCode20150331v2",
                                                           {"functionName": "orders"})))


@pytest.mark.parametrize(
    "bad",
    [
        [],
        {"eventName": "CreateAlias", "awsRegion": R, "eventTime": "2026-11-25T12:00:00Z"},
        {**record("lambda", "CreateAlias20150331", {}), "eventTime": "yesterday"},
        {**record("lambda", "CreateAlias20150331", {}), "requestParameters": "not an object"},
    ],
)
def test_what_is_not_a_cloudtrail_record_is_refused(bad: Any) -> None:
    with pytest.raises(MalformedEvent):
        changes_of(bad)


def test_operation_strips_lambdas_api_version() -> None:
    assert operation("UpdateFunctionConfiguration20150331v2") == "UpdateFunctionConfiguration"
    assert operation("CreateAlias20150331") == "CreateAlias"
    assert operation("PutBucketNotificationConfiguration") == "PutBucketNotificationConfiguration"


def test_the_index_finds_changes_by_function_resource_and_region() -> None:
    at = datetime(2026, 11, 25, tzinfo=UTC)
    index = FeedIndex([
        Change(R, "policy", "orders", time=at),
        Change(R, "mapping_tags", None, "u-1", time=at),
        Change(ALL, "role", None, "app", time=at),
        Change("us-east-1", "url", "orders", time=at),
        Change(R, "sns", time=at),
    ])
    found = index.for_function(R, "orders", "arn:aws:iam::1:role/app", {"mapping_tags": {"u-1"}})
    assert sorted(c.kind for c in found) == ["mapping_tags", "policy", "role"]
    assert index.for_function(R, "other", "arn:aws:iam::1:role/else", {}) == []
    assert [c.kind for c in index.regional(R)] == ["sns"]
    assert index.regional("us-east-1") == []
