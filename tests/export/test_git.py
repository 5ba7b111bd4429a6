"""The code history as git: one commit per snapshot in time order, a tag per version, secrets
redacted, re-runs that add only what is new, and a run stopped halfway that leaves nothing half-done."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from dulwich.objects import Commit, Tree
from dulwich.repo import Repo

from lambda_ark.backup import BackupOptions, run_backup
from lambda_ark.errors import UsageError
from lambda_ark.export import export_git
from lambda_ark.export import git as git_mod
from lambda_ark.repository import Snapshot

from .conftest import SECRET, SRC, Estate, package


def read(repo: Repo, treeish: bytes, path: str) -> bytes:
    obj: Any = repo[treeish]
    tree = repo[obj.tree] if isinstance(obj, Commit) else obj
    for part in path.split("/"):
        assert isinstance(tree, Tree)
        _, sha = tree[part.encode()]
        tree = repo[sha]
    return bytes(tree.data)


def history(repo: Repo) -> list[Commit]:
    return [e.commit for e in repo.get_walker(include=[repo.refs[b"refs/heads/main"]])][::-1]


def release(estate: Estate) -> str:
    """orders gets new code and a second version; a new snapshot records it."""
    lam = estate.aws.client("lambda", SRC)
    lam.update_function_code(FunctionName="orders", ZipFile=package("def handler(e, c):\n    return 'v2'\n"))
    lam.get_waiter("function_updated_v2").wait(FunctionName="orders")
    lam.publish_version(FunctionName="orders", Description="release 2")
    result = run_backup(estate.aws, estate.repo, BackupOptions(regions=[SRC]))
    assert result.errors == []
    return str(result.snapshot_id)


def test_a_file_or_a_foreign_folder_is_refused(lambda_only: Estate, tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(UsageError, match="is a file"):
        export_git(lambda_only.repo, tmp_path / "file")
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("precious")
    with pytest.raises(UsageError, match="holds files but no git repository"):
        export_git(lambda_only.repo, tmp_path / "mine")
    assert (tmp_path / "mine" / "notes.txt").read_text() == "precious"


def test_a_run_stopped_halfway_publishes_nothing_and_the_next_run_does_it_all(
    lambda_only: Estate, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    release(lambda_only)
    real = git_mod._Builder.commit
    calls: list[int] = []

    def crash_on_second(self: Any, snap: Snapshot, parent: Any) -> Any:
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(self, snap, parent)

    monkeypatch.setattr(git_mod._Builder, "commit", crash_on_second)
    with pytest.raises(KeyboardInterrupt):
        export_git(lambda_only.repo, tmp_path / "h")
    repo = Repo(str(tmp_path / "h"))
    assert b"refs/heads/main" not in repo.refs.keys() and not repo.refs.as_dict(b"refs/tags")
    monkeypatch.undo()
    done = export_git(lambda_only.repo, tmp_path / "h")
    assert len(done.exported) == 2


def test_one_commit_per_snapshot_a_tag_per_version_secrets_redacted(lambda_only: Estate, tmp_path: Path) -> None:
    second = release(lambda_only)
    out = tmp_path / "history"
    first_run = export_git(lambda_only.repo, out)
    snaps = lambda_only.repo.snapshots()
    assert first_run.exported == [s.id for s in snaps] and second == snaps[-1].id
    assert sorted(first_run.tags) == ["orders/v1", "orders/v2"]
    repo = Repo(str(out))
    commits = history(repo)
    assert [c.commit_time for c in commits] == [int(s.time.timestamp()) for s in snaps]
    assert [c.message.decode().splitlines()[-1] for c in commits] == [f"Lambda-Ark-Snapshot: {s.id}" for s in snaps]
    head = commits[-1].id
    config = json.loads(read(repo, head, f"{SRC}/orders/function.json"))
    token = config["function"]["config"]["Environment"]["Variables"]["TOKEN"]
    assert token.startswith("<redacted:") and len(token) == len("<redacted:>") + 12
    assert all(SECRET.encode() not in repo[sha].as_raw_string() for sha in repo.object_store)
    assert read(repo, head, f"{SRC}/orders/code/app.py") == b"def handler(e, c):\n    return 'v2'\n"
    assert read(repo, commits[0].id, f"{SRC}/orders/code/app.py") == b"def handler(e, c):\n    return 1\n"
    assert read(repo, head, f"{SRC}/orders/versions/1/code/app.py") == b"def handler(e, c):\n    return 1\n"
    # a tag is the version alone: diffing two tags shows exactly the release
    v1, v2 = repo.refs[b"refs/tags/orders/v1"], repo.refs[b"refs/tags/orders/v2"]
    assert read(repo, v1, "code/app.py") != read(repo, v2, "code/app.py")
    assert json.loads(read(repo, v2, "function.json"))["description"] == "release 2"
    assert (out / SRC / "orders" / "code" / "app.py").read_text() == "def handler(e, c):\n    return 'v2'\n"

    again = export_git(lambda_only.repo, out)  # nothing new: nothing added
    assert (again.exported, again.tags, again.head) == ([], [], first_run.head)
    third = run_backup(lambda_only.aws, lambda_only.repo, BackupOptions(regions=[SRC], full=True)).snapshot_id
    later = export_git(lambda_only.repo, out)
    assert later.exported == [third] and later.tags == []  # versions already tagged are not tagged again
    assert [c.id for c in history(Repo(str(out)))][:-1] == [c.id for c in commits]


def test_a_snapshot_older_than_the_history_is_reported_not_inserted(lambda_only: Estate, tmp_path: Path) -> None:
    out = tmp_path / "history"
    export_git(lambda_only.repo, out)
    snap = lambda_only.repo.load_snapshot("latest")
    with lambda_only.repo.writer() as w:  # e.g. copied in later from another repository
        old = w.commit(Snapshot(time=datetime.now(UTC) - timedelta(days=30), host="elsewhere", body=snap.body,
                                files=snap.files))
    result = export_git(lambda_only.repo, out)
    assert result.exported == [] and len(result.skipped) == 1 and old[:8] in result.skipped[0]
