"""ExportTableToPointInTime writes what AWS writes: manifests naming gzipped DYNAMODB_JSON data files."""

from __future__ import annotations

import gzip
import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError


def test_an_export_is_found_through_its_manifests(client: Callable[..., Any], unique: Callable[[str], str]) -> None:
    ddb, s3 = client("dynamodb", "eu-central-2"), client("s3", "eu-central-2")
    table, bucket = unique("exported"), unique("exports")
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-central-2"})
    arn = ddb.create_table(TableName=table, KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
                           AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
                           BillingMode="PAY_PER_REQUEST")["TableDescription"]["TableArn"]
    with pytest.raises(ClientError) as refused:  # without point-in-time recovery there is nothing to export
        ddb.export_table_to_point_in_time(TableArn=arn, S3Bucket=bucket, S3Prefix="p")
    assert refused.value.response["Error"]["Code"] == "PointInTimeRecoveryUnavailableException"
    ddb.update_continuous_backups(TableName=table, PointInTimeRecoverySpecification={
        "PointInTimeRecoveryEnabled": True})
    for i in range(5):
        ddb.put_item(TableName=table, Item={"k": {"S": f"k{i}"}, "b": {"B": bytes([i])}})
    export = ddb.export_table_to_point_in_time(TableArn=arn, S3Bucket=bucket, S3Prefix="p")["ExportDescription"]
    assert export["ExportArn"].startswith(f"{arn}/export/")
    for _ in range(100):
        export = ddb.describe_export(ExportArn=export["ExportArn"])["ExportDescription"]
        if export["ExportStatus"] != "IN_PROGRESS":
            break
        time.sleep(0.05)
    assert export["ExportStatus"] == "COMPLETED" and export["ItemCount"] == 5
    export_id = export["ExportArn"].rsplit("/", 1)[1]
    assert export["ExportManifest"] == f"p/AWSDynamoDB/{export_id}/manifest-summary.json"
    summary = json.loads(s3.get_object(Bucket=bucket, Key=export["ExportManifest"])["Body"].read())
    assert (summary["exportArn"], summary["itemCount"], summary["outputFormat"]) == (
        export["ExportArn"], 5, "DYNAMODB_JSON")
    (entry,) = [json.loads(x) for x in s3.get_object(Bucket=bucket, Key=summary["manifestFilesS3Key"])[
        "Body"].read().decode().splitlines()]
    assert entry["itemCount"] == 5 and entry["dataFileS3Key"].startswith(f"p/AWSDynamoDB/{export_id}/data/")
    lines = gzip.decompress(s3.get_object(Bucket=bucket, Key=entry["dataFileS3Key"])["Body"].read()).splitlines()
    items = sorted((json.loads(x)["Item"] for x in lines), key=lambda i: i["k"]["S"])
    assert items[3] == {"k": {"S": "k3"}, "b": {"B": "Aw=="}}  # binary as base64 text
