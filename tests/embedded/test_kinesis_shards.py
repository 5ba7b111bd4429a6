"""Resharding as AWS documents it: parents keep their records, are closed and end; new records go to children."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def _read(k: Any, stream: str, shard: str) -> tuple[list[bytes], bool]:
    """A shard's records from TRIM_HORIZON, and whether GetRecords said it has ended."""
    it = k.get_shard_iterator(StreamName=stream, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    out: list[bytes] = []
    for _ in range(20):
        answer = k.get_records(ShardIterator=it, Limit=100)
        out += [r["Data"] for r in answer["Records"]]
        it = answer.get("NextShardIterator")
        if not it:
            return out, True
        if not answer["Records"]:
            return out, False
    raise AssertionError("no end")


def test_split_and_merge_keep_records_in_their_closed_parents(
    client: Callable[..., Any], unique: Callable[[str], str]
) -> None:
    k = client("kinesis", "eu-south-1")
    stream = unique("reshard")
    k.create_stream(StreamName=stream, ShardCount=1)
    for i in range(6):
        k.put_record(StreamName=stream, PartitionKey=f"k{i}", Data=f"before-{i}".encode())
    (parent,) = k.list_shards(StreamName=stream)["Shards"]
    middle = (int(parent["HashKeyRange"]["StartingHashKey"]) + int(parent["HashKeyRange"]["EndingHashKey"])) // 2
    k.split_shard(StreamName=stream, ShardToSplit=parent["ShardId"], NewStartingHashKey=str(middle))
    for i in range(6):
        k.put_record(StreamName=stream, PartitionKey=f"k{i}", Data=f"after-{i}".encode())
    shards = {s["ShardId"]: s for s in k.list_shards(StreamName=stream)["Shards"]}
    assert "EndingSequenceNumber" in shards[parent["ShardId"]]["SequenceNumberRange"]
    kept, ended = _read(k, stream, parent["ShardId"])
    assert (sorted(kept), ended) == (sorted(f"before-{i}".encode() for i in range(6)), True)
    children = sorted(s for s, v in shards.items() if v.get("ParentShardId") == parent["ShardId"])
    read = [_read(k, stream, c) for c in children]
    assert sorted(d for records, _ in read for d in records) == sorted(f"after-{i}".encode() for i in range(6))
    assert [ended for _, ended in read] == [False, False]  # open shards never end
    k.merge_shards(StreamName=stream, ShardToMerge=children[0], AdjacentShardToMerge=children[1])
    k.put_record(StreamName=stream, PartitionKey="k0", Data=b"merged")
    merged = [s for s in k.list_shards(StreamName=stream)["Shards"] if s.get("AdjacentParentShardId")]
    assert _read(k, stream, merged[0]["ShardId"])[0] == [b"merged"]
    assert [_read(k, stream, c)[1] for c in children] == [True, True]
