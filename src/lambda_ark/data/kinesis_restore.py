"""Restoring Kinesis streams: create a missing stream as captured, then re-put its records in order.

Records go back parents' shards first, each shard in sequence order, with PutRecords: each request
holds at most one record per partition key, and a record AWS did not take (throttled) stays at the
head of its key's queue for the next request, so records of one partition key arrive in their
original order. Their data and partition keys are as captured; AWS gives them new sequence numbers
and arrival times (the snapshot keeps the originals). A stream's records cannot be deleted: a target
holding other records is refused unless --data-mode merge (append ours); overwrite is refused. A
stream holding, for each partition key, the first of the snapshot's records (a restore cut short)
gets the rest: a restore run again resumes.
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from typing import Any

from ..aws import call
from ..errors import AwsError
from ..kinds.base import Change
from ..kinds.common import maybe, pages
from .base import DataRestoreContext
from .kinesis import lineage, read_batch
from .models import Resource

NAME = "kinesis"
MAX_ROUNDS = 10  # PutRecords requests in a row that take nothing before the change fails
PAUSE = 0.05  # seconds before the second such request; doubled each time after


def plan(dctx: DataRestoreContext, rec: Resource) -> list[Change]:
    region = dctx.region(rec.region)
    label = f"kinesis stream {rec.name} ({region})"
    client = dctx.client("kinesis", region)
    total = sum(s.records for s in rec.shards)
    if maybe(client, "describe_stream_summary", StreamName=rec.name) is None:
        return [Change("data:kinesis", label, "create", f"{rec.config['mode']} stream",
                       apply=lambda: _create(dctx, client, rec)),
                Change("data:kinesis", f"{label} records", "create", f"{total} records",
                       apply=lambda: _put_all(dctx, client, rec))]
    changes = [Change("data:kinesis", label, "unchanged", "configuration")]
    have = by_key(_live(client, rec.name))
    want = by_key([(r["key"], r["data"]) for r in _records(dctx, rec)])
    if have == want:
        return changes + [Change("data:kinesis", f"{label} records", "unchanged", f"{total} records")]
    held = sum(len(v) for v in have.values())
    if all(want.get(k, [])[: len(v)] == v for k, v in have.items()):  # empty, or an earlier restore cut short
        skip = {k: len(v) for k, v in have.items()}
        detail = f"{total - held} records" + (f" (resuming: {held} already there)" if held else "")
        return changes + [Change("data:kinesis", f"{label} records", "update" if held else "create", detail,
                                 apply=lambda: _put_all(dctx, client, rec, skip))]
    if dctx.mode != "merge":
        why = ("a stream's records cannot be deleted: use --data-mode merge to append" if dctx.mode == "overwrite"
               else "pass --data-mode merge to append the snapshot's records")
        return changes + [Change("data:kinesis", f"{label} records", "failed",
                                 f"the stream holds other records ({held}): {why}")]
    return changes + [Change("data:kinesis", f"{label} records", "update", f"{total} records",
                             apply=lambda: _put_all(dctx, client, rec))]


def by_key(records: list[tuple[str, bytes]]) -> dict[str, list[bytes]]:
    """Each partition key's data in order: what a restore keeps (order across keys is not kept by AWS)."""
    out: dict[str, list[bytes]] = {}
    for key, data in records:
        out.setdefault(key, []).append(data)
    return out


def _records(dctx: DataRestoreContext, rec: Resource) -> list[dict[str, Any]]:
    return [r for shard in rec.shards for batch in shard.batches for r in read_batch(dctx.read_file(batch))]


def _live(client: Any, stream: str) -> list[tuple[str, bytes]]:
    """The target's retained records (partition key, data), parents' shards first."""
    out: list[tuple[str, bytes]] = []
    for shard in lineage(list(pages(client, "list_shards", "Shards", StreamName=stream))):
        iterator = call(client, "get_shard_iterator", StreamName=stream, ShardId=shard["ShardId"],
                        ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        while iterator:
            answer = call(client, "get_records", ShardIterator=iterator, Limit=10000)
            out.extend((r["PartitionKey"], r["Data"]) for r in answer.get("Records", []))
            iterator = answer.get("NextShardIterator")
            if not answer.get("Records") and answer.get("MillisBehindLatest", 0) == 0:
                break
    return out


def _create(dctx: DataRestoreContext, client: Any, rec: Resource) -> str | None:
    conf = rec.config
    if conf["mode"] == "ON_DEMAND":
        call(client, "create_stream", StreamName=rec.name, StreamModeDetails={"StreamMode": "ON_DEMAND"})
    else:
        call(client, "create_stream", StreamName=rec.name, ShardCount=int(conf["shards"]))
    client.get_waiter("stream_exists").wait(StreamName=rec.name, WaiterConfig={"Delay": 1, "MaxAttempts": 120})
    if int(conf.get("retention_hours", 24)) > 24:
        call(client, "increase_stream_retention_period", StreamName=rec.name,
             RetentionPeriodHours=int(conf["retention_hours"]))
    if conf.get("encryption"):
        call(client, "start_stream_encryption", StreamName=rec.name, **conf["encryption"])
    tags = {**conf.get("tags", {}), **dctx.ctx.drill_tags()}
    if tags:
        call(client, "add_tags_to_stream", StreamName=rec.name, Tags=tags)
    return None


def _put_all(dctx: DataRestoreContext, client: Any, rec: Resource, skip: dict[str, int] | None = None) -> str | None:
    """Put the records, each key's in order; `skip`: how many of a key's first records are there already."""
    queues: OrderedDict[str, deque[dict[str, Any]]] = OrderedDict()
    for r in _records(dctx, rec):
        queues.setdefault(r["key"], deque()).append(r)
    for key, count in (skip or {}).items():
        for _ in range(min(count, len(queues.get(key, ())))):
            queues[key].popleft()
        if key in queues and not queues[key]:
            del queues[key]
    idle = 0
    while queues:
        heads = [(key, q[0]) for key, q in list(queues.items())[:500]]
        answer = call(client, "put_records", StreamName=rec.name,
                      Records=[{"PartitionKey": key, "Data": r["data"]} for key, r in heads])
        took = 0
        for (key, _), result in zip(heads, answer["Records"], strict=True):
            if "ErrorCode" not in result:
                took += 1
                queues[key].popleft()
                if not queues[key]:
                    del queues[key]
        idle = 0 if took else idle + 1
        if idle >= MAX_ROUNDS:
            left = sum(len(q) for q in queues.values())
            raise AwsError(f"PutRecords on {rec.name}: {left} records not taken after {MAX_ROUNDS} tries "
                           "(the stream is throttled; run the restore again: it puts only the rest)")
        if idle:
            time.sleep(PAUSE * 2 ** (idle - 1))
    return None
