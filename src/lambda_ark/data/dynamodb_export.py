"""DynamoDB items through ExportTableToPointInTime: a consistent read of the table at one moment.

Used when the table has point-in-time recovery on and the caller names a staging bucket
(`--data-export-bucket`): the export is written there under `lambda-ark-exports/<table>/<time>/`,
read back through its manifests (manifest-summary.json -> manifest-files.json -> gzipped
DYNAMODB_JSON data files, one `{"Item": ...}` per line), stored as batches grouped by key hash
(`items.grouped_batches`: the same batches whatever order the export's files list the items in), and
then deleted from the staging bucket. The export reads no read capacity; AWS bills it by table size.
Incremental exports (INCREMENTAL_EXPORT) are not used: each backup exports the whole table.
"""

from __future__ import annotations

import gzip
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from ..aws import call, error_code
from ..errors import AwsError
from ..kinds.common import pages
from .base import DataContext, Wired
from .items import decode, group_count, grouped_batches

TIMEOUT = 6 * 3600.0  # seconds an export may take before the run gives up on it (AWS: minutes to hours)
POLL = 1.0  # first pause between DescribeExport calls; doubled up to 30 s


def capture(ctx: DataContext, client: Any, wired: Wired, keys: list[str], bucket: str) -> tuple[list[str], int]:
    """The table's items through an export to `bucket`: (stored batch keys, item count)."""
    table_arn = call(client, "describe_table", TableName=wired.name)["Table"]["TableArn"]
    prefix = f"lambda-ark-exports/{wired.name}/{datetime.now(UTC):%Y%m%dT%H%M%S%fZ}"
    export = call(client, "export_table_to_point_in_time", TableArn=table_arn, S3Bucket=bucket, S3Prefix=prefix,
                  ExportFormat="DYNAMODB_JSON", ExportType="FULL_EXPORT")["ExportDescription"]
    s3 = ctx.aws.client("s3", wired.region)
    try:
        done = _wait(client, export["ExportArn"], wired.name)
        count = int(done.get("ItemCount", 0))
        stored = [ctx.put_file(b) for b in grouped_batches(_items(s3, bucket, done["ExportManifest"]), keys,
                                                            group_count(count))]
        return stored, count
    finally:
        _delete(ctx, s3, bucket, prefix)  # the staging copy: the repository holds the data now (or the run failed)


def _wait(client: Any, arn: str, table: str) -> dict[str, Any]:
    pause, deadline = POLL, time.monotonic() + TIMEOUT
    while True:
        desc: dict[str, Any] = call(client, "describe_export", ExportArn=arn)["ExportDescription"]
        if desc["ExportStatus"] == "COMPLETED":
            return desc
        if desc["ExportStatus"] == "FAILED":
            raise AwsError(f"ExportTableToPointInTime of {table} failed: {desc.get('FailureCode', '?')}: "
                           f"{desc.get('FailureMessage', '')}")
        if time.monotonic() > deadline:
            raise AwsError(f"ExportTableToPointInTime of {table}: not complete after {TIMEOUT:.0f} s")
        time.sleep(pause)
        pause = min(pause * 2, 30.0)


def _items(s3: Any, bucket: str, summary_key: str) -> Iterator[dict[str, Any]]:
    summary = json.loads(call(s3, "get_object", Bucket=bucket, Key=summary_key)["Body"].read())
    manifest = call(s3, "get_object", Bucket=bucket, Key=summary["manifestFilesS3Key"])["Body"].read()
    for text in manifest.decode().splitlines():
        if not text.strip():
            continue
        body = call(s3, "get_object", Bucket=bucket, Key=json.loads(text)["dataFileS3Key"])["Body"]
        with gzip.GzipFile(fileobj=body) as lines:
            for raw in lines:
                if raw.strip():
                    yield decode(json.loads(raw)["Item"])  # binary values come as base64, as we store them


def _delete(ctx: DataContext, s3: Any, bucket: str, prefix: str) -> None:
    """Best effort: a staging copy left behind is said, never the run's failure (nor one that hides it)."""
    try:
        keys = [o["Key"] for o in pages(s3, "list_objects_v2", "Contents", Bucket=bucket, Prefix=prefix + "/")]
        for i in range(0, len(keys), 1000):
            call(s3, "delete_objects", Bucket=bucket, Delete={"Objects": [{"Key": k} for k in keys[i:i + 1000]],
                                                              "Quiet": True})
    except AwsError as exc:
        if error_code(exc) != "NoSuchBucket":
            ctx.warnings.append(f"s3://{bucket}/{prefix}/: the export's staging copy was not deleted: {exc}")
