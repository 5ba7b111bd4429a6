"""Restoring a new DynamoDB table with ImportTable (`restore --data-import-bucket STAGING`).

The snapshot's item batches are uploaded to the staging bucket as gzipped DYNAMODB_JSON (one
`{"Item": ...}` per line, binary values already base64, as stored) under
`lambda-ark-imports/<table>/<time>/`; ImportTable creates the table from them (no write capacity used,
billed by size) and is waited for; then what ImportTable cannot set is applied (stream, TTL, PITR,
tags) and the staging copy is deleted. Only for a table that does not exist and has no local secondary
indexes (ImportTable's TableCreationParameters has none); otherwise CreateTable and BatchWriteItem.
"""

from __future__ import annotations

import gzip
import time
from datetime import UTC, datetime
from typing import Any

from ..aws import call
from ..errors import AwsError
from ..kinds.common import pages
from .base import DataRestoreContext
from .models import Resource

TIMEOUT = 6 * 3600.0
POLL = 1.0
_PARAMETERS = ("AttributeDefinitions", "KeySchema", "BillingMode", "ProvisionedThroughput", "GlobalSecondaryIndexes",
               "SSESpecification")


def usable(rec: Resource) -> bool:
    return "LocalSecondaryIndexes" not in rec.config


def restore(dctx: DataRestoreContext, client: Any, rec: Resource, bucket: str) -> str | None:
    s3 = dctx.ctx.aws.client("s3", client.meta.region_name)
    prefix = f"lambda-ark-imports/{rec.name}/{datetime.now(UTC):%Y%m%dT%H%M%S%fZ}"
    try:
        for n, key in enumerate(rec.batches):
            lines = dctx.read_file(key).decode().splitlines()
            body = gzip.compress("".join('{"Item":' + x + "}\n" for x in lines if x).encode())
            call(s3, "put_object", Bucket=bucket, Key=f"{prefix}/{n:06d}.json.gz", Body=body)
        params = {"TableName": rec.name, **{k: rec.config[k] for k in _PARAMETERS if k in rec.config}}
        started = call(client, "import_table", S3BucketSource={"S3Bucket": bucket, "S3KeyPrefix": prefix + "/"},
                       InputFormat="DYNAMODB_JSON", InputCompressionType="GZIP",
                       TableCreationParameters=params)["ImportTableDescription"]
        done = _wait(client, started["ImportArn"], rec.name)
    finally:
        _delete(s3, bucket, prefix)
    client.get_waiter("table_exists").wait(TableName=rec.name, WaiterConfig={"Delay": 1, "MaxAttempts": 120})
    if rec.config.get("StreamSpecification"):
        call(client, "update_table", TableName=rec.name, StreamSpecification=rec.config["StreamSpecification"])
    if rec.config.get("TimeToLive"):
        call(client, "update_time_to_live", TableName=rec.name,
             TimeToLiveSpecification={"Enabled": True, "AttributeName": rec.config["TimeToLive"]})
    if rec.config.get("PointInTimeRecovery"):
        call(client, "update_continuous_backups", TableName=rec.name,
             PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
    tags = [*rec.config.get("Tags", []), *({"Key": k, "Value": v} for k, v in dctx.ctx.drill_tags().items())]
    if tags:
        call(client, "tag_resource", ResourceArn=done["TableArn"], Tags=tags)
    return f"imported {done.get('ImportedItemCount', 0)} items"


def _wait(client: Any, arn: str, table: str) -> dict[str, Any]:
    pause, deadline = POLL, time.monotonic() + TIMEOUT
    while True:
        desc: dict[str, Any] = call(client, "describe_import", ImportArn=arn)["ImportTableDescription"]
        if desc["ImportStatus"] == "COMPLETED":
            return desc
        if desc["ImportStatus"] in ("FAILED", "CANCELLED", "CANCELLING"):
            raise AwsError(f"ImportTable of {table} {desc['ImportStatus'].lower()}: {desc.get('FailureCode', '?')}: "
                           f"{desc.get('FailureMessage', '')}")
        if time.monotonic() > deadline:
            raise AwsError(f"ImportTable of {table}: not complete after {TIMEOUT:.0f} s")
        time.sleep(pause)
        pause = min(pause * 2, 30.0)


def _delete(s3: Any, bucket: str, prefix: str) -> None:
    try:
        keys = [o["Key"] for o in pages(s3, "list_objects_v2", "Contents", Bucket=bucket, Prefix=prefix + "/")]
        for i in range(0, len(keys), 1000):
            call(s3, "delete_objects", Bucket=bucket, Delete={"Objects": [{"Key": k} for k in keys[i:i + 1000]],
                                                              "Quiet": True})
    except AwsError:
        pass  # the bucket is gone, or refuses: the import's outcome is what the restore reports
