"""copy sends only what the destination lacks, and verifies it."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from lambda_ark.aws import Aws
from lambda_ark.repository import Repository, check, copy

from .conftest import PASSWORD, CliResult, make_bucket, make_zip, package, snapshot


def _release(repo: Repository, r: int) -> tuple[str, bytes]:
    data = make_zip(package(release=r, changed=(r,), n=60))
    with repo.writer() as w:
        return w.commit(snapshot({"code": w.put_file(data)}, body={"release": r})), data


def test_copy_to_s3_sends_only_missing(local_repo: Repository, aws: Aws) -> None:
    dst = Repository.init(f"s3://{make_bucket(aws, 'eu-central-1')}/dr", password="other", aws=aws)
    first, data1 = _release(local_repo, 1)
    one = copy(local_repo, dst, [first])
    assert one.files_sent == 1 and one.bytes_added > 0.9 * len(data1) * 0.3
    second, data2 = _release(local_repo, 2)
    two = copy(local_repo, dst, ["latest"])
    assert two.bytes_added < 0.1 * one.bytes_added  # one changed member travelled
    again = copy(local_repo, dst, [first, second])
    assert again.skipped == [first, second] and again.bytes_added == 0

    snaps = dst.snapshots()
    assert [s.original for s in snaps] == [first, second]
    got = dst.load_snapshot(two.copied[second])
    assert got.body == {"release": 2} and dst.read_file(got.files["code"]) == data2
    assert check(dst, read_data=True).ok


def test_unchanged_files_are_not_read_again(local_repo: Repository, tmp_path: Path) -> None:
    dst = Repository.init(str(tmp_path / "dst"), password=PASSWORD)
    data = make_zip(package(n=20))
    for r in range(2):
        with local_repo.writer() as w:
            w.commit(snapshot({"code": w.put_file(data)}, body={"r": r}))
    ids = [s.id for s in local_repo.snapshots()]
    copy(local_repo, dst, [ids[0]])
    second = copy(local_repo, dst, [ids[1]])
    assert (second.files_sent, second.files_reused) == (0, 1)


def test_copy_cli_uses_password2(local_repo: Repository, tmp_path: Path, cli: Callable[..., CliResult],
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    dst_url = str(tmp_path / "dst")
    Repository.init(dst_url, password="second secret")
    snap_id, data = _release(local_repo, 3)
    monkeypatch.setenv("LAMBDA_ARK_PASSWORD", PASSWORD)
    monkeypatch.setenv("LAMBDA_ARK_PASSWORD2", "second secret")
    res = cli("copy", "--repo", local_repo.url, snap_id[:8], "--to-repo", dst_url)
    assert res.code == 0 and "verified" in res.out, res.err
    dst = Repository.open(dst_url, password="second secret")
    assert dst.read_file(dst.load_snapshot("latest").files["code"]) == data


def test_copy_from_another_repository_into_this_one(local_repo: Repository, tmp_path: Path,
                                                    cli: Callable[..., CliResult],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    dst_url = str(tmp_path / "dst")
    Repository.init(dst_url, password="second secret")
    first, data1 = _release(local_repo, 4)
    second, data2 = _release(local_repo, 5)
    (tmp_path / "src.pw").write_text(PASSWORD + "\n")
    monkeypatch.setenv("LAMBDA_ARK_PASSWORD", "second secret")
    res = cli("copy", "--repo", dst_url, "--from-repo", local_repo.url, "--from-password-file",
              str(tmp_path / "src.pw"), first[:8])
    assert res.code == 0 and f"copied {first[:8]}" in res.out, res.err
    monkeypatch.delenv("LAMBDA_ARK_FROM_PASSWORD_FILE")
    monkeypatch.setenv("LAMBDA_ARK_FROM_PASSWORD", PASSWORD)
    res = cli("copy", "--repo", dst_url, "--from-repo", local_repo.url, "--json")  # no ids: every snapshot
    out = json.loads(res.out)
    assert res.code == 0 and out["skipped"] == [first] and list(out["copied"]) == [second], res.err
    dst = Repository.open(dst_url, password="second secret")
    assert [dst.read_file(dst.load_snapshot(s.id).files["code"]) for s in dst.snapshots()] == [data1, data2]


def test_copy_needs_one_direction(local_repo: Repository, cli: Callable[..., CliResult]) -> None:
    res = cli("copy", "--repo", local_repo.url)
    assert res.code == 2 and "--from-repo" in res.err
