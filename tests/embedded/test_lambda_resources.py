"""The resources backup records around a function all work through the endpoint."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import botocore.exceptions
import pytest

from .conftest import create_function


@pytest.fixture
def fn(client: Callable[..., Any], role: str, unique: Callable[[str], str]) -> str:
    lam = client("lambda")
    name = unique("res")
    create_function(lam, name, role, Publish=True)
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    return name


def sources(client: Callable[..., Any], unique: Callable[[str], str]) -> dict[str, str]:
    sqs, kinesis, ddb = client("sqs"), client("kinesis"), client("dynamodb")
    queue = sqs.create_queue(QueueName=unique("q"))["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    stream = unique("s")
    kinesis.create_stream(StreamName=stream, ShardCount=1)
    stream_arn = kinesis.describe_stream(StreamName=stream)["StreamDescription"]["StreamARN"]
    table = ddb.create_table(
        TableName=unique("t"), KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    )
    return {"sqs": queue_arn, "kinesis": stream_arn, "dynamodb": table["TableDescription"]["LatestStreamArn"]}


def test_event_source_mappings_for_sqs_kinesis_and_dynamodb(client: Callable[..., Any], fn: str,
                                                            unique: Callable[[str], str]) -> None:
    lam = client("lambda")
    arn = lam.get_function_configuration(FunctionName=fn)["FunctionArn"]
    src = sources(client, unique)
    lam.create_event_source_mapping(FunctionName=fn, EventSourceArn=src["sqs"], BatchSize=5)
    lam.create_event_source_mapping(FunctionName=f"{fn}:live", EventSourceArn=src["kinesis"],
                                    StartingPosition="LATEST")
    lam.create_event_source_mapping(FunctionName=arn, EventSourceArn=src["dynamodb"],
                                    StartingPosition="TRIM_HORIZON")

    listed = lam.list_event_source_mappings(FunctionName=fn)["EventSourceMappings"]
    assert {m["EventSourceArn"]: m["FunctionArn"] for m in listed} == {src["sqs"]: arn, src["dynamodb"]: arn}
    by_alias = lam.list_event_source_mappings(FunctionName=f"{arn}:live")["EventSourceMappings"]
    assert [(m["EventSourceArn"], m["FunctionArn"]) for m in by_alias] == [(src["kinesis"], f"{arn}:live")]
    one = lam.list_event_source_mappings(EventSourceArn=src["sqs"])["EventSourceMappings"]
    assert one[0]["BatchSize"] == 5
    paged = lam.list_event_source_mappings(MaxItems=1)
    assert len(paged["EventSourceMappings"]) == 1 and paged["NextMarker"]


def test_event_source_mapping_logging_config_and_tags(client: Callable[..., Any], fn: str,
                                                      unique: Callable[[str], str]) -> None:
    lam = client("lambda")
    src = sources(client, unique)
    created = lam.create_event_source_mapping(FunctionName=fn, EventSourceArn=src["kinesis"],
                                              StartingPosition="LATEST", LoggingConfig={"SystemLogLevel": "WARN"},
                                              Tags={"team": "a"})
    assert created["LoggingConfig"] == {"SystemLogLevel": "WARN"}
    assert lam.list_tags(Resource=created["EventSourceMappingArn"])["Tags"] == {"team": "a"}
    lam.update_event_source_mapping(UUID=created["UUID"], LoggingConfig={"SystemLogLevel": "DEBUG"})
    (listed,) = lam.list_event_source_mappings(EventSourceArn=src["kinesis"])["EventSourceMappings"]
    assert listed["LoggingConfig"] == {"SystemLogLevel": "DEBUG"}
    assert "Tags" not in listed  # listings carry no tags on AWS: ListTags does


def test_event_invoke_config_per_qualifier_and_replaced_on_put(client: Callable[..., Any], fn: str) -> None:
    lam = client("lambda")
    arn = lam.get_function_configuration(FunctionName=fn)["FunctionArn"]
    dest = {"OnFailure": {"Destination": "arn:aws:sqs:us-east-1:123456789012:failed"}}
    lam.put_function_event_invoke_config(FunctionName=fn, MaximumRetryAttempts=1, DestinationConfig=dest)
    lam.put_function_event_invoke_config(FunctionName=fn, MaximumRetryAttempts=0)
    lam.put_function_event_invoke_config(FunctionName=fn, Qualifier="live", MaximumEventAgeInSeconds=600)
    lam.update_function_event_invoke_config(FunctionName=fn, Qualifier="live", MaximumRetryAttempts=2)

    unqualified = lam.get_function_event_invoke_config(FunctionName=fn)
    assert unqualified["MaximumRetryAttempts"] == 0
    assert "DestinationConfig" not in unqualified or not unqualified["DestinationConfig"]
    live = lam.get_function_event_invoke_config(FunctionName=fn, Qualifier="live")
    assert (live["FunctionArn"], live["MaximumEventAgeInSeconds"], live["MaximumRetryAttempts"]) == (
        f"{arn}:live", 600, 2)
    listed = lam.list_function_event_invoke_configs(FunctionName=fn)["FunctionEventInvokeConfigs"]
    assert sorted(c["FunctionArn"] for c in listed) == [arn, f"{arn}:live"]
    lam.delete_function_event_invoke_config(FunctionName=fn, Qualifier="live")
    with pytest.raises(botocore.exceptions.ClientError):
        lam.get_function_event_invoke_config(FunctionName=fn, Qualifier="live")


def test_concurrency_tags_aliases_and_url(client: Callable[..., Any], fn: str) -> None:
    lam = client("lambda")
    arn = lam.get_function_configuration(FunctionName=fn)["FunctionArn"]
    lam.put_function_concurrency(FunctionName=fn, ReservedConcurrentExecutions=7)
    assert lam.get_function_concurrency(FunctionName=fn)["ReservedConcurrentExecutions"] == 7
    assert lam.get_function(FunctionName=fn)["Concurrency"] == {"ReservedConcurrentExecutions": 7}

    lam.tag_resource(Resource=arn, Tags={"team": "core"})
    assert lam.list_tags(Resource=arn)["Tags"] == {"team": "core"}
    assert lam.get_function(FunctionName=fn)["Tags"] == {"team": "core"}

    lam.update_function_configuration(FunctionName=fn, Description="v2")
    lam.publish_version(FunctionName=fn)
    weights = {"AdditionalVersionWeights": {"2": 0.25}}
    lam.update_alias(FunctionName=fn, Name="live", RoutingConfig=weights)
    assert lam.get_alias(FunctionName=fn, Name="live")["RoutingConfig"] == weights

    url = lam.create_function_url_config(FunctionName=fn, AuthType="NONE", Cors={"AllowOrigins": ["*"]})
    got = lam.get_function_url_config(FunctionName=fn)
    assert (got["FunctionUrl"], got["AuthType"], got["Cors"]["AllowOrigins"]) == (url["FunctionUrl"], "NONE", ["*"])


def test_describe_regions_lists_enabled_regions(client: Callable[..., Any]) -> None:
    regions = client("ec2").describe_regions()["Regions"]
    names = {r["RegionName"] for r in regions}
    assert {"us-east-1", "eu-west-1", "ap-southeast-2"} <= names


def test_function_urls_per_qualifier_and_listed(client: Callable[..., Any], fn: str) -> None:
    lam = client("lambda")
    arn = lam.get_function_configuration(FunctionName=fn)["FunctionArn"]
    own = lam.create_function_url_config(FunctionName=fn, AuthType="NONE")
    live = lam.create_function_url_config(FunctionName=fn, Qualifier="live", AuthType="AWS_IAM",
                                          InvokeMode="RESPONSE_STREAM")
    assert own["FunctionUrl"] != live["FunctionUrl"]
    assert lam.get_function_url_config(FunctionName=fn)["AuthType"] == "NONE"
    assert own["InvokeMode"] == lam.get_function_url_config(FunctionName=fn)["InvokeMode"] == "BUFFERED"
    got = lam.get_function_url_config(FunctionName=fn, Qualifier="live")
    assert (got["FunctionArn"], got["AuthType"], got["InvokeMode"]) == (f"{arn}:live", "AWS_IAM", "RESPONSE_STREAM")
    listed = lam.list_function_url_configs(FunctionName=fn)["FunctionUrlConfigs"]
    assert sorted((c["FunctionArn"], c["AuthType"]) for c in listed) == [(arn, "NONE"), (f"{arn}:live", "AWS_IAM")]
    lam.update_function_url_config(FunctionName=fn, Qualifier="live", AuthType="NONE")
    assert lam.get_function_url_config(FunctionName=fn, Qualifier="live")["AuthType"] == "NONE"
    lam.delete_function_url_config(FunctionName=fn, Qualifier="live")
    assert len(lam.list_function_url_configs(FunctionName=fn)["FunctionUrlConfigs"]) == 1
    with pytest.raises(botocore.exceptions.ClientError) as info:
        lam.create_function_url_config(FunctionName=fn, AuthType="NONE")
    assert info.value.response["Error"]["Code"] == "ResourceConflictException"


def test_creating_an_alias_that_exists_is_a_resource_conflict(client: Callable[..., Any], role: str,
                                                              unique: Callable[[str], str]) -> None:
    lam = client("lambda")
    name = unique("conflict")
    create_function(lam, name, role, Publish=True)
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    with pytest.raises(lam.exceptions.ResourceConflictException) as info:
        lam.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
