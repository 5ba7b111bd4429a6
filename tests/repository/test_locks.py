"""Writers share the repository; prune needs it alone; stale locks expire and unlock clears them."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from tests.faulty_proxy import FaultyProxy, Rule

from lambda_ark import embedded
from lambda_ark.aws import Aws, connect
from lambda_ark.errors import LockError
from lambda_ark.repository import Repository, check, prune
from lambda_ark.repository.locks import REFRESH_DEADLINE, STALE_AFTER, list_locks, unlock

from .conftest import PASSWORD, CliResult, make_bucket, make_zip, package, snapshot


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
    held.release()


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


def test_commit_refused_when_the_lock_was_removed(local_repo: Repository, cli: Callable[..., CliResult],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAMBDA_ARK_PASSWORD", PASSWORD)
    with local_repo.writer() as w:
        ref = w.put_file(make_zip(package(n=10)))
        assert cli("unlock", "--repo", local_repo.url, "--remove-all").code == 0  # someone else's hand
        with pytest.raises(LockError, match="lock lost.*removed"):
            w.commit(snapshot({"code": ref}))
        assert w.lock is not None and not w.lock.refresh()  # a removed lock is not written again
    assert local_repo.snapshot_ids() == []
    assert list_locks(local_repo.backend) == []


def test_commit_refused_when_refresh_failed_too_long(aws: Aws, endpoint: embedded.Endpoint) -> None:
    proxy = FaultyProxy(upstream=endpoint.url)
    url = proxy.start()
    try:
        bucket = make_bucket(aws)
        repo = Repository.init(f"s3://{bucket}/ark", password=PASSWORD, aws=connect(endpoint_url=url))
        with repo.writer() as w:
            lock = w.lock
            assert lock is not None
            ref = w.put_file(b"data " * 1000)
            proxy.rules.append(Rule("PUT", r"/locks/", times=-1, status=403,
                                    body=b"<Error><Code>AccessDenied</Code></Error>"))
            started = lock.clock()
            assert not lock.refresh()  # the refresh failed; the lock is still fresh enough
            lock.clock = lambda: started + REFRESH_DEADLINE.total_seconds() - 60
            assert not lock.refresh()
            lock.check()  # still inside the deadline
            lock.clock = lambda: started + REFRESH_DEADLINE.total_seconds() + 1
            with pytest.raises(LockError, match="not refreshed for"):
                w.commit(snapshot({"code": ref}))
            proxy.rules.clear()
        assert repo.snapshot_ids() == []
        assert check(repo).ok
    finally:
        proxy.stop()


def test_refresh_keeps_a_writer_going(local_repo: Repository) -> None:
    with local_repo.writer() as w:
        lock = w.lock
        assert lock is not None
        started = lock.clock()
        lock.clock = lambda: started + REFRESH_DEADLINE.total_seconds() * 3
        assert lock.refresh()  # refreshed late, but refreshed: still ours
        w.commit(snapshot())
    assert len(local_repo.snapshot_ids()) == 1
