"""Kinesis data: records per shard from TRIM_HORIZON then from checkpoints, splits, faults, restore order."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass

import pytest
from tests.accounts import Account, own_account
from tests.e2e.isolated import make_functions
from tests.faulty_proxy import FaultyProxy, Rule

from lambda_ark.aws import Aws
from lambda_ark.backup import BackupOptions, BackupResult, run_backup
from lambda_ark.data import kinesis_restore
from lambda_ark.data.kinesis import lineage, read_batch
from lambda_ark.data.models import Resource
from lambda_ark.repository import Repository
from lambda_ark.restore.apply import RestoreOptions, run_restore

from .conftest import data_section, resource, through

REGION = "ap-south-1"
GET_RECORDS = "X-Amz-Target: Kinesis_20131202.GetRecords"
PUT_RECORDS = "X-Amz-Target: Kinesis_20131202.PutRecords"
THROTTLED = b'{"__type": "ProvisionedThroughputExceededException", "message": "Rate exceeded for shard"}'


@dataclass
class Stream:
    account: Account
    name: str = "clicks"

    @property
    def aws(self) -> Aws:
        return self.account.aws

    def client(self, region: str = REGION) -> object:
        return self.aws.client("kinesis", region)

    def put(self, numbers: range, keys: int = 4) -> None:
        for i in numbers:
            self.client().put_record(StreamName=self.name, PartitionKey=f"user-{i % keys}",  # type: ignore[attr-defined]
                                     Data=json.dumps({"n": i}).encode())

    def backup(self, repo: Repository, via: Aws | None = None) -> BackupResult:
        return run_backup(via or self.aws, repo, BackupOptions(regions=[REGION], data=frozenset({"kinesis"}),
                                                               change_feed=False))


@pytest.fixture
def stream(aws: Aws) -> Stream:
    s = Stream(own_account(aws))
    make_functions(s.aws, REGION, ["reader"])
    k = s.client()
    k.create_stream(StreamName=s.name, ShardCount=2)  # type: ignore[attr-defined]
    arn = k.describe_stream_summary(StreamName=s.name)["StreamDescriptionSummary"]["StreamARN"]  # type: ignore[attr-defined]
    k.add_tags_to_stream(StreamName=s.name, Tags={"team": "web"})  # type: ignore[attr-defined]
    s.aws.client("lambda", REGION).create_event_source_mapping(FunctionName="reader", EventSourceArn=arn,
                                                               StartingPosition="LATEST")
    s.put(range(40))
    return s


def _records(repo: Repository, snapshot: str, rec: Resource) -> list[dict[str, object]]:
    files = repo.load_snapshot(snapshot).files
    return [r for shard in rec.shards for b in shard.batches for r in read_batch(repo.read_file(files[b]))]


def _by_key(records: list[tuple[str, bytes]]) -> dict[str, list[bytes]]:
    out: dict[str, list[bytes]] = defaultdict(list)
    for key, data in records:
        out[key].append(data)
    return dict(out)


def _live(stream: Stream, region: str) -> list[tuple[str, bytes]]:
    return kinesis_restore._live(stream.client(region), stream.name)


def _restore(aws: Aws, repo: Repository, snapshot: str, dry_run: bool = False, **kw: object):  # type: ignore[no-untyped-def]
    return run_restore(aws, repo, repo.load_snapshot(snapshot), RestoreOptions(data=True, **kw),  # type: ignore[arg-type]
                       dry_run=dry_run)


def _data(result) -> dict[str, tuple[str, str]]:  # type: ignore[no-untyped-def]
    return {c.target: (c.action, c.detail) for c in result.changes if c.kind == "data:kinesis"}


def test_a_throttled_read_is_retried_and_a_stream_that_stays_throttled_keeps_its_checkpoint(
    stream: Stream, repo: Repository, proxy: FaultyProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy.rules.append(Rule("POST", "^/", times=2, status=400, body=THROTTLED, headers=GET_RECORDS))
    first = stream.backup(repo, via=through(proxy, stream.aws, monkeypatch))
    assert proxy.rules[0].hits == 2 and first.errors == []
    captured = resource(data_section(repo, first.snapshot_id), "kinesis")
    assert sum(s.records for s in captured.shards) == 40
    stream.put(range(40, 50))
    proxy.rules.append(Rule("POST", "^/", times=-1, status=400, body=THROTTLED, headers=GET_RECORDS))
    failed = stream.backup(repo, via=through(proxy, stream.aws, monkeypatch))
    (error,) = failed.errors
    assert error.startswith(f"kinesis {stream.name} in {REGION}: ") and "ProvisionedThroughputExceeded" in error
    assert resource(data_section(repo, failed.snapshot_id), "kinesis") == captured  # the checkpoints too
    proxy.rules.clear()
    stream.aws.calls.clear()
    resumed = resource(data_section(repo, stream.backup(repo).snapshot_id), "kinesis")
    assert sum(s.records for s in resumed.shards) == 50  # from the checkpoints: the 10 new ones, once
    new = [r for r in _records(repo, stream.backup(repo).snapshot_id, resumed) if json.loads(r["data"])["n"] >= 40]
    assert sorted(json.loads(r["data"])["n"] for r in new) == list(range(40, 50))


def test_records_are_read_once_and_splits_are_followed_parents_first(stream: Stream, repo: Repository) -> None:
    first = resource(data_section(repo, stream.backup(repo).snapshot_id), "kinesis")
    assert first.config == {"mode": "PROVISIONED", "shards": 2, "retention_hours": 24, "tags": {"team": "web"}}
    assert all(s.checkpoint for s in first.shards)
    again = resource(data_section(repo, stream.backup(repo).snapshot_id), "kinesis")
    assert [s.batches for s in again.shards] == [s.batches for s in first.shards]  # nothing new, nothing stored
    k = stream.client()
    parent = first.shards[0].shard_id
    (shard,) = [s for s in k.list_shards(StreamName=stream.name)["Shards"] if s["ShardId"] == parent]  # type: ignore[attr-defined]
    low, high = int(shard["HashKeyRange"]["StartingHashKey"]), int(shard["HashKeyRange"]["EndingHashKey"])
    k.split_shard(StreamName=stream.name, ShardToSplit=parent, NewStartingHashKey=str((low + high) // 2))  # type: ignore[attr-defined]
    stream.put(range(40, 60))
    snap = stream.backup(repo).snapshot_id
    split = resource(data_section(repo, snap), "kinesis")
    order = [s.shard_id for s in split.shards]
    children = [s for s in split.shards if parent in (s.parent, s.adjacent_parent)]
    assert len(children) == 2 and all(order.index(c.shard_id) > order.index(parent) for c in children)
    assert next(s for s in split.shards if s.shard_id == parent).closed
    numbers = sorted(json.loads(r["data"])["n"] for r in _records(repo, snap, split))
    assert numbers == list(range(60))  # every record once: none lost at the split, none read twice
    stream.aws.calls.clear()
    stream.backup(repo)
    assert stream.aws.calls["kinesis.GetShardIterator"] == 3  # the open shards only; the closed parent is done


def test_lineage_puts_parents_first_even_when_listed_after() -> None:
    shards = [{"ShardId": "c"}, {"ShardId": "b", "ParentShardId": "c"},
              {"ShardId": "a", "ParentShardId": "b", "AdjacentParentShardId": "d"}, {"ShardId": "d"},
              {"ShardId": "e", "ParentShardId": "gone"}]  # a parent past retention is no longer listed
    assert [s["ShardId"] for s in lineage(shards)] == ["c", "d", "e", "b", "a"]


def test_a_cross_region_restore_re_puts_records_in_order_per_partition_key(
    stream: Stream, repo: Repository, proxy: FaultyProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    snap = stream.backup(repo).snapshot_id
    target = "me-south-1"
    # AWS takes none of a request's records twice (throttled shards): they must go again, in order
    failed = json.dumps({"FailedRecordCount": 4, "Records": [
        {"ErrorCode": "ProvisionedThroughputExceededException", "ErrorMessage": "Rate exceeded"}] * 4}).encode()
    proxy.rules.append(Rule("POST", "^/", times=2, status=200, body=failed, headers=PUT_RECORDS))
    monkeypatch.setattr(kinesis_restore, "PAUSE", 0.001)
    restored = _restore(through(proxy, stream.aws, monkeypatch), repo, snap, to_region=target)
    assert proxy.rules[0].hits == 2
    assert _data(restored) == {f"kinesis stream {stream.name} ({target})": ("create", "PROVISIONED stream"),
                               f"kinesis stream {stream.name} ({target}) records": ("create", "40 records")}
    assert [c for c in restored.failed if c.kind.startswith("data")] == []
    assert _by_key(_live(stream, target)) == _by_key(_live(stream, REGION))
    summary = stream.client(target).describe_stream_summary(StreamName=stream.name)["StreamDescriptionSummary"]  # type: ignore[attr-defined]
    assert summary["OpenShardCount"] == 2
    again = _restore(stream.aws, repo, snap, dry_run=True, to_region=target)
    assert {a for a, _ in _data(again).values()} == {"unchanged"}
    stream.client(target).put_record(StreamName=stream.name, PartitionKey="x", Data=b"theirs")  # type: ignore[attr-defined]
    refused = _restore(stream.aws, repo, snap, to_region=target)
    assert "the stream holds other records (41): pass --data-mode merge" in _data(refused)[
        f"kinesis stream {stream.name} ({target}) records"][1]
    over = _restore(stream.aws, repo, snap, dry_run=True, to_region=target, data_mode="overwrite")
    records = f"kinesis stream {stream.name} ({target}) records"
    assert "cannot be deleted: use --data-mode merge" in _data(over)[records][1]
    _restore(stream.aws, repo, snap, to_region=target, data_mode="merge")
    assert len(_live(stream, target)) == 81


def test_a_shard_closed_mid_read_is_read_to_its_end_and_its_children_after(
    stream: Stream, repo: Repository, proxy: FaultyProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    k = stream.client()
    shards = k.list_shards(StreamName=stream.name)["Shards"]  # type: ignore[attr-defined]
    first = min(shards, key=lambda s: s["ShardId"])
    middle = (int(first["HashKeyRange"]["StartingHashKey"]) + int(first["HashKeyRange"]["EndingHashKey"])) // 2

    def split_then_write() -> None:  # the shard is split while its records are being read
        k.split_shard(StreamName=stream.name, ShardToSplit=first["ShardId"], NewStartingHashKey=str(middle))  # type: ignore[attr-defined]
        stream.put(range(40, 52))

    proxy.rules.append(Rule("POST", "^/", times=1, headers=GET_RECORDS, before=split_then_write))
    result = stream.backup(repo, via=through(proxy, stream.aws, monkeypatch))
    assert proxy.rules[0].hits == 1 and result.errors == []
    captured = resource(data_section(repo, result.snapshot_id), "kinesis")
    numbers = sorted(json.loads(r["data"])["n"] for r in _records(repo, result.snapshot_id, captured))
    # every record once: those in the split shard up to its end, the new ones from its children or the other
    # shard (children listed after the split are read in this run or the next, never twice)
    assert set(numbers) >= set(range(40)) and len(numbers) == len(set(numbers))
    later_snap = stream.backup(repo).snapshot_id
    later = resource(data_section(repo, later_snap), "kinesis")
    assert sorted(json.loads(r["data"])["n"] for r in _records(repo, later_snap, later)) == list(range(52))
    assert next(s for s in later.shards if s.shard_id == first["ShardId"]).closed


def test_a_restore_cut_short_resumes_without_a_mode(stream: Stream, repo: Repository) -> None:
    snap = stream.backup(repo).snapshot_id
    target = "ap-east-1"
    target_k = stream.client(target)
    target_k.create_stream(StreamName=stream.name, ShardCount=2)  # type: ignore[attr-defined]
    source = _by_key(_live(stream, REGION))
    for key in ("user-0", "user-1"):  # what an earlier, killed restore had put: each key's first records
        for data in source[key][:3]:
            target_k.put_record(StreamName=stream.name, PartitionKey=key, Data=data)  # type: ignore[attr-defined]
    resumed = _restore(stream.aws, repo, snap, to_region=target)
    assert _data(resumed)[f"kinesis stream {stream.name} ({target}) records"] == (
        "update", "34 records (resuming: 6 already there)")
    assert _by_key(_live(stream, target)) == source  # each key's records once, in order
