"""DynamoDB tables: definition (keys, indexes, billing, stream, TTL, PITR, SSE, tags) and items.

Items are read with a parallel Scan (`ctx.segments` segments at once; botocore's adaptive retries
slow down on throttling) and stored as key-cut, sorted batches (`items`), so an unchanged table adds
nothing to the repository. A Scan is not a point-in-time read: items written during it may or may
not be in the capture (as with any Scan-based dump); a table with point-in-time recovery is exported
instead when the caller names a staging bucket (`dynamodb_export`): that read is consistent.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from ..aws import call
from ..kinds.common import pages
from ..parallel import parallel_map
from . import dynamodb_export
from .base import DataContext, Wired
from .items import batches
from .models import Resource

NAME = "dynamodb"
SERVICE = "dynamodb"
PERMISSIONS = (
    "dynamodb:DescribeTable", "dynamodb:DescribeTimeToLive", "dynamodb:DescribeContinuousBackups",
    "dynamodb:ListTagsOfResource", "dynamodb:Scan",
    # --data-export-bucket: the export, and reading it back from the staging bucket
    "dynamodb:ExportTableToPointInTime", "dynamodb:DescribeExport", "s3:PutObject", "s3:GetObject",
    "s3:ListBucket", "s3:DeleteObject",
    # restore
    "dynamodb:CreateTable", "dynamodb:UpdateTimeToLive", "dynamodb:UpdateContinuousBackups",
    "dynamodb:TagResource", "dynamodb:BatchWriteItem",
)


def table_config(client: Any, table: str) -> dict[str, Any]:
    """What CreateTable and its follow-ups need, in the shape they take it (read the same way at restore)."""
    t = call(client, "describe_table", TableName=table)["Table"]
    conf: dict[str, Any] = {
        "KeySchema": t["KeySchema"],
        "AttributeDefinitions": sorted(t["AttributeDefinitions"], key=lambda a: a["AttributeName"]),
        "BillingMode": t.get("BillingModeSummary", {}).get("BillingMode", "PROVISIONED"),
    }
    if conf["BillingMode"] == "PROVISIONED":
        conf["ProvisionedThroughput"] = _throughput(t.get("ProvisionedThroughput", {}))
    gsis = [{"IndexName": g["IndexName"], "KeySchema": g["KeySchema"], "Projection": g["Projection"],
             **({"ProvisionedThroughput": _throughput(g.get("ProvisionedThroughput", {}))}
                if conf["BillingMode"] == "PROVISIONED" else {})}
            for g in t.get("GlobalSecondaryIndexes", [])]
    lsis = [{"IndexName": i["IndexName"], "KeySchema": i["KeySchema"], "Projection": i["Projection"]}
            for i in t.get("LocalSecondaryIndexes", [])]
    if gsis:
        conf["GlobalSecondaryIndexes"] = sorted(gsis, key=lambda g: g["IndexName"])
    if lsis:
        conf["LocalSecondaryIndexes"] = sorted(lsis, key=lambda i: i["IndexName"])
    stream = t.get("StreamSpecification")
    if stream and stream.get("StreamEnabled"):
        conf["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": stream["StreamViewType"]}
    sse = t.get("SSEDescription")
    if sse and sse.get("SSEType") == "KMS":
        key = {"KMSMasterKeyId": sse["KMSMasterKeyArn"]} if sse.get("KMSMasterKeyArn") else {}
        conf["SSESpecification"] = {"Enabled": True, "SSEType": "KMS", **key}
    ttl = call(client, "describe_time_to_live", TableName=table).get("TimeToLiveDescription", {})
    if ttl.get("TimeToLiveStatus") in ("ENABLED", "ENABLING"):
        conf["TimeToLive"] = ttl["AttributeName"]
    backups = call(client, "describe_continuous_backups", TableName=table)["ContinuousBackupsDescription"]
    pitr = backups.get("PointInTimeRecoveryDescription", {}).get("PointInTimeRecoveryStatus")
    conf["PointInTimeRecovery"] = pitr == "ENABLED"
    tags = call(client, "list_tags_of_resource", ResourceArn=t["TableArn"]).get("Tags", [])
    if tags:
        conf["Tags"] = sorted(tags, key=lambda x: x["Key"])
    return conf


def _throughput(p: dict[str, Any]) -> dict[str, int]:
    return {"ReadCapacityUnits": int(p.get("ReadCapacityUnits") or 1),
            "WriteCapacityUnits": int(p.get("WriteCapacityUnits") or 1)}


def key_names(config: dict[str, Any]) -> list[str]:
    return [k["AttributeName"] for k in config["KeySchema"]]


def capture(ctx: DataContext, wired: Wired) -> Resource:
    client = ctx.client("dynamodb", wired.region)
    config = table_config(client, wired.name)
    keys = key_names(config)
    if ctx.export_bucket and config["PointInTimeRecovery"]:
        stored, count = dynamodb_export.capture(ctx, client, wired, keys, ctx.export_bucket)
        return Resource(source=NAME, account=wired.account, region=wired.region, name=wired.name, arn=wired.arn,
                        captured_at=datetime.now(UTC), config=config, batches=stored, items=count)
    total = max(1, ctx.segments)

    def segment(n: int) -> tuple[list[str], int]:
        stored: list[str] = []
        count = 0

        def items() -> Iterator[dict[str, Any]]:
            nonlocal count
            for item in pages(client, "scan", "Items", TableName=wired.name, Segment=n, TotalSegments=total,
                              ConsistentRead=ctx.consistent_read):
                count += 1
                yield item

        for batch in batches(items(), keys):
            stored.append(ctx.put_file(batch))
        return stored, count

    results = parallel_map(segment, range(total), total)
    return Resource(source=NAME, account=wired.account, region=wired.region, name=wired.name, arn=wired.arn,
                    captured_at=datetime.now(UTC), config=config,
                    batches=[k for stored, _ in results for k in stored], items=sum(c for _, c in results))

