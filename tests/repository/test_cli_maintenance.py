"""repair, migrate and forget from the command line: JSON results, exit codes, what is printed."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from lambda_ark.repository import Repository

from .conftest import PASSWORD, CliResult, make_zip, package, snapshot
from .test_format import DATA

T0 = datetime(2024, 6, 1, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAMBDA_ARK_PASSWORD", PASSWORD)


def test_repair_index_cli(local_repo: Repository, cli: Callable[..., CliResult]) -> None:
    with local_repo.writer() as w:
        snap_id = w.commit(snapshot({"code": w.put_file(make_zip(package(n=10)))}))
    for path in Path(local_repo.url, "index").iterdir():
        path.unlink()
    res = cli("check", "--repo", local_repo.url, "--json")
    assert res.code == 1 and json.loads(res.out)["ok"] is False
    res = cli("repair", "index", "--repo", local_repo.url, "--json")
    out = json.loads(res.out)
    assert res.code == 0 and out["from_headers"] == out["packs"] > 0 and out["errors"] == []
    assert cli("check", "--repo", local_repo.url, "--read-data").code == 0
    assert cli("show", "--repo", local_repo.url, snap_id[:8]).code == 0


def test_repair_snapshots_cli(local_repo: Repository, cli: Callable[..., CliResult]) -> None:
    body = {"functions": [{"account": "1", "region": "r", "name": "f", "arn": "a", "fingerprint": "x",
                           "items": {"function": {"file": "code"}}}]}
    with local_repo.writer() as w:
        ref = w.put_file(make_zip(package(n=10)))
    for path in Path(local_repo.url, "data").rglob("*"):
        if path.is_file():
            path.unlink()  # the code is lost; the tree written below is not
    with local_repo.writer() as w:
        bad = w.commit(snapshot({"code": ref}, body=body))
    assert cli("repair", "index", "--repo", local_repo.url).code == 0  # first forget the lost pack
    res = cli("repair", "snapshots", "--repo", local_repo.url, "--dry-run")
    assert res.code == 0 and f"snapshot {bad[:8]}" in res.out and "would rewrite" in res.out
    assert "dropped function 1/r/f" in res.out
    res = cli("repair", "snapshots", "--repo", local_repo.url, "--json")
    out = json.loads(res.out)
    assert res.code == 0 and out["repaired"][0]["id"] == bad and out["repaired"][0]["removed"] is True
    assert cli("check", "--repo", local_repo.url).code == 0
    listed = json.loads(cli("snapshots", "--repo", local_repo.url, "--json").out)
    assert [s["tags"] for s in listed] == [["repaired"]]


def test_repair_snapshots_exit_3_when_something_is_beyond_repair(local_repo: Repository,
                                                                  cli: Callable[..., CliResult]) -> None:
    with local_repo.writer() as w:
        snap_id = w.commit(snapshot())
    local_repo.backend.put(f"snapshots/{snap_id}", b"\x01" * 60)
    res = cli("repair", "snapshots", "--repo", local_repo.url)
    assert res.code == 3 and f"forget {snap_id[:8]}" in res.err
    assert cli("forget", "--repo", local_repo.url, snap_id[:8]).code == 0
    assert local_repo.snapshot_ids() == []


def test_migrate_cli(tmp_path: Path, cli: Callable[..., CliResult]) -> None:
    shutil.copytree(DATA / "v1-repo", tmp_path / "v1")
    url = str(tmp_path / "v1")
    res = cli("migrate", "--repo", url)
    assert res.code == 0 and "format 1 -> 2" in res.out, res.err
    res = cli("migrate", "--repo", url, "--json")
    assert res.code == 0 and json.loads(res.out)["packs_rewritten"] == 0
    assert cli("check", "--repo", url, "--read-data").code == 0


def test_forget_cli_by_id_and_group(local_repo: Repository, cli: Callable[..., CliResult]) -> None:
    ids = []
    for i, scope in enumerate(["s1", "s1", "s2", "s2"]):
        with local_repo.writer() as w:
            ids.append(w.commit(snapshot(time=T0 + timedelta(days=i), summary={"scope": scope})))
    res = cli("forget", "--repo", local_repo.url, "--keep-last", "1", "--dry-run", "--json")
    out = json.loads(res.out)
    assert sorted(k["id"] for k in out["keep"]) == sorted([ids[1], ids[3]]) and out["keep"][0]["group"]
    res = cli("forget", "--repo", local_repo.url, "--keep-last", "1", "--group-by", "", "--dry-run")
    assert res.code == 0 and res.out.count("would remove") == 3
    res = cli("forget", "--repo", local_repo.url, "--group-by", "paths", "--keep-last", "1")
    assert res.code == 2 and "paths" in res.err
    res = cli("forget", "--repo", local_repo.url, ids[0][:8], ids[2])
    assert res.code == 0 and sorted(local_repo.snapshot_ids()) == sorted([ids[1], ids[3]])
