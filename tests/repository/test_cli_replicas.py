"""The replica commands as a user meets them: bad input first, then copy to several replicas (one of
them gone), the replicas table, and the transfer options on every command that moves data."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from lambda_ark.repository import Repository

from .conftest import PASSWORD, CliResult, make_zip, package, snapshot


@pytest.fixture
def primary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Repository, list[str]]:
    monkeypatch.setenv("LAMBDA_ARK_PASSWORD", PASSWORD)
    repo = Repository.init(str(tmp_path / "primary"), password=PASSWORD, pack_size=128 * 1024)
    ids = []
    for r in range(2):
        with repo.writer() as w:
            ids.append(w.commit(snapshot({"code": w.put_file(make_zip(package(r, changed=(r,), n=20)))},
                                         body={"r": r})))
    return repo, ids


@pytest.mark.parametrize(("args", "needle"), [
    (("--limit-upload", "0"), "--limit-upload"),
    (("--limit-download", "-3"), "--limit-download"),
    (("--s3-endpoint", "minio:9000"), "give a URL such as https://"),
])
def test_bad_transfer_options_are_usage_errors(primary: tuple[Repository, list[str]], tmp_path: Path,
                                               cli: Callable[..., CliResult], args: tuple[str, ...],
                                               needle: str) -> None:
    res = cli("copy", "--repo", primary[0].url, "--to-repo", str(tmp_path / "nowhere"), *args)
    assert res.code == 2 and needle in res.err and len(res.err.strip().splitlines()) == 1, res.err


def test_bad_limit_in_the_environment(primary: tuple[Repository, list[str]], cli: Callable[..., CliResult],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAMBDA_ARK_LIMIT_UPLOAD", "fast")
    res = cli("snapshots", "--repo", primary[0].url)
    assert res.code == 2 and "LAMBDA_ARK_LIMIT_UPLOAD='fast'" in res.err
    monkeypatch.delenv("LAMBDA_ARK_LIMIT_UPLOAD")


def test_init_from_repo_and_copy_to_every_replica(primary: tuple[Repository, list[str]], tmp_path: Path,
                                                  cli: Callable[..., CliResult]) -> None:
    src, ids = primary
    a, b = str(tmp_path / "a"), str(tmp_path / "b")
    res = cli("init", "--repo", a, "--from-repo", src.url)
    assert res.code == 0 and f"a replica of {src.url}" in res.out, res.err
    assert cli("init", "--repo", b, "--from-repo", src.url, "--json").code == 0
    gone = str(tmp_path / "gone")
    res = cli("copy", "--repo", src.url, "--to-repo", a, "--to-repo", gone, "--to-repo", b, "--limit-upload", "50000")
    assert res.code == 3, res.err  # two copies done, one replica missing: partial
    assert f"copy to {gone}: no repository at {gone}" in res.err
    assert f"copied {ids[0][:8]} -> " in res.out and f"{a}: " in res.out and f"{b}: " in res.out
    for url in (a, b):
        assert [s.original for s in Repository.open(url, password=PASSWORD).snapshots()] == ids
    res = cli("copy", "--repo", src.url, "--to-repo", a, "--json")
    doc = json.loads(res.out)
    assert res.code == 0 and doc["skipped"] == ids and doc["mode"] == "packs" and doc["bytes_sent"] == 0
    res = cli("copy", "--repo", src.url, "--to-repo", gone)
    assert res.code == 1 and res.err.startswith(f"lambda-ark: error: copy to {gone}: no repository")


def test_replicas_table_and_exit_code(primary: tuple[Repository, list[str]], tmp_path: Path,
                                      cli: Callable[..., CliResult]) -> None:
    src, ids = primary
    a = str(tmp_path / "a")
    cli("init", "--repo", a, "--from-repo", src.url)
    cli("copy", "--repo", a, "--from-repo", src.url, ids[0])
    res = cli("replicas", "--repo", src.url, "--repo", a)
    assert res.code == 0, res.err
    assert f"{src.url} (primary)" in res.out and "1 snapshots behind" in res.out
    assert "newest snapshot per scope" in res.out and ids[1][:8] in res.out and ids[0][:8] in res.out
    res = cli("replicas", "--repo", src.url, "--repo", a, "--repo", str(tmp_path / "gone"), "--json")
    doc = json.loads(res.out)["replicas"]
    assert res.code == 3 and [r["reachable"] for r in doc] == [True, True, False]
    assert doc[1]["lag"] == {"snapshots": 1, "missing": [ids[1]], "bytes": doc[1]["lag"]["bytes"], "exact": True}
    assert doc[1]["lag"]["bytes"] > 0


def test_restore_with_several_repositories_needs_one_holding_the_snapshot(
        primary: tuple[Repository, list[str]], tmp_path: Path, cli: Callable[..., CliResult],
        monkeypatch: pytest.MonkeyPatch) -> None:
    src, _ = primary
    monkeypatch.setenv("AWS_ENDPOINT_URL", "embedded")
    res = cli("restore", "nope", "-r", src.url, "-r", str(tmp_path / "gone"), "--dry-run")
    assert res.code == 1 and "no snapshot matches 'nope' in any reachable repository" in res.err, res.err
    res = cli("restore", "latest", "-r", str(tmp_path / "gone"), "-r", str(tmp_path / "gone2"), "--dry-run")
    assert res.code == 1 and "no repository is reachable" in res.err, res.err
