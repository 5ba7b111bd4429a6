"""The repository commands: listings, show (never secrets), diff, help examples, exit codes."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

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


REPO_COMMANDS = [
    ["init"], ["key", "add"], ["key", "list"], ["key", "remove"], ["snapshots"], ["show"], ["diff"], ["check"],
    ["forget"], ["prune"], ["copy"], ["unlock"], ["repair", "index"], ["repair", "snapshots"], ["migrate"],
    ["audit", "log"], ["audit", "verify"], ["report"], ["history"],
]


@pytest.mark.parametrize("command", REPO_COMMANDS, ids=" ".join)
def test_every_repository_command_takes_password_flags(command: list[str], cli: Callable[..., CliResult]) -> None:
    res = cli(*command, "--help")
    assert res.code == 0 and "--password-file" in res.out and "--password-command" in res.out
    assert "Example: lambda-ark" in res.out


def test_password_file_and_command(two: tuple[Repository, str, str], cli: Callable[..., CliResult],
                                   monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    repo, _, b = two
    monkeypatch.delenv("LAMBDA_ARK_PASSWORD")
    (tmp_path / "pw").write_text(PASSWORD + "\n")
    res = cli("show", "--repo", repo.url, "latest", "--password-file", str(tmp_path / "pw"))
    assert res.code == 0 and b[:8] in res.out, res.err
    monkeypatch.delenv("LAMBDA_ARK_PASSWORD_FILE")  # the flag above handed it on through the environment
    res = cli("check", "--repo", repo.url, "--password-command", f"cat {tmp_path / 'pw'}")
    assert res.code == 0 and "no errors" in res.out, res.err
    monkeypatch.delenv("LAMBDA_ARK_PASSWORD_COMMAND")
    res = cli("snapshots", "--repo", repo.url)
    assert res.code == 1 and "no password" in res.err


def test_snapshots_counts_in_one_vocabulary(local_repo: Repository, cli: Callable[..., CliResult],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAMBDA_ARK_PASSWORD", PASSWORD)
    long_tag = "team-" + "x" * 150
    with local_repo.writer() as w:
        w.commit(snapshot(summary={"functions": 7, "changed": 3, "carried_forward": 4}, tags=[long_tag]))
        w.commit(snapshot(summary={"functions": 9, "captured": 2, "unchanged": 7, "bytes_added": 10}))
    res = cli("snapshots", "--repo", local_repo.url)
    assert res.code == 0
    header = next(line for line in res.out.splitlines() if "Captured" in line)
    assert "Unchanged" in header and "Changed" not in header
    rows = [[cell.strip() for cell in line.split("│")[1:-1]] for line in res.out.splitlines() if "│" in line]
    assert sorted(row[-4:] for row in rows) == [["7", "3", "4", ""], ["9", "2", "7", "10 B"]]
    assert long_tag in res.out  # never truncated off a terminal


def test_diff_names_changed_fields_never_values(local_repo: Repository, cli: Callable[..., CliResult],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAMBDA_ARK_PASSWORD", PASSWORD)
    before = _fn("orders", "a1")
    after = _fn("orders", "a2", memory=512, aliases=3)
    after.items["configuration"]["Environment"]["Variables"]["DB_PASSWORD"] = "rotated-" + SECRET
    ids = []
    for fn in (before, after):
        with local_repo.writer() as w:
            ids.append(w.commit(snapshot(body=BackupBody(functions=[fn]).model_dump())))
    out = json.loads(cli("diff", "--repo", local_repo.url, ids[0], ids[1], "--json").out)
    assert out["changed"][0]["fields"] == ["aliases.live.FunctionVersion", "configuration.Environment.Variables",
                                           "configuration.MemorySize"]
    text = cli("diff", "--repo", local_repo.url, ids[0], ids[1]).out
    assert "    configuration.MemorySize" in text and "    aliases.live.FunctionVersion" in text
    assert SECRET not in text + json.dumps(out) and "DB_PASSWORD" not in text


def test_warnings_on_stderr_or_in_the_json(two: tuple[Repository, str, str], cli: Callable[..., CliResult]) -> None:
    repo, a, _ = two
    repo.backend.put("index/" + "f" * 64, b"a truncated index file")
    res = cli("show", "--repo", repo.url, a)
    assert res.code == 0 and "warning: index/" + "f" * 64 in res.err
    res = cli("show", "--repo", repo.url, a, "--json")
    doc = json.loads(res.out)
    assert res.code == 0 and any("f" * 64 in w for w in doc["warnings"]) and "warning" not in res.err
    Path(repo.url, "snapshots", a).write_bytes(b"\x00" * 40)
    res = cli("snapshots", "--repo", repo.url, "--json")
    assert res.code == 0 and len(json.loads(res.out)) == 1 and f"warning: snapshots/{a}" in res.err


def test_show_lists_invokers_not_captured_and_dependents(
    local_repo: Repository, cli: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LAMBDA_ARK_PASSWORD", PASSWORD)
    fn = _fn("orders", "a1")
    fn.not_captured = ["invoked by iot.amazonaws.com (arn:aws:iot:eu-west-1:111122223333:rule/t), not captured"]
    fn.items["referenced_by"] = [
        {"type": "state_machine", "arn": "arn:aws:states:eu-west-1:111122223333:stateMachine:flow", "name": "flow",
         "region": "eu-west-1", "detail": "definition", "references": ["arn:x"]},
        {"type": "environment", "arn": "arn:aws:lambda:us-east-1:111122223333:function:billing", "name": "billing",
         "region": "us-east-1", "detail": "ORDERS_FN", "references": ["arn:x"]},
        {"type": "destination", "arn": "arn:aws:lambda:us-east-1:111122223333:function:billing", "name": "billing",
         "region": "us-east-1", "detail": "OnFailure", "qualifier": "live", "references": ["arn:x"]},
    ]
    with local_repo.writer() as w:
        w.commit(snapshot(body=BackupBody(functions=[fn]).model_dump()))
    res = cli("show", "--repo", local_repo.url, "latest")
    assert res.code == 0, res.err
    assert "orders (eu-west-1, 111122223333):" in res.out
    assert "  invoked by iot.amazonaws.com (arn:aws:iot:eu-west-1:111122223333:rule/t), not captured" in res.out
    assert "  referenced by state machine flow (eu-west-1)" in res.out
    assert "  referenced by function billing (us-east-1) environment ORDERS_FN" in res.out
    assert "  referenced by function billing (us-east-1) destination OnFailure of live" in res.out
    assert SECRET not in res.out
    (row,) = json.loads(cli("show", "--repo", local_repo.url, "latest", "--json").out)["functions"]
    assert row["not_captured"] == fn.not_captured
    assert [d["type"] for d in row["referenced_by"]] == ["state_machine", "environment", "destination"]
    assert all("references" not in d for d in row["referenced_by"])
