"""Kinesis shards after a split or merge: parents keep their records, are closed, and end.

AWS ("Resharding a stream", "GetRecords"): a split or merge closes the parent shard(s); their records
stay in them until the retention period ends (consumers read parents before children); new records go
only to open shards; GetRecords on a closed shard, once its last record is read, answers no
NextShardIterator ("the shard has been closed and the requested iterator will not return any more data").
moto: re-puts the parents' records into the children (new sequence numbers, duplicates for a reader
that had read the parent), routes new records to the first shard whose hash range matches, closed
or not, and keeps answering iterators for a closed shard.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from moto.kinesis.models import KinesisBackend, Shard, Stream
from moto.kinesis.utils import decompose_shard_iterator

_split = Stream.split_shard
_merge = Stream.merge_shards
_route = Stream.get_shard_for_key
_get_records = KinesisBackend.get_records


def _without_moving(shards: list[Shard], reshard: Any) -> None:
    saved = [s.records for s in shards]
    for s in shards:
        s.records = OrderedDict()  # moto moves what is here: leave nothing to move
    try:
        reshard()
    finally:
        for s, records in zip(shards, saved, strict=True):
            s.records = records


def split_shard(self: Stream, shard_to_split: str, new_starting_hash_key: str) -> None:
    shard = self.shards.get(shard_to_split)
    if shard is None:
        _split(self, shard_to_split, new_starting_hash_key)
        return
    _without_moving([shard], lambda: _split(self, shard_to_split, new_starting_hash_key))


def merge_shards(self: Stream, shard_to_merge: str, adjacent_shard_to_merge: str) -> None:
    shards = [s for s in (self.shards.get(shard_to_merge), self.shards.get(adjacent_shard_to_merge)) if s]
    _without_moving(shards, lambda: _merge(self, shard_to_merge, adjacent_shard_to_merge))


def get_shard_for_key(self: Stream, partition_key: str, explicit_hash_key: str) -> Shard | None:
    closed = {k: s for k, s in self.shards.items() if not s.is_open}
    for k in closed:
        del self.shards[k]
    try:
        return _route(self, partition_key, explicit_hash_key)
    finally:
        self.shards.update(closed)


def get_records(self: KinesisBackend, stream_arn: str | None, shard_iterator: str, limit: int | None) -> Any:
    next_iterator, records, millis = _get_records(self, stream_arn, shard_iterator, limit)
    stream_name, shard_id, _ = decompose_shard_iterator(next_iterator)
    stream = self.describe_stream(stream_arn=stream_arn, stream_name=stream_name)
    shard = stream.get_shard(shard_id)
    _, _, last = decompose_shard_iterator(next_iterator)
    if not shard.is_open and int(last) >= shard.get_max_sequence_number():
        return None, records, millis
    return next_iterator, records, millis


def apply() -> None:
    Stream.split_shard = split_shard  # type: ignore[method-assign]
    Stream.merge_shards = merge_shards  # type: ignore[method-assign]
    Stream.get_shard_for_key = get_shard_for_key  # type: ignore[method-assign]
    KinesisBackend.get_records = get_records  # type: ignore[method-assign]
