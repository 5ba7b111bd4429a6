"""The demo's event-source data: objects in the lost region's bucket, items in its table, records in
its stream, and the item-by-item check that a restore with data brought them back (read straight
from both regions)."""

from __future__ import annotations

import json
from typing import Any

from ..aws import Aws
from ..kinds.common import pages
from . import triggers as trig

TABLE = "carts"  # the table every region's functions read through its stream (estate.event_sources)
STREAM = "clicks"  # the Kinesis stream every region's functions read (estate.event_sources)
SOURCES = frozenset({"s3", "dynamodb", "kinesis"})


def seed(aws: Aws, region: str, objects: int = 20, items: int = 50, records: int = 30) -> tuple[int, int, int]:
    """Objects under archive/ (no notification fires) with metadata and tags, items with binary values,
    and records under a few partition keys (order matters within a key)."""
    s3, ddb = aws.client("s3", region), aws.client("dynamodb", region)
    kinesis = aws.client("kinesis", region)
    for start in range(0, records, 10):
        kinesis.put_records(StreamName=STREAM, Records=[
            {"Data": json.dumps({"click": i}).encode(), "PartitionKey": f"user-{i % 4}"}
            for i in range(start, min(records, start + 10))])
    bucket = trig.bucket_name(region)
    for i in range(objects):
        s3.put_object(Bucket=bucket, Key=f"archive/{i:03d}.json", Body=json.dumps({"order": i}).encode() * (i + 1),
                      ContentType="application/json", Metadata={"source": "demo"}, Tagging=f"batch={i % 3}")
    for i in range(items):
        ddb.put_item(TableName=TABLE, Item={"id": {"S": f"cart-{i:03d}"}, "total": {"N": str(i * 3)},
                                            "lines": {"L": [{"S": "sku-1"}, {"N": str(i)}]},
                                            "token": {"B": i.to_bytes(2, "big")}})
    return objects, items, records


def verify(aws: Aws, body: dict[str, Any], source: str, target: str, bucket_map: dict[str, str]) -> list[str]:
    """Every object (bytes, type, metadata) and every item of each bucket and table the snapshot holds
    for `source` is in the target, and nothing else."""
    problems = []
    held = [r for r in (body.get("data") or {}).get("resources", []) if r["region"] == source]
    if not held:
        problems.append(f"the snapshot holds no data of {source}")
    for resource in held:
        name = resource["name"]
        if resource["source"] == "s3":
            dst = bucket_map.get(f"arn:aws:s3:::{name}", f"arn:aws:s3:::{name}").split(":::")[1]
            want, have = _objects(aws, source, name), _objects(aws, target, dst)
            if want != have:
                differ = sorted(k for k in want.keys() | have.keys() if want.get(k) != have.get(k))
                problems.append(f"bucket {dst}: {len(differ)} objects differ from {name}, e.g. {differ[:3]}")
        elif resource["source"] == "kinesis":
            if (want_records := _records(aws, source, name)) != (have_records := _records(aws, target, name)):
                problems.append(f"stream {name} in {target}: records per partition key differ from {source} "
                                f"({sum(map(len, have_records.values()))} against "
                                f"{sum(map(len, want_records.values()))})")
        elif (items := _items(aws, source, name)) != (restored := _items(aws, target, name)):
            problems.append(f"table {name} in {target}: {len(restored)} items, {len(items)} in {source} (or differing)")
    return problems


def _records(aws: Aws, region: str, stream: str) -> dict[str, list[bytes]]:
    """Every retained record's data, in order, per partition key (the order Kinesis keeps)."""
    kinesis = aws.client("kinesis", region)
    out: dict[str, list[bytes]] = {}
    for shard in pages(kinesis, "list_shards", "Shards", StreamName=stream):
        it = kinesis.get_shard_iterator(StreamName=stream, ShardId=shard["ShardId"],
                                        ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        while it:
            got = kinesis.get_records(ShardIterator=it, Limit=1000)
            for r in got["Records"]:
                out.setdefault(r["PartitionKey"], []).append(r["Data"])
            if not got["Records"] and got.get("MillisBehindLatest", 0) == 0:
                break  # an open shard has no end: caught up is done
            it = got.get("NextShardIterator")
    return out


def _objects(aws: Aws, region: str, bucket: str) -> dict[str, tuple[bytes, str, dict[str, str]]]:
    s3 = aws.client("s3", region)
    out = {}
    for o in pages(s3, "list_objects_v2", "Contents", Bucket=bucket):
        got = s3.get_object(Bucket=bucket, Key=o["Key"])
        out[o["Key"]] = (got["Body"].read(), got.get("ContentType", ""), got.get("Metadata", {}))
    return out


def _items(aws: Aws, region: str, table: str) -> list[str]:
    found: list[dict[str, Any]] = list(pages(aws.client("dynamodb", region), "scan", "Items", TableName=table))
    return sorted(json.dumps(i, sort_keys=True, default=repr) for i in found)
