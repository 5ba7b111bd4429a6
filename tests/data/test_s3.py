"""S3 data: incremental by listing (no GET for unchanged objects), ranged reads, faults, restore modes."""

from __future__ import annotations

import os

import pytest
from tests.faulty_proxy import FaultyProxy, Rule

from lambda_ark.aws import Aws
from lambda_ark.data import s3 as s3_data
from lambda_ark.data import s3_versions
from lambda_ark.repository import Repository
from lambda_ark.restore.apply import RestoreOptions, run_restore

from .conftest import REGION, data_section, resource, through, wire

OBJECTS = {"a.txt": b"hello", "dir/b.bin": b"x" * 1000, "empty": b""}


def _objects(s3: object, bucket: str) -> dict[str, bytes]:
    listed = s3.list_objects_v2(Bucket=bucket).get("Contents", [])  # type: ignore[attr-defined]
    return {o["Key"]: s3.get_object(Bucket=bucket, Key=o["Key"])["Body"].read() for o in listed}  # type: ignore[attr-defined]


def _restore(aws: Aws, repo: Repository, snapshot: str, dry_run: bool = False, **kw: object):  # type: ignore[no-untyped-def]
    options = RestoreOptions(data=True, **kw)  # type: ignore[arg-type]
    return run_restore(aws, repo, repo.load_snapshot(snapshot), options, dry_run=dry_run)


def _data_changes(result) -> dict[str, tuple[str, str]]:  # type: ignore[no-untyped-def]
    return {c.target: (c.action, c.detail) for c in result.changes if c.kind == "data:s3"}


def test_an_object_deleted_between_listing_and_reading_is_left_out_with_a_warning(
    aws: Aws, repo: Repository, proxy: FaultyProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = wire(aws, REGION, OBJECTS, 0)
    s3 = w.s3()
    proxy.rules.append(Rule("GET", rf"^/{w.bucket}/a\.txt$", times=1,
                            before=lambda: s3.delete_object(Bucket=w.bucket, Key="a.txt")))  # type: ignore[attr-defined]
    result = w.backup(repo, "s3", via=through(proxy, w.aws, monkeypatch))
    assert proxy.rules[0].hits == 1
    assert result.errors == []
    assert any("a.txt: deleted between listing and reading" in x for x in result.warnings)
    assert {o.key for o in resource(data_section(repo, result.snapshot_id), "s3").objects} == {"dir/b.bin", "empty"}


def test_an_object_rewritten_between_listing_and_reading_is_captured_whole_as_it_is_now(
    aws: Aws, repo: Repository, proxy: FaultyProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = wire(aws, REGION, OBJECTS, 0)
    s3 = w.s3()
    proxy.rules.append(Rule("GET", rf"^/{w.bucket}/a\.txt$", times=1,
                            before=lambda: s3.put_object(Bucket=w.bucket, Key="a.txt", Body=b"rewritten")))  # type: ignore[attr-defined]
    result = w.backup(repo, "s3", via=through(proxy, w.aws, monkeypatch))
    assert result.errors == []
    (obj,) = [o for o in resource(data_section(repo, result.snapshot_id), "s3").objects if o.key == "a.txt"]
    assert (obj.size, b"".join(repo.read_file(repo.load_snapshot(result.snapshot_id).files[p]) for p in obj.parts)) == (
        9, b"rewritten")


def test_throttled_reads_are_retried(
    aws: Aws, repo: Repository, proxy: FaultyProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = wire(aws, REGION, OBJECTS, 0)
    slow = b"<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>"
    proxy.rules += [Rule("GET", rf"^/{w.bucket}/dir/b\.bin$", times=2, status=503, body=slow),
                    Rule("GET", rf"^/{w.bucket}\?list-type=2", times=1, status=503, body=slow)]
    result = w.backup(repo, "s3", via=through(proxy, w.aws, monkeypatch))
    assert [r.hits for r in proxy.rules] == [2, 1]
    assert result.errors == []
    assert len(resource(data_section(repo, result.snapshot_id), "s3").objects) == 3


def test_a_bucket_that_cannot_be_read_keeps_its_previous_capture_and_the_run_says_so(
    aws: Aws, repo: Repository, proxy: FaultyProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = wire(aws, REGION, OBJECTS, 0)
    first = w.backup(repo, "s3")
    w.s3().put_object(Bucket=w.bucket, Key="new", Body=b"new")  # type: ignore[attr-defined]
    denied = b"<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>"
    proxy.rules.append(Rule("GET", rf"^/{w.bucket}\?list-type=2", times=-1, status=403, body=denied))
    result = w.backup(repo, "s3", via=through(proxy, w.aws, monkeypatch))
    (error,) = result.errors
    assert error.startswith(f"s3 {w.bucket} in {REGION}: ") and "AccessDenied" in error and "\n" not in error
    assert error.endswith("its previous capture is kept")
    assert "partial" in result.tags
    kept = resource(data_section(repo, result.snapshot_id), "s3")
    assert kept == resource(data_section(repo, first.snapshot_id), "s3")


def test_unchanged_objects_cost_no_get_and_add_nothing(aws: Aws, repo: Repository) -> None:
    w = wire(aws, REGION, OBJECTS, 0)
    first = w.backup(repo, "s3")
    assert w.aws.calls["s3.GetObject"] == 3
    w.aws.calls.clear()
    second = w.backup(repo, "s3")
    assert w.aws.calls["s3.GetObject"] == 0 and w.aws.calls["s3.GetObjectTagging"] == 0
    assert second.bytes_added < first.bytes_added / 4  # the snapshot's own manifest, no object bytes
    w.s3().put_object(Bucket=w.bucket, Key="dir/b.bin", Body=b"y" * 1000)  # type: ignore[attr-defined]
    w.aws.calls.clear()
    third = w.backup(repo, "s3")
    assert w.aws.calls["s3.GetObject"] == 1
    objects = {o.key: o for o in resource(data_section(repo, third.snapshot_id), "s3").objects}
    assert objects["dir/b.bin"].size == 1000 and objects["a.txt"].metadata == {"origin": "a.txt"}


def test_a_big_object_is_read_in_ranged_parts_and_restored_by_multipart(aws: Aws, repo: Repository) -> None:
    big = os.urandom(s3_data.PART_SIZE + 3 * 1024 * 1024)
    w = wire(aws, REGION, {"big.bin": big, "small": b"s"}, 0)
    result = w.backup(repo, "s3")
    assert w.aws.calls["s3.GetObject"] == 3  # two ranged reads of big.bin, one of small
    obj = next(o for o in resource(data_section(repo, result.snapshot_id), "s3").objects if o.key == "big.bin")
    assert len(obj.parts) == 2
    target = "eu-west-3"
    restored = _restore(w.aws, repo, result.snapshot_id, to_region=target, data_bucket_template="{name}-{region}")
    new_bucket = f"{w.bucket}-{target}"
    assert _data_changes(restored)[f"s3://{new_bucket} ({target})"][0] == "create"
    assert [c for c in restored.failed if c.kind.startswith("data")] == []  # (the table was not backed up)
    assert _objects(w.s3(target), new_bucket) == {"big.bin": big, "small": b"s"}
    head = w.s3(target).head_object(Bucket=new_bucket, Key="big.bin")  # type: ignore[attr-defined]
    assert head["Metadata"] == {"origin": "big.bin"} and head["ContentType"] == "text/plain"
    again = _restore(w.aws, repo, result.snapshot_id, dry_run=True, to_region=target,
                     data_bucket_template="{name}-{region}")
    assert {a for a, _ in _data_changes(again).values()} == {"unchanged"}


def test_a_bucket_holding_other_data_is_refused_unless_the_mode_says_how(aws: Aws, repo: Repository) -> None:
    w = wire(aws, REGION, OBJECTS, 0)
    result = w.backup(repo, "s3")
    s3 = w.s3()
    same = _restore(w.aws, repo, result.snapshot_id, dry_run=True)  # in place, nothing changed: nothing to do
    assert {a for a, _ in _data_changes(same).values()} == {"unchanged"}
    s3.put_object(Bucket=w.bucket, Key="theirs", Body=b"not in the snapshot")  # type: ignore[attr-defined]
    s3.put_object(Bucket=w.bucket, Key="a.txt", Body=b"changed since")  # type: ignore[attr-defined]
    refused = _restore(w.aws, repo, result.snapshot_id)
    (failed,) = refused.failed
    assert "holds other data (1 objects differ, 1 not in the snapshot" in failed.detail
    assert "--data-mode merge or --data-mode overwrite" in failed.detail
    assert _objects(s3, w.bucket)["a.txt"] == b"changed since"
    merged = _restore(w.aws, repo, result.snapshot_id, data_mode="merge")
    assert merged.failed == []
    assert _objects(s3, w.bucket) == {**OBJECTS, "theirs": b"not in the snapshot"}
    _restore(w.aws, repo, result.snapshot_id, data_mode="overwrite")
    assert _objects(s3, w.bucket) == OBJECTS
    tags = s3.get_object_tagging(Bucket=w.bucket, Key="a.txt")["TagSet"]  # type: ignore[attr-defined]
    assert tags == [{"Key": "kind", "Value": "test"}]


def test_a_bucket_name_taken_in_another_region_is_a_failed_change_naming_the_fix(aws: Aws, repo: Repository) -> None:
    w = wire(aws, REGION, OBJECTS, 0)
    result = w.backup(repo, "s3")
    out = _restore(w.aws, repo, result.snapshot_id, dry_run=True, to_region="eu-west-3")
    failed = [c for c in out.changes if c.kind == "data:s3" and c.action == "failed"]
    assert len(failed) == 1
    assert f"bucket {w.bucket} exists in {REGION}, not eu-west-3" in failed[0].detail
    assert "--data-bucket-template" in failed[0].detail


def _versions(s3: object, bucket: str) -> dict[str, list[tuple[bool, int]]]:
    out: dict[str, list[tuple[bool, int]]] = {}
    for v in s3_versions.listing(s3, bucket):
        out.setdefault(v["Key"], []).append((v["Marker"], int(v["Size"])))
    return out


def test_every_version_is_captured_once_and_restored_in_order(aws: Aws, repo: Repository) -> None:
    w = wire(aws, REGION, OBJECTS, 0)  # the bucket has versioning on
    s3 = w.s3()
    s3.put_object(Bucket=w.bucket, Key="a.txt", Body=b"hello again")  # type: ignore[attr-defined]
    s3.put_object(Bucket=w.bucket, Key="a.txt", Body=b"hello for the third time")  # type: ignore[attr-defined]
    s3.delete_object(Bucket=w.bucket, Key="dir/b.bin")  # type: ignore[attr-defined]  # a delete marker on top
    first = w.backup(repo, "s3", data_s3_versions=True)
    assert first.errors == [] and w.aws.calls["s3.GetObject"] == 5  # 3 of a.txt, b.bin's one, empty
    objects = resource(data_section(repo, first.snapshot_id), "s3").objects
    assert [(o.key, o.size, o.delete_marker, o.latest) for o in objects if o.key != "empty"] == [
        ("a.txt", 5, False, False), ("a.txt", 11, False, False), ("a.txt", 24, False, True),
        ("dir/b.bin", 1000, False, False), ("dir/b.bin", 0, True, True)]
    w.aws.calls.clear()
    w.backup(repo, "s3", data_s3_versions=True)
    assert w.aws.calls["s3.GetObject"] == 0  # versions never change: none read again
    target = "eu-west-3"
    options = {"to_region": target, "data_bucket_template": "{name}-{region}"}
    restored = _restore(w.aws, repo, first.snapshot_id, **options)
    assert [c for c in restored.failed if c.kind.startswith("data")] == []
    new_bucket = f"{w.bucket}-{target}"
    assert _versions(w.s3(target), new_bucket) == _versions(s3, w.bucket)
    assert _objects(w.s3(target), new_bucket) == {"a.txt": b"hello for the third time", "empty": b""}
    again = _restore(w.aws, repo, first.snapshot_id, dry_run=True, **options)
    assert {a for a, _ in _data_changes(again).values()} == {"unchanged"}


def test_a_restored_bucket_has_the_source_buckets_configuration(aws: Aws, repo: Repository) -> None:
    w = wire(aws, REGION, {"a": b"a"}, 0)
    s3 = w.s3()
    s3.put_bucket_lifecycle_configuration(Bucket=w.bucket, LifecycleConfiguration={"Rules": [  # type: ignore[attr-defined]
        {"ID": "expire-tmp", "Status": "Enabled", "Filter": {"Prefix": "tmp/"}, "Expiration": {"Days": 7}}]})
    s3.put_bucket_cors(Bucket=w.bucket, CORSConfiguration={"CORSRules": [  # type: ignore[attr-defined]
        {"AllowedMethods": ["GET"], "AllowedOrigins": ["https://example.com"], "MaxAgeSeconds": 60}]})
    s3.put_public_access_block(Bucket=w.bucket, PublicAccessBlockConfiguration={  # type: ignore[attr-defined]
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True})
    result = w.backup(repo, "s3")
    target = "eu-west-3"
    restored = _restore(w.aws, repo, result.snapshot_id, to_region=target, data_bucket_template="{name}-copy")
    assert [c for c in restored.failed if c.kind.startswith("data")] == []
    want, have = (s3_data.bucket_config(w.s3(r), b) for r, b in ((REGION, w.bucket), (target, f"{w.bucket}-copy")))
    assert set(want) >= {"lifecycle", "cors", "public_access_block", "versioning", "tags"}
    assert {k: v for k, v in have.items() if k != "notification"} == {
        k: v for k, v in want.items() if k != "notification"}
    assert have["notification"]["LambdaFunctionConfigurations"][0]["LambdaFunctionArn"].startswith(
        f"arn:aws:lambda:{target}:")  # the function's own notification, by the s3_notifications kind


def test_throttled_writes_at_restore_are_retried(
    aws: Aws, repo: Repository, proxy: FaultyProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = wire(aws, REGION, OBJECTS, 0)
    result = w.backup(repo, "s3")
    slow = b"<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>"
    new_bucket = f"{w.bucket}-again"
    proxy.rules.append(Rule("PUT", rf"^/{new_bucket}/dir/b\.bin$", times=2, status=503, body=slow))
    restored = _restore(through(proxy, w.aws, monkeypatch), repo, result.snapshot_id, to_region="eu-west-3",
                        data_bucket_template="{name}-again")
    assert proxy.rules[0].hits == 2
    assert [c for c in restored.failed if c.kind.startswith("data")] == []
    assert _objects(w.s3("eu-west-3"), new_bucket) == OBJECTS
