"""Firehose delivery streams with a Lambda processor: the processor is re-pointed on the same-named
stream, in place and in another region; the rest of the destination is left as it is; a missing
stream is a failed change (lambda-ark does not create delivery streams)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kindtest import ACCOUNT, ROLE, actions, applied, planned, record_of

from lambda_ark.aws import Aws
from lambda_ark.kinds import firehose as kind
from lambda_ark.restore.arns import ArnMapper

A, B = "ap-east-1", "ap-northeast-3"


def _processing(arn: str) -> dict[str, Any]:
    return {"Enabled": True, "Processors": [{"Type": "Lambda", "Parameters": [
        {"ParameterName": "LambdaArn", "ParameterValue": arn},
        {"ParameterName": "NumberOfRetries", "ParameterValue": "3"}]}]}


def _stream(aws: Aws, region: str, name: str, bucket: str, arn: str) -> None:
    aws.client("firehose", region).create_delivery_stream(DeliveryStreamName=name, ExtendedS3DestinationConfiguration={
        "RoleARN": ROLE, "BucketARN": f"arn:aws:s3:::{bucket}", "Prefix": "raw/", "ProcessingConfiguration":
        _processing(arn)})


def _live(aws: Aws, region: str, name: str) -> dict[str, Any]:
    got = aws.client("firehose", region).describe_delivery_stream(DeliveryStreamName=name)
    return dict(got["DeliveryStreamDescription"]["Destinations"][0]["ExtendedS3DestinationDescription"])


def test_processor_round_trip_in_place_and_into_another_region(
    aws: Aws, uid: Callable[[str], str], make_function: Callable[..., dict[str, Any]],
    region_ctx: Callable[..., Any], restore_ctx: Callable[..., Any],
) -> None:
    name, stream, bucket = uid("fhfn"), uid("stream"), uid("bucket")
    fn, other = make_function(A, name), make_function(A, uid("other"))
    _stream(aws, A, stream, bucket, fn["FunctionArn"])
    ctx = region_ctx(A)
    data = kind.capture(ctx, kind.discover(ctx), fn)
    assert data is not None
    (entry,) = data
    assert (entry["destination"], entry["processing"]) == ("ExtendedS3", _processing(fn["FunctionArn"]))
    record = record_of(fn, A)

    fh = aws.client("firehose", A)
    desc = fh.describe_delivery_stream(DeliveryStreamName=stream)["DeliveryStreamDescription"]
    fh.update_destination(DeliveryStreamName=stream, CurrentDeliveryStreamVersionId=desc["VersionId"],
                          DestinationId=entry["destination_id"], ExtendedS3DestinationUpdate={
                              "ProcessingConfiguration": _processing(other["FunctionArn"])})
    assert actions(applied(kind, restore_ctx(ArnMapper()), record, data)) == ["update"]
    live = _live(aws, A, stream)
    assert live["ProcessingConfiguration"] == _processing(fn["FunctionArn"]) and live["Prefix"] == "raw/"
    assert actions(applied(kind, restore_ctx(ArnMapper()), record, data)) == ["unchanged"]

    make_function(B, name)
    mapper = ArnMapper(region_map={A: B})
    (change,) = planned(kind, restore_ctx(mapper), record, data)
    assert change.action == "failed" and "does not create delivery streams" in change.detail
    _stream(aws, B, stream, bucket, f"arn:aws:lambda:{A}:{ACCOUNT}:function:{name}")  # still the lost region's
    assert actions(applied(kind, restore_ctx(mapper), record, data)) == ["update"]
    assert _live(aws, B, stream)["ProcessingConfiguration"] == _processing(
        f"arn:aws:lambda:{B}:{ACCOUNT}:function:{name}")
    assert actions(applied(kind, restore_ctx(mapper), record, data)) == ["unchanged"]


def test_to_iac() -> None:
    (res,) = kind.to_iac({}, [{"name": "d", "arn": "a", "destination_id": "x", "destination": "ExtendedS3",
                               "processing": _processing("f")}])
    assert res["Properties"]["ExtendedS3DestinationConfiguration"]["ProcessingConfiguration"] == _processing("f")
