"""One conformance suite for every backend: local folder, memory, S3 over the embedded endpoint."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from lambda_ark.aws import Aws
from lambda_ark.errors import RepositoryNotFound
from lambda_ark.repository.backends import Backend, NotFound, open_backend
from lambda_ark.repository.backends.local import LocalBackend
from lambda_ark.repository.backends.transport import wrap

from .conftest import make_bucket


@pytest.fixture(params=["bare", "transport"])
def store(request: pytest.FixtureRequest, repo_url: str, aws_or_none: Aws | None) -> Backend:
    """Each backend as it is, and behind the transport wrapper every repository uses: the same answers."""
    bare = open_backend(repo_url, aws_or_none)
    return wrap(bare) if request.param == "transport" else bare


def test_put_get_overwrite(store: Backend) -> None:
    b = store
    b.put("data/ab/one", b"hello")
    assert b.get("data/ab/one") == b"hello"
    b.put("data/ab/one", b"world!")
    assert b.get("data/ab/one") == b"world!"


def test_range_reads(store: Backend) -> None:
    b = store
    b.put("x", bytes(range(100)))
    assert b.get("x", 10, 5) == bytes(range(10, 15))
    assert b.get("x", 95) == bytes(range(95, 100))
    assert b.get("x", 0, 0) == b""


def test_missing_is_not_found(store: Backend) -> None:
    b = store
    with pytest.raises(NotFound, match="nope"):
        b.get("nope")
    assert not b.exists("nope")
    b.delete("nope")  # deleting what is not there is fine


def test_list_by_prefix_with_sizes(store: Backend) -> None:
    b = store
    for name in ("data/00/a", "data/01/b", "index/c", "snapshots/d"):
        b.put(name, name.encode())
    assert sorted((o.name, o.size) for o in b.list("data/")) == [("data/00/a", 9), ("data/01/b", 9)]
    assert [o.name for o in b.list("index/")] == ["index/c"]
    assert list(b.list("locks/")) == []


def test_exists_and_delete(store: Backend) -> None:
    b = store
    b.put("keys/k", b"1")
    assert b.exists("keys/k")
    b.delete("keys/k")
    assert not b.exists("keys/k")
    assert b.retained_until("keys/k") is None


def test_local_put_is_atomic_and_hides_temp_files(tmp_path: Path) -> None:
    b = LocalBackend(f"file://{tmp_path}")
    b.put("data/aa/x", b"1" * 1000)
    (tmp_path / "data" / "aa" / ".tmp-deadbeef").write_bytes(b"half")  # a killed put
    assert [o.name for o in b.list("data/")] == ["data/aa/x"]
    assert sorted(p.name for p in (tmp_path / "data" / "aa").iterdir()) == [".tmp-deadbeef", "x"]


def test_s3_missing_bucket(aws: Aws) -> None:
    with pytest.raises(RepositoryNotFound, match="no bucket"):
        open_backend("s3://no-such-bucket-here/x", aws)


def test_s3_object_lock_retention(aws: Aws) -> None:
    bucket = make_bucket(aws, object_lock=True)  # Object Lock on, no default rule
    b = open_backend(f"s3://{bucket}/r", aws)
    b.retain_except = ("locks/",)  # type: ignore[attr-defined]
    b.retention_days = 3  # type: ignore[attr-defined]
    b.put("data/00/p", b"pack")
    b.put("locks/l", b"lock")
    until = b.retained_until("data/00/p")
    assert until is not None and (until - datetime.now(UTC)).days in (2, 3)
    assert b.retained_until("locks/l") is None
    head = aws.client("s3").head_object(Bucket=bucket, Key="r/data/00/p")
    assert head["ObjectLockMode"] == "GOVERNANCE"


def test_s3_bucket_default_retention_is_read(aws: Aws) -> None:
    bucket = make_bucket(aws, object_lock=True)
    aws.client("s3").put_object_lock_configuration(Bucket=bucket, ObjectLockConfiguration={
        "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": 5}}})
    b = open_backend(f"s3://{bucket}", aws)
    assert (b.lock_mode, b.bucket_days) == ("COMPLIANCE", 5)  # type: ignore[attr-defined]
    b.put("locks/l", b"lock")  # gets the bucket's default retention, yet (as on S3) a delete marker
    b.delete("locks/l")       # hides it, so locks can always be released
    assert not b.exists("locks/l")
