"""CloudTrail on the endpoint: a management event per mutating call, with AWS's field names, found by
LookupEvents with AWS's filters and paging (never another region's or account's), and delivered to
EventBridge as "AWS API Call via CloudTrail" so a rule's SQS target receives it."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime, timedelta
from typing import Any

import botocore.exceptions
import pytest
from tests.accounts import Account, own_account

from lambda_ark.aws import Aws


def _zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("index.py", "def handler(e, c):\n    return e\n")
    return buf.getvalue()


@pytest.fixture
def acct(aws: Aws) -> Account:
    return own_account(aws)


def _function(acct: Account, name: str, region: str = "us-east-1", **kwargs: Any) -> dict[str, Any]:
    fn: dict[str, Any] = acct.aws.client("lambda", region).create_function(
        FunctionName=name, Runtime="python3.12", Role=acct.role_arn, Handler="index.handler",
        Code={"ZipFile": _zip()}, **kwargs)
    return fn


def _events(acct: Account, region: str = "us-east-1", **kwargs: Any) -> list[dict[str, Any]]:
    ct = acct.aws.client("cloudtrail", region)
    return [e for page in ct.get_paginator("lookup_events").paginate(**kwargs) for e in page["Events"]]


def test_mutating_calls_are_recorded_with_awss_field_names_and_reads_are_not(acct: Account) -> None:
    lam = acct.aws.client("lambda")
    arn = _function(acct, "f", Environment={"Variables": {"SECRET": "hunter2"}})["FunctionArn"]
    lam.get_function(FunctionName="f")
    lam.list_functions()
    lam.update_function_configuration(FunctionName="f", MemorySize=256)
    lam.tag_resource(Resource=arn, Tags={"team": "a"})

    lambda_only = {"AttributeKey": "EventSource", "AttributeValue": "lambda.amazonaws.com"}
    events = _events(acct, LookupAttributes=[lambda_only])
    assert [e["EventName"] for e in events] == [
        "TagResource20170331v2", "UpdateFunctionConfiguration20150331v2", "CreateFunction20150331"]  # newest first
    record = json.loads(events[1]["CloudTrailEvent"])
    assert record["eventSource"] == "lambda.amazonaws.com"
    assert record["awsRegion"] == "us-east-1"
    assert record["requestParameters"] == {"functionName": "f", "memorySize": 256}
    assert record["readOnly"] is False and record["eventType"] == "AwsApiCall"
    assert record["managementEvent"] is True and record["eventCategory"] == "Management"
    assert record["recipientAccountId"] == acct.id == record["userIdentity"]["accountId"]
    assert datetime.strptime(record["eventTime"], "%Y-%m-%dT%H:%M:%SZ")
    assert {"ResourceType": "AWS::Lambda::Function", "ResourceName": "f"} in events[1]["Resources"]
    created = json.loads(events[2]["CloudTrailEvent"])
    assert "hunter2" not in events[2]["CloudTrailEvent"]  # secrets hidden as AWS hides them
    assert created["requestParameters"]["environment"] == {"variables": "HIDDEN_DUE_TO_SECURITY_REASONS"}
    assert "zipFile" not in created["requestParameters"].get("code", {})


def test_trigger_services_are_recorded_and_global_ones_in_us_east_1(acct: Account) -> None:
    region = "eu-west-1"
    s3 = acct.aws.client("s3", region)
    s3.create_bucket(Bucket=f"b-{acct.id}", CreateBucketConfiguration={"LocationConstraint": region})
    s3.put_bucket_notification_configuration(Bucket=f"b-{acct.id}", NotificationConfiguration={})
    s3.put_object(Bucket=f"b-{acct.id}", Key="k", Body=b"data")  # a data event: not recorded
    acct.aws.client("events", region).put_rule(Name="r", ScheduleExpression="rate(1 hour)")
    acct.aws.client("sns", region).create_topic(Name="t")
    acct.aws.client("apigateway", region).create_rest_api(name="rest")
    acct.aws.client("apigatewayv2", region).create_api(Name="http", ProtocolType="HTTP")
    acct.aws.client("scheduler", region).create_schedule(
        Name="s", ScheduleExpression="rate(1 day)", FlexibleTimeWindow={"Mode": "OFF"},
        Target={"Arn": f"arn:aws:lambda:{region}:{acct.id}:function:f", "RoleArn": acct.role_arn})
    acct.aws.client("iam", region).put_role_policy(RoleName="fn", PolicyName="p", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}))

    names = {(e["EventSource"], e["EventName"]) for e in _events(acct, region)}
    assert names == {
        ("s3.amazonaws.com", "CreateBucket"),
        ("s3.amazonaws.com", "PutBucketNotificationConfiguration"),
        ("events.amazonaws.com", "PutRule"),
        ("sns.amazonaws.com", "CreateTopic"),
        ("apigateway.amazonaws.com", "CreateRestApi"),
        ("apigateway.amazonaws.com", "CreateApi"),
        ("scheduler.amazonaws.com", "CreateSchedule"),
    }
    iam_events = _events(acct, "us-east-1", LookupAttributes=[
        {"AttributeKey": "EventSource", "AttributeValue": "iam.amazonaws.com"}])
    assert [e["EventName"] for e in iam_events] == ["PutRolePolicy", "CreateRole"]
    assert json.loads(iam_events[0]["CloudTrailEvent"])["requestParameters"]["roleName"] == "fn"
    bucket_event = next(e for e in _events(acct, region) if e["EventName"] == "PutBucketNotificationConfiguration")
    assert json.loads(bucket_event["CloudTrailEvent"])["requestParameters"]["bucketName"] == f"b-{acct.id}"


def test_lookup_sees_only_its_own_region_and_account(acct: Account, aws: Aws) -> None:
    _function(acct, "here", region="ap-south-1")
    other = own_account(aws)
    _function(other, "there", region="ap-south-1")
    assert [e["EventName"] for e in _events(acct, "ap-south-1")] == ["CreateFunction20150331"]
    assert [r["ResourceName"] for e in _events(acct, "ap-south-1") for r in e["Resources"]] == ["here"]
    assert _events(acct, "ap-southeast-1") == []


def test_failed_calls_carry_the_error(acct: Account) -> None:
    lam = acct.aws.client("lambda")
    with pytest.raises(botocore.exceptions.ClientError):
        lam.delete_function(FunctionName="nope")
    lambda_only = {"AttributeKey": "EventSource", "AttributeValue": "lambda.amazonaws.com"}
    (event,) = _events(acct, LookupAttributes=[lambda_only])
    record = json.loads(event["CloudTrailEvent"])
    assert record["errorCode"] == "ResourceNotFoundException" and record["responseElements"] is None


def test_pages_are_disjoint_and_complete_with_max_results(acct: Account) -> None:
    for i in range(7):
        _function(acct, f"p{i}", region="us-west-2")
    ct = acct.aws.client("cloudtrail", "us-west-2")
    seen: list[str] = []
    token: dict[str, str] = {}
    pages = 0
    while True:
        page = ct.lookup_events(MaxResults=3, **token)
        pages += 1
        seen += [e["EventId"] for e in page["Events"]]
        if "NextToken" not in page:
            break
        token = {"NextToken": page["NextToken"]}
    assert pages == 3 and len(seen) == len(set(seen)) == 7


def test_filters_by_one_attribute(acct: Account) -> None:
    lam = acct.aws.client("lambda")
    _function(acct, "a")
    _function(acct, "b")
    lam.put_function_concurrency(FunctionName="b", ReservedConcurrentExecutions=2)
    by_name = _events(acct, LookupAttributes=[{"AttributeKey": "ResourceName", "AttributeValue": "b"}])
    assert [e["EventName"] for e in by_name] == ["PutFunctionConcurrency20171031", "CreateFunction20150331"]
    created = {"AttributeKey": "EventName", "AttributeValue": "CreateFunction20150331"}
    by_event = _events(acct, LookupAttributes=[created])
    assert len(by_event) == 2
    writes = _events(acct, LookupAttributes=[{"AttributeKey": "ReadOnly", "AttributeValue": "false"}])
    assert len(writes) == 4  # the account's CreateRole, two functions, the concurrency


def test_time_range_bounds_event_time(acct: Account) -> None:
    _function(acct, "t", region="us-west-2")
    now = datetime.now(UTC)
    minutes = [now + timedelta(minutes=m) for m in (-5, 1, 5, 10)]
    assert _events(acct, "us-west-2", StartTime=minutes[2], EndTime=minutes[3]) == []
    assert len(_events(acct, "us-west-2", StartTime=minutes[0], EndTime=minutes[1])) == 1
    assert _events(acct, "us-west-2", EndTime=now - timedelta(minutes=5)) == []


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"StartTime": datetime(2030, 1, 2, tzinfo=UTC), "EndTime": datetime(2030, 1, 1, tzinfo=UTC)},
         "InvalidTimeRangeException"),
        ({"LookupAttributes": [{"AttributeKey": "EventName", "AttributeValue": "a"},
                               {"AttributeKey": "EventSource", "AttributeValue": "b"}]},
         "InvalidLookupAttributesException"),
        ({"MaxResults": 51}, "InvalidMaxResultsException"),
        ({"NextToken": "not-a-token"}, "InvalidNextTokenException"),
        ({"EventCategory": "management"}, "InvalidEventCategoryException"),
    ],
)
def test_invalid_requests_are_refused_as_aws_refuses_them(acct: Account, kwargs: dict[str, Any], code: str) -> None:
    with pytest.raises(botocore.exceptions.ClientError) as info:
        acct.aws.client("cloudtrail").lookup_events(**kwargs)
    assert info.value.response["Error"]["Code"] == code
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_a_token_is_valid_only_with_the_parameters_it_came_with(acct: Account) -> None:
    for i in range(3):
        _function(acct, f"tok{i}")
    ct = acct.aws.client("cloudtrail")
    token = ct.lookup_events(MaxResults=1)["NextToken"]
    with pytest.raises(botocore.exceptions.ClientError) as info:
        ct.lookup_events(MaxResults=1, NextToken=token, LookupAttributes=[
            {"AttributeKey": "EventName", "AttributeValue": "CreateFunction20150331"}])
    assert info.value.response["Error"]["Code"] == "InvalidNextTokenException"


def test_events_reach_eventbridge_rules_and_their_sqs_targets(acct: Account) -> None:
    region = "eu-central-1"
    sqs = acct.aws.client("sqs", region)
    url = sqs.create_queue(QueueName="changes")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events = acct.aws.client("events", region)
    pattern = {"detail-type": ["AWS API Call via CloudTrail"], "source": ["aws.lambda"]}
    events.put_rule(Name="changes", EventPattern=json.dumps(pattern))
    events.put_targets(Rule="changes", Targets=[{"Id": "q", "Arn": queue_arn}])
    _function(acct, "watched", region=region)
    acct.aws.client("lambda", region).get_function(FunctionName="watched")  # a read: nothing delivered

    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", [])
    (message,) = messages
    body = json.loads(message["Body"])
    assert body["detail-type"] == "AWS API Call via CloudTrail" and body["source"] == "aws.lambda"
    assert body["region"] == region and body["account"] == acct.id
    assert body["detail"]["eventName"] == "CreateFunction20150331"
    assert body["detail"]["requestParameters"]["functionName"] == "watched"
