"""Pure decisions: item batches (canonical, cut by key), --data names, restored ETags, and which
resources a restore brings back."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from lambda_ark.automation.job import backup_options
from lambda_ark.data import items, parse_sources
from lambda_ark.data.models import DataSection, Resource, S3Object
from lambda_ark.data.restore import selected
from lambda_ark.errors import UsageError
from lambda_ark.model import FunctionRecord
from lambda_ark.policy import PolicyError, parse_policy
from lambda_ark.snapshot_repair import drop_lost_files

KEYS = ["pk", "sk"]
_T = datetime(2026, 1, 1, tzinfo=UTC)


def _item(i: int, extra: str = "") -> dict[str, object]:
    return {"pk": {"S": f"p{i % 5}"}, "sk": {"N": str(i)}, "v": {"S": f"value {i}{extra}"},
            "bin": {"B": bytes([i % 256, 0, 255])}}


@pytest.mark.parametrize(("text", "message"), [
    ("s3,sqs-dead-letters", "--data sqs-dead-letters: unknown source"),
    ("s3,dynamo", "--data dynamo: unknown source (supported: dynamodb, kinesis, s3, sqs, sqs-dlq)"),
])
def test_unknown_or_unsupported_sources_are_usage_errors(text: str, message: str) -> None:
    with pytest.raises(UsageError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_sources(text)


def test_sources_parse_from_text_or_list() -> None:
    assert parse_sources(" s3 , dynamodb,") == {"s3", "dynamodb"}
    assert parse_sources(["s3", "dynamodb"]) == {"s3", "dynamodb"}
    assert parse_sources(None) == frozenset()
    assert parse_sources("sqs-dlq") == {"sqs", "sqs-dlq"}  # a modifier brings its source


def test_binary_values_and_attributes_named_like_type_tags_round_trip() -> None:
    item = {"B": {"S": "an attribute named B"}, "BS": {"BS": [b"\x00\x01", b"\xff"]}, "b": {"B": b"\x00raw"},
            "l": {"L": [{"B": b"x"}, {"M": {"B": {"B": b"nested"}}}]}}
    (batch,) = list(items.batches([item], ["b"]))
    assert items.read_batch(batch) == [item]


def test_an_unchanged_table_gives_the_same_batches_whatever_the_scan_order() -> None:
    rows = [_item(i) for i in range(2000)]
    first = list(items.batches(rows, KEYS))
    assert len(first) > 3  # cut into several batches
    assert list(items.batches(rows, KEYS)) == first
    assert sorted(x for b in first for x in items.read_batch(b) for x in [items.line(x)]) == sorted(
        items.line(r) for r in rows)


def test_one_changed_item_changes_one_batch() -> None:
    rows = [_item(i) for i in range(2000)]
    before = list(items.batches(rows, KEYS))
    rows[1234] = _item(1234, " changed")
    after = list(items.batches(rows, KEYS))
    assert len(after) == len(before)
    assert sum(a != b for a, b in zip(before, after, strict=True)) == 1


def test_an_inserted_item_does_not_shift_later_batches() -> None:
    rows = [_item(i) for i in range(2000)]
    before = set(items.batches(rows, KEYS))
    after = set(items.batches([*rows[:700], _item(99999), *rows[700:]], KEYS))
    assert len(after - before) == 1


@pytest.mark.parametrize(("md5s", "etag", "restored"), [
    ([], '"abc"', '"abc"'),  # nothing read yet: the listed ETag
    (["5d41402abc4b2a76b9719d911017c592"], '"whatever-3"', '"5d41402abc4b2a76b9719d911017c592"'),
    # S3's multipart ETag: MD5 of the parts' binary MD5s, dash, part count
    (["5d41402abc4b2a76b9719d911017c592", "7d793037a0760186574b0282f2f435e7"], '"x"',
     '"065947336a2f2a95ba8899f3675c3be6-2"'),
])
def test_the_etag_a_restored_object_gets(md5s: list[str], etag: str, restored: str) -> None:
    obj = S3Object(key="k", etag=etag, size=1, last_modified="2026-01-01T00:00:00Z", md5s=md5s)  # type: ignore[arg-type]
    assert obj.restored_etag() == restored


def _record(region: str, name: str, items: dict[str, object]) -> FunctionRecord:
    return FunctionRecord(account="111111111111", region=region, name=name, arn="", fingerprint="", items=items)


def _resource(source: str, region: str, name: str, arn: str = "", **kw: object) -> Resource:
    return Resource(source=source, account="111111111111", region=region, name=name, arn=arn or name,
                    captured_at="2026-01-01T00:00:00Z", **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(("functions", "places", "wired_only", "expected"), [
    (["a", "b"], False, False, ["bucket-a", "carts", "dlq", "jobs", "other-region"]),  # all the snapshot holds
    (["a", "b"], True, False, ["bucket-a", "carts", "dlq", "jobs"]),  # a region chosen: that region's
    (["a"], True, True, ["bucket-a", "carts"]),  # functions chosen: what they are wired to
    (["b"], True, True, ["dlq", "jobs"]),  # a queue comes with its dead-letter queue
])
def test_which_resources_a_restore_brings_back(
    functions: list[str], places: bool, wired_only: bool, expected: list[str]
) -> None:
    arn = "arn:aws:{}:eu-west-1:111111111111:{}"
    records = {
        "a": _record("eu-west-1", "a", {"s3_notifications": [{"bucket": "bucket-a"}], "mappings": [
            {"args": {"EventSourceArn": arn.format("dynamodb", "table/carts/stream/2026")}}]}),
        "b": _record("eu-west-1", "b", {"mappings": [{"args": {"EventSourceArn": arn.format("sqs", "jobs")}}]}),
    }
    redrive = json.dumps({"deadLetterTargetArn": arn.format("sqs", "dlq"), "maxReceiveCount": 3})
    section = DataSection(resources=[
        _resource("s3", "eu-west-1", "bucket-a"), _resource("dynamodb", "eu-west-1", "carts"),
        _resource("sqs", "eu-west-1", "jobs", arn.format("sqs", "jobs"), config={"attributes": {
            "RedrivePolicy": redrive}}),
        _resource("sqs", "eu-west-1", "dlq", arn.format("sqs", "dlq")),
        _resource("s3", "us-east-1", "other-region"),
    ])
    chosen = selected(section, [records[f] for f in functions], places=places, wired_only=wired_only)
    assert sorted(r.name for r in chosen) == expected


def test_grouped_batches_are_the_same_whatever_order_the_items_come_in() -> None:
    rows = [_item(i) for i in range(1500)]
    groups = items.group_count(len(rows))
    assert groups == 8  # a power of two near 1500 / 256
    forward = list(items.grouped_batches(rows, KEYS, groups))
    assert list(items.grouped_batches(reversed(rows), KEYS, groups)) == forward
    assert sorted(items.line(x) for b in forward for x in items.read_batch(b)) == sorted(items.line(r) for r in rows)
    assert items.group_count(1) == 1 and items.group_count(3000) == items.group_count(4000) == 16


def test_a_policy_job_asks_for_data_by_name() -> None:
    text = ("repositories: {primary: /x}\njobs:\n  nightly:\n    schedule: rate(1 day)\n"
            "    data: [s3, sqs-dlq]\n    data_buckets: [archive-bucket]\n    data_export_bucket: staging\n")
    job = parse_policy(text).policy.jobs["nightly"]
    options = backup_options("nightly", job)
    assert (options.data, options.data_buckets, options.data_export_bucket) == (
        {"s3", "sqs", "sqs-dlq"}, ["archive-bucket"], "staging")
    with pytest.raises(PolicyError) as bad:
        parse_policy(text.replace("[s3, sqs-dlq]", "[s3, tables]"), "p.yaml")
    assert "p.yaml:5:" in str(bad.value) and "data" in str(bad.value)


def test_repair_drops_a_resource_whose_data_is_lost_and_keeps_the_rest() -> None:
    section = DataSection(resources=[
        _resource("s3", "eu-west-1", "kept", objects=[S3Object(key="k", etag="e", size=1, last_modified=_T,
                                                                  parts=["f1"])]),
        _resource("dynamodb", "eu-west-1", "lost", batches=["f2", "f3"]),
    ])
    body = {"functions": [], "data": section.model_dump(mode="json")}
    new, notes = drop_lost_files(body, {"f3"})
    assert [r["name"] for r in new["data"]["resources"]] == ["kept"]
    assert notes == ["repair: dropped the data of dynamodb:111111111111/eu-west-1/lost: file f3 is lost"]
    assert new["notes"] == notes and body["data"] == section.model_dump(mode="json")  # the input is untouched
