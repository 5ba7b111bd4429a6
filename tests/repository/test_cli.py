"""The repository commands: listings, show (never secrets), diff, help examples, exit codes."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from lambda_ark.model import BackupBody, FunctionRecord
from lambda_ark.repository import Repository

from .conftest import PASSWORD, CliResult, snapshot

SECRET = "hunter2-DB-PASSWORD"


def _fn(name: str, fingerprint: str, memory: int = 128, aliases: int = 0) -> FunctionRecord:
    return FunctionRecord(
        account="111122223333", region="eu-west-1", name=name,
        arn=f"arn:aws:lambda:eu-west-1:111122223333:function:{name}",
        fingerprint=fingerprint,
        items={"configuration": {"MemorySize": memory, "Environment": {"Variables": {"DB_PASSWORD": SECRET}}},
               "aliases": [{"Name": "live", "FunctionVersion": str(aliases)}]},
    )


@pytest.fixture
def two(local_repo: Repository, monkeypatch: pytest.MonkeyPatch) -> tuple[Repository, str, str]:
    monkeypatch.setenv("LAMBDA_ARK_PASSWORD", PASSWORD)
    bodies = [
        BackupBody(functions=[_fn("orders", "a1"), _fn("billing", "b1"), _fn("old", "c1")]),
        BackupBody(functions=[_fn("orders", "a2", memory=256), _fn("billing", "b1"), _fn("new", "d1")]),
    ]
    ids = []
    for i, body in enumerate(bodies):
        with local_repo.writer() as w:
            ids.append(w.commit(snapshot(body=body.model_dump(), tags=["prod"],
                                         summary={"functions": 3, "changed": i + 1, "bytes_added": 1234})))
    return local_repo, ids[0], ids[1]


def test_snapshots_table_and_json(two: tuple[Repository, str, str], cli: Callable[..., CliResult]) -> None:
    repo, a, b = two
    res = cli("snapshots", "--repo", repo.url)
    assert res.code == 0 and a[:8] in res.out and b[:8] in res.out and "1.2 KiB" in res.out
    listed = json.loads(cli("snapshots", "--repo", repo.url, "--json").out)
    assert [s["id"] for s in listed] == [a, b] and listed[0]["tags"] == ["prod"]


def test_show_never_prints_secrets(two: tuple[Repository, str, str], cli: Callable[..., CliResult]) -> None:
    repo, _, b = two
    for args in (("show", "--repo", repo.url, "latest"), ("show", "--repo", repo.url, b[:6], "--json")):
        res = cli(*args)
        assert res.code == 0 and SECRET not in res.out + res.err and "DB_PASSWORD" not in res.out
        assert "orders" in res.out and "new" in res.out
    rows = json.loads(cli("show", "--repo", repo.url, "latest", "--json").out)["functions"]
    assert {r["name"]: r["items"] for r in rows}["orders"] == ["aliases", "configuration"]


def test_diff(two: tuple[Repository, str, str], cli: Callable[..., CliResult]) -> None:
    repo, a, b = two
    res = cli("diff", "--repo", repo.url, a[:8], "latest", "--json")
    out = json.loads(res.out)
    assert out["added"] == ["111122223333/eu-west-1/new"]
    assert out["removed"] == ["111122223333/eu-west-1/old"]
    assert [(c["key"], c["kinds"]) for c in out["changed"]] == [("111122223333/eu-west-1/orders", ["configuration"])]
    assert out["unchanged"] == 1
    text = cli("diff", "--repo", repo.url, a, b).out
    assert "+ 111122223333/eu-west-1/new" in text and "M 111122223333/eu-west-1/orders  (configuration)" in text
    assert SECRET not in text


def test_unknown_snapshot_exit_1(two: tuple[Repository, str, str], cli: Callable[..., CliResult]) -> None:
    res = cli("show", "--repo", two[0].url, "ffffffff")
    assert res.code == 1 and "no snapshot matches" in res.err


def test_init_cli(tmp_path: object, cli: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"{tmp_path}/new"
    monkeypatch.setenv("LAMBDA_ARK_PASSWORD", PASSWORD)
    assert cli("init", "--repo", url).code == 0
    res = cli("init", "--repo", url)
    assert res.code == 1 and "already exists" in res.err
    assert cli("check", "--repo", url, "--json").code == 0
    monkeypatch.delenv("LAMBDA_ARK_PASSWORD")
    res = cli("init", "--repo", f"{tmp_path}/other")
    assert res.code == 2 and "no password" in res.err


@pytest.mark.parametrize("command", [
    ["init"], ["key", "add"], ["key", "list"], ["key", "remove"], ["snapshots"], ["show"], ["diff"],
    ["check"], ["forget"], ["prune"], ["copy"], ["unlock"],
])
def test_help_has_an_example(command: list[str], cli: Callable[..., CliResult]) -> None:
    res = cli(*command, "--help")
    assert res.code == 0 and "Example: lambda-ark" in res.out and "--repo" in res.out
