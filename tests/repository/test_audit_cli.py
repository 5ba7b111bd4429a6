"""Every repository command leaves its event in the audit log; `audit log` and `audit verify` show them."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from lambda_ark.repository import Repository

from .conftest import PASSWORD, CliResult, make_zip, package, snapshot


@pytest.fixture(autouse=True)
def _password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAMBDA_ARK_PASSWORD", PASSWORD)


def _log(cli: Callable[..., CliResult], url: str, *args: str) -> list[dict[str, object]]:
    res = cli("audit", "log", "--repo", url, "--json", *args)
    assert res.code == 0, res.err
    return json.loads(res.out)["events"]  # type: ignore[no-any-return]


def test_audit_log_rejects_a_bad_since_in_one_line(local_repo: Repository, cli: Callable[..., CliResult]) -> None:
    res = cli("audit", "log", "--repo", local_repo.url, "--since", "last tuesday")
    assert res.code == 2 and res.err.count("\n") == 1 and "--since 'last tuesday'" in res.err


def test_audit_verify_on_a_missing_repository_is_one_line(tmp_path: Path, cli: Callable[..., CliResult]) -> None:
    res = cli("audit", "verify", "--repo", str(tmp_path / "nothing"))
    assert res.code == 1 and res.err.count("\n") == 1 and "no repository" in res.err


def test_repository_commands_are_logged_with_outcome_and_counts(tmp_path: Path, cli: Callable[..., CliResult],
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    url = str(tmp_path / "repo")
    assert cli("init", "--repo", url).code == 0
    monkeypatch.setenv("LAMBDA_ARK_NEW_PASSWORD", "another one")
    assert cli("key", "add", "--repo", url).code == 0
    assert cli("key", "remove", "--repo", url, "ffffffff").code != 0  # no such key: an error, logged
    repo = Repository.open(url, password=PASSWORD)
    ids = []
    for n in (3, 4):
        with repo.writer() as w:
            ids.append(w.commit(snapshot({"code": w.put_file(make_zip(package(n=n)))})))
    assert cli("forget", "--repo", url, ids[0]).code == 0
    assert cli("prune", "--repo", url).code == 0
    assert cli("repair", "index", "--repo", url).code == 0
    assert cli("repair", "snapshots", "--repo", url, "--dry-run").code == 0
    assert cli("migrate", "--repo", url).code == 0
    events = _log(cli, url)
    assert [(e["command"], e["outcome"]) for e in events] == [
        ("init", "ok"), ("key add", "ok"), ("key remove", "error"), ("forget", "ok"), ("prune", "ok"),
        ("repair index", "ok"), ("repair snapshots", "ok"), ("migrate", "ok")]
    forget = events[3]
    assert forget["snapshots"] == [ids[0]] and forget["counts"] == {"removed": 1, "kept": 0, "retained": 0}
    assert "matches 0 keys" in str(events[2]["error"])
    assert all(e["host"] and e["user"] for e in events)
    assert events[1]["scope"]["key"]  # type: ignore[index]
    res = cli("audit", "verify", "--repo", url)
    assert res.code == 0 and res.out.startswith("8 events in 1 chains")
    assert cli("check", "--repo", url, "--read-data").code == 0  # the log is no stranger to check
    assert len(_log(cli, url)) == 8  # ... and read-only commands add nothing


def test_audit_verify_names_problems_and_exits_1(local_repo: Repository, cli: Callable[..., CliResult]) -> None:
    for _ in range(3):
        assert cli("prune", "--repo", local_repo.url, "--dry-run").code == 0
    first = sorted(Path(local_repo.url, "audit").rglob("*-*"))[0]
    first.unlink()
    res = cli("audit", "verify", "--repo", local_repo.url)
    assert res.code == 1
    assert "error: missing: event " in res.err and "#1 (the chain goes on to #3)" in res.err
    assert res.err.strip().splitlines()[-1].startswith("lambda-ark: error: the audit log of 2 events has 1 problems")
    out = json.loads(cli("audit", "verify", "--repo", local_repo.url, "--json").out)
    assert out["ok"] is False and len(out["problems"]) == 1 and out["events"] == 2


def test_audit_log_since_and_unreadable_events(local_repo: Repository, cli: Callable[..., CliResult]) -> None:
    assert cli("prune", "--repo", local_repo.url, "--dry-run").code == 0
    assert _log(cli, local_repo.url, "--since", "1h")[0]["scope"] == {"dry_run": True}
    assert _log(cli, local_repo.url, "--since", "2999-01-01") == []
    event = next(Path(local_repo.url, "audit").rglob("*-*"))
    event.write_bytes(b"x" * 64)
    res = cli("audit", "log", "--repo", local_repo.url)
    assert res.code == 0 and "0 events" in res.out and "altered" in res.err


def test_snapshot_header_records_the_chain_heads(local_repo: Repository, cli: Callable[..., CliResult]) -> None:
    assert cli("prune", "--repo", local_repo.url, "--dry-run").code == 0
    with local_repo.writer() as w:
        w.commit(snapshot())
    (head,) = local_repo.snapshots()[-1].audit.values()  # type: ignore[union-attr]
    assert Path(local_repo.url, head).is_file()


def test_a_repository_without_audit_events_writes_snapshots_as_before(local_repo: Repository) -> None:
    with local_repo.writer() as w:
        snap = w.commit(snapshot())
    plain = local_repo.key.open(Path(local_repo.url, "snapshots", snap).read_bytes(), "snapshot", snap)
    assert b'"audit"' not in plain and local_repo.snapshots()[-1].audit is None
