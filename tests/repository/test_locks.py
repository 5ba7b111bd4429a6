"""Writers share the repository; prune needs it alone; stale locks expire and unlock clears them."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from lambda_ark.errors import LockError
from lambda_ark.repository import Repository, check, prune
from lambda_ark.repository.locks import STALE_AFTER, list_locks, unlock

from .conftest import PASSWORD, CliResult, make_zip, package, snapshot


def test_two_writers_at_once(local_repo: Repository) -> None:
    both_open = threading.Barrier(2)
    ids: list[str] = []

    def backup(release: int) -> None:
        repo = Repository.open(local_repo.url, password=PASSWORD)
        with repo.writer() as w:
            both_open.wait()  # the two shared locks are held at the same time
            ref = w.put_file(make_zip(package(release=release, changed=(release,), n=30)))
            ids.append(w.commit(snapshot({"code": ref})))

    threads = [threading.Thread(target=backup, args=(r,)) for r in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(s.id for s in local_repo.snapshots()) == sorted(ids) and len(ids) == 2
    for snap_id in ids:
        snap = local_repo.load_snapshot(snap_id)
        local_repo.read_file(snap.files["code"])
    assert check(local_repo, read_data=True).ok
    assert list_locks(local_repo.backend) == []


def test_prune_refused_while_writing(local_repo: Repository, cli: Callable[..., CliResult],
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    with local_repo.writer() as w:
        w.put_file(b"some data" * 1000)
        with pytest.raises(LockError, match="shared lock by pid"):
            prune(local_repo)
        monkeypatch.setenv("LAMBDA_ARK_PASSWORD", PASSWORD)
        res = cli("prune", "--repo", local_repo.url)
        assert res.code == 1 and "locked" in res.err
    prune(local_repo)  # and fine once the writer is done


def test_writer_refused_during_prune(local_repo: Repository) -> None:
    with local_repo.lock(exclusive=True), pytest.raises(LockError, match="exclusive"), local_repo.writer():
        pass


def _age_locks(repo: Repository, by: timedelta) -> None:
    for path in Path(repo.url, "locks").iterdir():
        doc = json.loads(path.read_text())
        doc["time"] = (datetime.fromisoformat(doc["time"]) - by).isoformat()
        path.write_text(json.dumps(doc))


def test_stale_locks_are_ignored_and_unlocked(local_repo: Repository, cli: Callable[..., CliResult],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    held = local_repo.lock()
    _age_locks(local_repo, STALE_AFTER + timedelta(minutes=1))  # its refresher "stopped" long ago
    prune(local_repo)  # a stale writer lock does not block
    monkeypatch.setenv("LAMBDA_ARK_PASSWORD", PASSWORD)
    res = cli("unlock", "--repo", local_repo.url, "--json")
    assert res.code == 0 and len(json.loads(res.out)["removed"]) == 1
    assert list_locks(local_repo.backend) == []
    held._stop.set()


def test_dead_process_lock_is_stale(local_repo: Repository) -> None:
    local_repo.backend.put("locks/dead", json.dumps({
        "exclusive": True, "host": __import__("socket").gethostname(), "pid": 2**22 + 12345,
        "time": datetime.now(UTC).isoformat()}).encode())
    with local_repo.writer():
        pass
    live = local_repo.lock()
    assert [x.name for x in unlock(local_repo.backend)] == ["locks/dead"]
    assert [x.name for x in list_locks(local_repo.backend)] == [live.name]
    live.release()
