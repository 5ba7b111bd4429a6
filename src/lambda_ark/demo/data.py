"""The demo's event-source data: objects in the lost region's bucket, items in its table, and the
item-by-item check that a restore with data brought them back (read straight from both regions)."""

from __future__ import annotations

import json
from typing import Any

from ..aws import Aws
from ..kinds.common import pages
from . import triggers as trig

TABLE = "carts"  # the table every region's functions read through its stream (estate.event_sources)
SOURCES = frozenset({"s3", "dynamodb"})


def seed(aws: Aws, region: str, objects: int = 20, items: int = 50) -> tuple[int, int]:
    """Objects under archive/ (no notification fires) with metadata and tags, and items with binary values."""
    s3, ddb = aws.client("s3", region), aws.client("dynamodb", region)
    bucket = trig.bucket_name(region)
    for i in range(objects):
        s3.put_object(Bucket=bucket, Key=f"archive/{i:03d}.json", Body=json.dumps({"order": i}).encode() * (i + 1),
                      ContentType="application/json", Metadata={"source": "demo"}, Tagging=f"batch={i % 3}")
    for i in range(items):
        ddb.put_item(TableName=TABLE, Item={"id": {"S": f"cart-{i:03d}"}, "total": {"N": str(i * 3)},
                                            "lines": {"L": [{"S": "sku-1"}, {"N": str(i)}]},
                                            "token": {"B": i.to_bytes(2, "big")}})
    return objects, items


def verify(aws: Aws, source: str, target: str, bucket_map: dict[str, str]) -> list[str]:
    """Every object (bytes, type, metadata) and every item of the source is in the target, and nothing else."""
    problems = []
    src_bucket = trig.bucket_name(source)
    dst_bucket = bucket_map.get(f"arn:aws:s3:::{src_bucket}", f"arn:aws:s3:::{src_bucket}").split(":::")[1]
    want, have = _objects(aws, source, src_bucket), _objects(aws, target, dst_bucket)
    if want != have:
        differ = sorted(k for k in want.keys() | have.keys() if want.get(k) != have.get(k))
        problems.append(f"bucket {dst_bucket}: {len(differ)} objects differ from {src_bucket}, e.g. {differ[:3]}")
    items, restored = _items(aws, source), _items(aws, target)
    if items != restored:
        problems.append(f"table {TABLE} in {target}: {len(restored)} items, {len(items)} in {source} (or they differ)")
    return problems


def _objects(aws: Aws, region: str, bucket: str) -> dict[str, tuple[bytes, str, dict[str, str]]]:
    s3 = aws.client("s3", region)
    out = {}
    for o in pages(s3, "list_objects_v2", "Contents", Bucket=bucket):
        got = s3.get_object(Bucket=bucket, Key=o["Key"])
        out[o["Key"]] = (got["Body"].read(), got.get("ContentType", ""), got.get("Metadata", {}))
    return out


def _items(aws: Aws, region: str) -> list[str]:
    found: list[dict[str, Any]] = list(pages(aws.client("dynamodb", region), "scan", "Items", TableName=TABLE))
    return sorted(json.dumps(i, sort_keys=True, default=repr) for i in found)
