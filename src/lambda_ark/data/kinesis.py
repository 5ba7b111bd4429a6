"""Kinesis streams: configuration and the retained records of every shard, read incrementally.

The first capture reads each shard from TRIM_HORIZON; later captures start after the shard's
checkpoint (the last sequence number read, kept in the snapshot) and store only the new records, so
the snapshot's batches for a shard are its history since the first backup. A closed shard (split or
merged away) whose end was read is never read again. Shards are recorded parents first (a child's
records come after its parents' for any partition key), which is the order restore re-puts them in.

Records are stored as JSON lines: sequence number, partition key, data (base64) and the original
ApproximateArrivalTimestamp; restore re-puts the data unchanged (a consumer sees new arrival times,
the snapshot keeps the original ones; docs/data.md).
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

from ..aws import call, error_code
from ..errors import AwsError
from ..kinds.common import pages
from .base import DataContext, Wired
from .models import Resource, Shard

NAME = "kinesis"
SERVICE = "kinesis"
PERMISSIONS = (
    "kinesis:DescribeStreamSummary", "kinesis:ListShards", "kinesis:ListTagsForStream", "kinesis:GetShardIterator",
    "kinesis:GetRecords",
    # restore
    "kinesis:CreateStream", "kinesis:IncreaseStreamRetentionPeriod", "kinesis:StartStreamEncryption",
    "kinesis:AddTagsToStream", "kinesis:PutRecords",
)
LIMIT = 10000  # records per GetRecords (AWS's maximum)
MAX_READS = 10000  # GetRecords calls per shard and run: a stream written faster than it is read still ends


def stream_config(client: Any, stream: str) -> dict[str, Any]:
    summary = call(client, "describe_stream_summary", StreamName=stream)["StreamDescriptionSummary"]
    conf: dict[str, Any] = {
        "mode": summary.get("StreamModeDetails", {}).get("StreamMode", "PROVISIONED"),
        "shards": summary.get("OpenShardCount", 1),
        "retention_hours": summary.get("RetentionPeriodHours", 24),
    }
    if summary.get("EncryptionType") == "KMS":
        conf["encryption"] = {"EncryptionType": "KMS", "KeyId": summary["KeyId"]}
    tags = call(client, "list_tags_for_stream", StreamName=stream).get("Tags", [])
    if tags:
        conf["tags"] = {t["Key"]: t["Value"] for t in tags}
    return conf


def lineage(shards: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Shards ordered parents first (a parent that aged out of the listing counts as read), then by id."""
    by_id = {s["ShardId"]: s for s in shards}
    done: set[str] = set()
    ordered: list[dict[str, Any]] = []
    todo = sorted(by_id)
    while todo:
        ready = [i for i in todo if all(p not in by_id or p in done for p in _parents(by_id[i]))]
        if not ready:  # a cycle cannot happen on AWS; never loop for ever on a bad answer
            ready = todo[:1]
        for i in ready:
            ordered.append(by_id[i])
            done.add(i)
        todo = [i for i in todo if i not in done]
    return ordered


def _parents(shard: dict[str, Any]) -> list[str]:
    return [p for p in (shard.get("ParentShardId"), shard.get("AdjacentParentShardId")) if p]


def capture(ctx: DataContext, wired: Wired) -> Resource:
    client = ctx.client("kinesis", wired.region)
    config = stream_config(client, wired.name)
    previous = ctx.previous.get(f"{NAME}:{wired.account}/{wired.region}/{wired.name}")
    before = {s.shard_id: s for s in previous.shards} if previous and ctx.carried(previous) else {}
    listed = list(pages(client, "list_shards", "Shards", StreamName=wired.name))
    shards = [_read_shard(ctx, client, wired.name, s, before.get(s["ShardId"])) for s in lineage(listed)]
    return Resource(source=NAME, account=wired.account, region=wired.region, name=wired.name, arn=wired.arn,
                    captured_at=datetime.now(UTC), config=config, shards=shards)


def _read_shard(ctx: DataContext, client: Any, stream: str, listed: dict[str, Any], prev: Shard | None) -> Shard:
    shard = Shard(shard_id=listed["ShardId"], parent=listed.get("ParentShardId"),
                  adjacent_parent=listed.get("AdjacentParentShardId"))
    if prev is not None:
        shard = prev.model_copy(deep=True)
        if prev.closed:
            return shard  # its end was read: nothing can follow
    iterator = _iterator(ctx, client, stream, shard)
    lines: list[str] = []
    for _ in range(MAX_READS):
        answer = call(client, "get_records", ShardIterator=iterator, Limit=LIMIT)
        for r in answer.get("Records", []):
            lines.append(json.dumps({"seq": r["SequenceNumber"], "key": r["PartitionKey"],
                                     "data": base64.b64encode(r["Data"]).decode(),
                                     "arrival": r["ApproximateArrivalTimestamp"].isoformat()}, sort_keys=True))
            shard.checkpoint = r["SequenceNumber"]
        iterator = answer.get("NextShardIterator")
        if iterator is None:  # closed, and read to its end
            shard.closed = True
            break
        if not answer.get("Records") and answer.get("MillisBehindLatest", 0) == 0:
            break  # caught up with the shard's tip
    if lines:
        shard.batches.append(ctx.put_file("".join(x + "\n" for x in lines).encode()))
        shard.records += len(lines)
    return shard


def _iterator(ctx: DataContext, client: Any, stream: str, shard: Shard) -> str:
    if shard.checkpoint is None:
        args: dict[str, Any] = {"ShardIteratorType": "TRIM_HORIZON"}
    else:
        args = {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "StartingSequenceNumber": shard.checkpoint}
    try:
        return str(call(client, "get_shard_iterator", StreamName=stream, ShardId=shard.shard_id, **args)[
            "ShardIterator"])
    except AwsError as exc:
        if shard.checkpoint is None or error_code(exc) != "InvalidArgumentException":
            raise
    # The checkpoint aged out of the stream's retention: what came between is gone from AWS too.
    ctx.warnings.append(f"kinesis {stream} {shard.shard_id}: the checkpoint is past the stream's retention; "
                        "records written between the last backup and the trim horizon were not captured")
    return str(call(client, "get_shard_iterator", StreamName=stream, ShardId=shard.shard_id,
                    ShardIteratorType="TRIM_HORIZON")["ShardIterator"])


def read_batch(data: bytes) -> list[dict[str, Any]]:
    """A stored batch's records: seq, key, data (bytes), arrival (text)."""
    out = []
    for text in data.decode().splitlines():
        if text:
            record = json.loads(text)
            record["data"] = base64.b64decode(record["data"])
            out.append(record)
    return out
