"""DynamoDB data: parallel scan into deduplicating batches, faults, restore with unprocessed-item retries."""

from __future__ import annotations

import json

import pytest
from tests.faulty_proxy import FaultyProxy, Rule

from lambda_ark.aws import Aws
from lambda_ark.data import dynamodb_export, dynamodb_import, dynamodb_restore
from lambda_ark.data.items import read_batch
from lambda_ark.kinds.common import pages
from lambda_ark.repository import Repository
from lambda_ark.restore.apply import RestoreOptions, run_restore

from .conftest import REGION, data_section, put_items, resource, through, wire

SCAN = "X-Amz-Target: DynamoDB_20120810.Scan"
BATCH_WRITE = "X-Amz-Target: DynamoDB_20120810.BatchWriteItem"
THROTTLED = (b'{"__type": "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException", '
             b'"message": "The level of configured provisioned throughput for the table was exceeded."}')


def _items(aws: Aws, region: str, table: str) -> dict[str, dict[str, object]]:
    client = aws.client("dynamodb", region)
    return {json.dumps([i["pk"], i["sk"]]): i for i in pages(client, "scan", "Items", TableName=table)}


def _restore(aws: Aws, repo: Repository, snapshot: str, dry_run: bool = False, **kw: object):  # type: ignore[no-untyped-def]
    options = RestoreOptions(data=True, **kw)  # type: ignore[arg-type]
    return run_restore(aws, repo, repo.load_snapshot(snapshot), options, dry_run=dry_run)


def _data_changes(result) -> dict[str, tuple[str, str]]:  # type: ignore[no-untyped-def]
    return {c.target: (c.action, c.detail) for c in result.changes if c.kind == "data:dynamodb"}


def test_a_throttled_scan_is_retried(
    aws: Aws, repo: Repository, proxy: FaultyProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = wire(aws, REGION, {}, 30)
    proxy.rules.append(Rule("POST", "^/", times=2, status=400, body=THROTTLED, headers=SCAN))
    result = w.backup(repo, "dynamodb", via=through(proxy, w.aws, monkeypatch))
    assert proxy.rules[0].hits == 2 and result.errors == []
    assert resource(data_section(repo, result.snapshot_id), "dynamodb").items == 30


def test_a_table_that_stays_throttled_is_an_error_and_keeps_its_previous_capture(
    aws: Aws, repo: Repository, proxy: FaultyProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = wire(aws, REGION, {}, 30)
    first = w.backup(repo, "dynamodb")
    put_items(w.aws.client("dynamodb", REGION), w.table, range(30, 40))
    proxy.rules.append(Rule("POST", "^/", times=-1, status=400, body=THROTTLED, headers=SCAN))
    result = w.backup(repo, "dynamodb", via=through(proxy, w.aws, monkeypatch))
    (error,) = result.errors
    assert error.startswith(f"dynamodb {w.table} in {REGION}: ") and "ProvisionedThroughputExceeded" in error
    assert "\n" not in error and "partial" in result.tags
    assert resource(data_section(repo, result.snapshot_id), "dynamodb") == resource(
        data_section(repo, first.snapshot_id), "dynamodb")


def test_an_unchanged_table_adds_no_item_bytes_and_one_change_stores_one_batch(aws: Aws, repo: Repository) -> None:
    w = wire(aws, REGION, {}, 600)
    first = resource(data_section(repo, w.backup(repo, "dynamodb").snapshot_id), "dynamodb")
    assert first.items == 600 and len(first.batches) > 1
    second = resource(data_section(repo, w.backup(repo, "dynamodb").snapshot_id), "dynamodb")
    assert second.batches == first.batches
    w.aws.client("dynamodb", REGION).put_item(TableName=w.table, Item={"pk": {"S": "customer-3"}, "sk": {"N": "10"},
                                                                       "changed": {"BOOL": True}})
    third = resource(data_section(repo, w.backup(repo, "dynamodb").snapshot_id), "dynamodb")
    assert len(set(third.batches) - set(first.batches)) == 1


def test_a_cross_region_restore_creates_the_table_with_its_items_and_stream(aws: Aws, repo: Repository) -> None:
    w = wire(aws, REGION, {}, 60)
    result = w.backup(repo, "dynamodb")
    target = "eu-north-1"
    restored = _restore(w.aws, repo, result.snapshot_id, to_region=target)
    assert [c.kind for c in restored.failed] == ["s3_notifications"]  # the bucket was not backed up: not there
    assert _data_changes(restored) == {
        f"dynamodb table {w.table} ({target})": ("create", "PAY_PER_REQUEST table"),
        f"dynamodb table {w.table} ({target}) items": ("create", "60 items"),
    }
    assert _items(w.aws, target, w.table) == _items(w.aws, REGION, w.table)  # item by item, binary included
    table = w.aws.client("dynamodb", target).describe_table(TableName=w.table)["Table"]
    assert table["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}
    (mapping,) = w.aws.client("lambda", target).list_event_source_mappings(FunctionName=w.function)[
        "EventSourceMappings"]
    assert mapping["EventSourceArn"] == table["LatestStreamArn"]  # the new table's stream, wired
    again = _restore(w.aws, repo, result.snapshot_id, dry_run=True, to_region=target)
    assert {a for a, _ in _data_changes(again).values()} == {"unchanged"}


def test_unprocessed_items_are_sent_again_until_written(
    aws: Aws, repo: Repository, proxy: FaultyProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = wire(aws, REGION, {}, 1)
    result = w.backup(repo, "dynamodb")
    (item,) = _items(w.aws, REGION, w.table).values()
    unprocessed = json.dumps({"UnprocessedItems": {w.table: [{"PutRequest": {"Item": item}}]}},
                             default=lambda b: __import__("base64").b64encode(b).decode()).encode()
    # AWS answers 200 with the items it did not write (throttled partitions): the proxy plays that twice
    proxy.rules.append(Rule("POST", "^/", times=2, status=200, body=unprocessed, headers=BATCH_WRITE))
    monkeypatch.setattr(dynamodb_restore, "PAUSE", 0.001)
    restored = _restore(through(proxy, w.aws, monkeypatch), repo, result.snapshot_id, to_region="sa-east-1")
    assert proxy.rules[0].hits == 2 and [c for c in restored.failed if c.kind.startswith("data")] == []
    assert _items(w.aws, "sa-east-1", w.table) == _items(w.aws, REGION, w.table)
    proxy.rules.append(Rule("POST", "^/", times=-1, status=200, body=unprocessed, headers=BATCH_WRITE))
    w.aws.client("dynamodb", "sa-east-1").delete_item(TableName=w.table, Key={"pk": item["pk"], "sk": item["sk"]})
    failed = _restore(through(proxy, w.aws, monkeypatch), repo, result.snapshot_id, to_region="sa-east-1")
    (change,) = [c for c in failed.failed if c.kind.startswith("data")]
    assert f"BatchWriteItem on {w.table}: 1 items still unprocessed after {dynamodb_restore.MAX_ROUNDS} tries" in (
        change.detail)


def test_a_table_holding_other_items_is_refused_unless_the_mode_says_how(aws: Aws, repo: Repository) -> None:
    w = wire(aws, REGION, {}, 20)
    result = w.backup(repo, "dynamodb")
    ddb = w.aws.client("dynamodb", REGION)
    assert {a for a, _ in _data_changes(_restore(w.aws, repo, result.snapshot_id, dry_run=True)).values()} == {
        "unchanged"}
    before = _items(w.aws, REGION, w.table)
    put_items(ddb, w.table, range(20, 22))  # two items the snapshot does not have
    ddb.put_item(TableName=w.table, Item={"pk": {"S": "customer-0"}, "sk": {"N": "0"}})  # one changed
    refused = _restore(w.aws, repo, result.snapshot_id)
    (failed,) = [c for c in refused.failed if c.kind == "data:dynamodb"]
    assert "holds other data (1 items differ, 2 not in the snapshot)" in failed.detail
    merged = _restore(w.aws, repo, result.snapshot_id, data_mode="merge")
    assert [c for c in merged.failed if c.kind == "data:dynamodb"] == []
    now = _items(w.aws, REGION, w.table)
    assert len(now) == 22 and all(now[k] == v for k, v in before.items())
    _restore(w.aws, repo, result.snapshot_id, data_mode="overwrite")
    assert _items(w.aws, REGION, w.table) == before


def test_a_table_with_pitr_is_exported_through_the_staging_bucket_and_deduplicates(
    aws: Aws, repo: Repository, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = wire(aws, REGION, {}, 700)
    ddb, s3 = w.aws.client("dynamodb", REGION), w.aws.client("s3", REGION)
    ddb.update_continuous_backups(TableName=w.table, PointInTimeRecoverySpecification={
        "PointInTimeRecoveryEnabled": True})
    staging = f"staging-{w.account.id}"
    s3.create_bucket(Bucket=staging, CreateBucketConfiguration={"LocationConstraint": REGION})
    monkeypatch.setattr(dynamodb_export, "POLL", 0.01)
    first = w.backup(repo, "dynamodb", data_export_bucket=staging)
    assert first.errors == [] and w.aws.calls["dynamodb.ExportTableToPointInTime"] == 1
    assert w.aws.calls["dynamodb.Scan"] == 0
    captured = resource(data_section(repo, first.snapshot_id), "dynamodb")
    assert captured.items == 700 and captured.config["PointInTimeRecovery"] is True
    assert s3.list_objects_v2(Bucket=staging).get("KeyCount") == 0  # the staging copy is gone
    second = resource(data_section(repo, w.backup(repo, "dynamodb", data_export_bucket=staging).snapshot_id),
                      "dynamodb")
    assert second.batches == captured.batches  # the same batches, whatever order the export lists items in
    restored = _restore(w.aws, repo, first.snapshot_id, to_region="eu-south-2")
    assert [c for c in restored.failed if c.kind.startswith("data")] == []
    assert _items(w.aws, "eu-south-2", w.table) == _items(w.aws, REGION, w.table)


def test_an_export_that_cannot_be_written_is_the_tables_error(aws: Aws, repo: Repository) -> None:
    w = wire(aws, REGION, {}, 5)
    w.aws.client("dynamodb", REGION).update_continuous_backups(
        TableName=w.table, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
    result = w.backup(repo, "dynamodb", data_export_bucket=f"no-such-bucket-{w.account.id}")
    (error,) = result.errors
    assert error.startswith(f"dynamodb {w.table} in {REGION}: ExportTableToPointInTime of {w.table} failed: ")
    assert "S3NoSuchBucket" in error


def test_a_table_written_during_the_scan_is_captured_without_error(
    aws: Aws, repo: Repository, proxy: FaultyProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = wire(aws, REGION, {}, 40)
    ddb = w.aws.client("dynamodb", REGION)
    proxy.rules.append(Rule("POST", "^/", times=1, headers=SCAN,
                            before=lambda: put_items(ddb, w.table, range(40, 60))))
    result = w.backup(repo, "dynamodb", via=through(proxy, w.aws, monkeypatch))
    assert proxy.rules[0].hits == 1 and result.errors == []
    # A Scan is not a snapshot: the items there before it began are all captured, later ones may be
    captured = resource(data_section(repo, result.snapshot_id), "dynamodb")
    assert 40 <= captured.items <= 60
    files = repo.load_snapshot(result.snapshot_id).files
    keys = {json.dumps([i["pk"], i["sk"]]) for b in captured.batches for i in read_batch(repo.read_file(files[b]))}
    assert len(keys) == captured.items  # none twice


def test_a_new_table_is_created_by_import_with_its_items_stream_and_tags(
    aws: Aws, repo: Repository, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = wire(aws, REGION, {}, 120)
    result = w.backup(repo, "dynamodb")
    target = "ap-northeast-3"
    staging = f"imports-{w.account.id}"
    w.aws.client("s3", target).create_bucket(Bucket=staging, CreateBucketConfiguration={"LocationConstraint": target})
    monkeypatch.setattr(dynamodb_import, "POLL", 0.01)
    restored = _restore(w.aws, repo, result.snapshot_id, to_region=target, data_import_bucket=staging)
    assert _data_changes(restored) == {f"dynamodb table {w.table} ({target})": ("create", "imported 120 items")}
    assert w.aws.calls["dynamodb.ImportTable"] == 1 and w.aws.calls["dynamodb.BatchWriteItem"] == 0
    assert _items(w.aws, target, w.table) == _items(w.aws, REGION, w.table)  # binary values too
    ddb = w.aws.client("dynamodb", target)
    table = ddb.describe_table(TableName=w.table)["Table"]
    assert table["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}
    assert ddb.list_tags_of_resource(ResourceArn=table["TableArn"])["Tags"] == [{"Key": "team", "Value": "data"}]
    (mapping,) = w.aws.client("lambda", target).list_event_source_mappings(FunctionName=w.function)[
        "EventSourceMappings"]
    assert mapping["EventSourceArn"] == table["LatestStreamArn"]
    assert w.aws.client("s3", target).list_objects_v2(Bucket=staging).get("KeyCount") == 0
    again = _restore(w.aws, repo, result.snapshot_id, dry_run=True, to_region=target, data_import_bucket=staging)
    assert {a for a, _ in _data_changes(again).values()} == {"unchanged"}


def test_an_import_through_a_missing_bucket_is_a_failed_change_naming_it(aws: Aws, repo: Repository) -> None:
    w = wire(aws, REGION, {}, 3)
    result = w.backup(repo, "dynamodb")
    restored = _restore(w.aws, repo, result.snapshot_id, to_region="ap-northeast-3",
                        data_import_bucket=f"no-such-bucket-{w.account.id}")
    (failed,) = [c for c in restored.failed if c.kind == "data:dynamodb"]
    assert "put_object" in failed.detail and "NoSuchBucket" in failed.detail and "\n" not in failed.detail
