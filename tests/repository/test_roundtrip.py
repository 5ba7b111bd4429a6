"""Files go in and come back byte-identical, on every backend; zips are split at members."""

from __future__ import annotations

import hashlib
import io
import os
import zipfile

import pytest

from lambda_ark.aws import Aws
from lambda_ark.errors import RepositoryExists, RepositoryNotFound, SnapshotNotFound
from lambda_ark.repository import Repository
from lambda_ark.repository.zipchunks import plan_zip

from .conftest import PASSWORD, make_zip, member_bytes, package, snapshot


def test_zip_round_trip_on_every_backend(repo_url: str, aws_or_none: Aws | None) -> None:
    members = package(n=20, big=5_500_000)
    members["pkg/stored.txt"] = member_bytes(7, 300_000)
    members["empty/"] = b""
    data = make_zip(members, stored={"pkg/stored.txt", "pkg/data.bin"})
    repo = Repository.init(repo_url, password=PASSWORD, aws=aws_or_none)
    with repo.writer() as w:
        ref = w.put_file(data)
        snap_id = w.commit(snapshot({"code": ref}, body={"hello": "world"}))
    assert ref.layout == "zip" and ref.skeleton

    again = Repository.open(repo_url, password=PASSWORD, aws=aws_or_none)
    snap = again.load_snapshot(snap_id[:10])
    assert snap.body == {"hello": "world"}
    restored = again.read_file(snap.files["code"])
    assert restored == data
    assert hashlib.sha256(restored).hexdigest() == ref.sha256


@pytest.mark.parametrize("kind", ["random", "prefixed-zip", "data-descriptors", "empty"])
def test_odd_files_round_trip(local_repo: Repository, kind: str) -> None:
    if kind == "random":
        data = os.urandom(300_000)
    elif kind == "prefixed-zip":  # self-extracting style: junk before the zip
        data = b"#!/bin/sh\nexit 0\n" + make_zip(package(n=5))
    elif kind == "data-descriptors":  # written to a non-seekable stream: sizes after the data
        buf = _Unseekable()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, body in package(n=5).items():
                with zf.open(name, "w") as fh:
                    fh.write(body)
        data = buf.getvalue()
        assert zipfile.ZipFile(io.BytesIO(data)).infolist()[0].flag_bits & 0x08
    else:
        data = b""
    with local_repo.writer() as w:
        ref = w.put_file(data)
    assert local_repo.read_file(ref) == data
    assert ref.layout == ("cdc" if kind in ("random", "empty") else "zip")


class _Unseekable(io.BytesIO):
    def seekable(self) -> bool:
        return False

    def seek(self, *args: object) -> int:
        raise io.UnsupportedOperation("unseekable")

    def tell(self) -> int:
        raise io.UnsupportedOperation("unseekable")


def test_overlapping_members_fall_back() -> None:
    data = bytearray(make_zip({"a": b"x" * 1000, "b": b"y" * 1000}, stored={"a", "b"}))
    # point b's central directory entry at a's local header: two members now share bytes
    cd = data.rfind(b"PK\x01\x02")
    data[cd + 42 : cd + 46] = (0).to_bytes(4, "little")
    assert plan_zip(bytes(data)) is None


def test_plan_partitions_the_zip() -> None:
    data = make_zip(package(n=10))
    plan = plan_zip(data)
    assert plan is not None and len(plan.gaps) == len(plan.members) + 1
    spans = sorted(plan.gaps + plan.members, key=lambda s: (s.start, s.end))
    assert spans[0].start == 0 and spans[-1].end == len(data)
    assert all(a.end == b.start for a, b in zip(spans, spans[1:], strict=False))


def test_parallel_put_file(local_repo: Repository) -> None:
    from concurrent.futures import ThreadPoolExecutor

    zips = [make_zip(package(release=r, changed=(r,), n=15)) for r in range(12)]
    with local_repo.writer() as w, ThreadPoolExecutor(6) as pool:
        refs = list(pool.map(w.put_file, zips + zips))
        w.commit(snapshot({str(i): r for i, r in enumerate(refs)}))
    for z, ref in zip(zips + zips, refs, strict=True):
        assert local_repo.read_file(ref) == z


def test_init_twice_and_missing(tmp_path: object, local_repo: Repository) -> None:
    with pytest.raises(RepositoryExists):
        Repository.init(local_repo.url, password=PASSWORD)
    with pytest.raises(RepositoryNotFound):
        Repository.open(f"{local_repo.url}-nothing", password=PASSWORD)


def test_snapshot_refs(local_repo: Repository) -> None:
    from datetime import UTC, datetime, timedelta

    t0 = datetime(2024, 5, 1, tzinfo=UTC)
    ids = []
    for i in range(3):
        with local_repo.writer() as w:
            ids.append(w.commit(snapshot(time=t0 + timedelta(hours=i), tags=["prod"], summary={"n": i})))
    assert [s.id for s in local_repo.snapshots()] == ids
    assert local_repo.load_snapshot("latest").id == ids[2]
    assert local_repo.load_snapshot(ids[1][:12]).summary == {"n": 1}
    with pytest.raises(SnapshotNotFound):
        local_repo.load_snapshot("ffffffffffff")
    with pytest.raises(SnapshotNotFound):
        local_repo.load_snapshot("")


def test_failed_upload_blocks_commit(local_repo: Repository, monkeypatch: pytest.MonkeyPatch) -> None:
    from lambda_ark.errors import RepositoryError

    real_put = local_repo.backend.put

    def flaky_put(name: str, data: bytes) -> None:
        if name.startswith("data/"):
            raise RepositoryError(f"put {name}: disk full")
        real_put(name, data)

    with local_repo.writer() as w:
        monkeypatch.setattr(local_repo.backend, "put", flaky_put)
        # the upload fails in whichever thread fills the pack; later refs may name its chunks
        with pytest.raises(RepositoryError, match="disk full"):
            for i in range(20):
                w.put_file(member_bytes(i, 100_000, text=False))
        monkeypatch.setattr(local_repo.backend, "put", real_put)
        with pytest.raises(RepositoryError, match="no snapshot written"):
            w.commit(snapshot())
    assert local_repo.snapshots() == []


def test_naive_time_is_utc(local_repo: Repository) -> None:
    from datetime import datetime

    with local_repo.writer() as w:
        w.commit(snapshot(time=datetime(2024, 1, 1, 12)))
    assert local_repo.snapshots()[0].time.utcoffset() is not None
