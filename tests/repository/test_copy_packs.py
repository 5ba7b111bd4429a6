"""copy into a replica (init --from-repo): packs move as they are, and an interrupted copy resumes.

Failure first: a replica that goes away halfway, a link that drops connections and answers 5xx, a
copy killed with SIGKILL, a damaged source pack. Each time: nothing partial is visible in the
replica, the next run completes without sending again what arrived, and `check --read-data` is clean.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.link_proxy import LinkProxy

from lambda_ark.aws import Aws
from lambda_ark.embedded import Endpoint
from lambda_ark.repository import Repository, check, copy
from lambda_ark.repository.backends import GaveUp
from lambda_ark.repository.backends.retry import RetryPolicy
from lambda_ark.repository.backends.transport import Transfer
from lambda_ark.repository.copy_packs import plan_packs
from lambda_ark.repository.index import pack_id_of

from . import _copy_child
from .conftest import PASSWORD, make_bucket, make_zip, snapshot

PACK = 256 * 1024
FAST = RetryPolicy(attempts=3, base=0.01, cap=0.02)


def _random_zip(seed: int, members: int = 6, size: int = 120_000) -> bytes:
    rnd = random.Random(seed)
    names = [f"m{i}.bin" for i in range(members)]
    return make_zip({name: rnd.randbytes(size) for name in names}, stored=set(names))


def _source(tmp_path: Path, releases: int = 3) -> tuple[Repository, list[str]]:
    src = Repository.init(str(tmp_path / "src"), password=PASSWORD, pack_size=PACK)
    ids = []
    for r in range(releases):
        with src.writer() as w:
            ids.append(w.commit(snapshot({"code": w.put_file(_random_zip(r))}, body={"release": r})))
    return src, ids


def _packs(repo: Repository) -> dict[str, int]:
    return {pack_id_of(o.name): o.size for o in repo.backend.list("data/")}


def _stored(repo: Repository) -> int:
    return sum(o.size for prefix in ("data/", "index/", "snapshots/") for o in repo.backend.list(prefix))


def test_replica_shares_keys_and_chunker_but_not_its_password(tmp_path: Path) -> None:
    src, _ = _source(tmp_path, releases=1)
    dst = Repository.init(str(tmp_path / "dst"), password="another", copy_of=src)
    assert dst.key == src.key and dst.config.chunker == src.config.chunker and dst.config.id != src.config.id
    with pytest.raises(Exception, match="wrong password"):
        Repository.open(dst.url, password=PASSWORD)
    assert Repository.open(dst.url, password="another").key == src.key
    # copy opens a replica with its source's key in hand: no password needed, no scrypt
    assert Repository.open(dst.url, password=None, master=src.key).config.id == dst.config.id
    other = Repository.init(str(tmp_path / "other"), password="third")
    with pytest.raises(Exception, match="no password given"):
        Repository.open(other.url, master=src.key)  # not a replica of it: its own keys decide
    assert Repository.open(other.url, password="third", master=src.key).key == other.key


def test_packs_move_as_they_are_and_snapshots_keep_their_original(tmp_path: Path) -> None:
    src, ids = _source(tmp_path)
    dst = Repository.init(str(tmp_path / "dst"), password=PASSWORD, copy_of=src)
    result = copy(src, dst, [ids[0]])
    assert result.mode == "packs" and list(result.copied) == [ids[0]] and result.chunks_sent == 0
    assert set(_packs(dst)) <= set(_packs(src))  # the same bytes under the same names
    more = copy(src, dst, ids)
    assert more.skipped == [ids[0]] and list(more.copied) == ids[1:]
    assert _packs(dst) == _packs(src)
    assert [s.original for s in dst.snapshots()] == ids
    for s in dst.snapshots():
        assert dst.load_snapshot(s.id).body == src.load_snapshot(str(s.original)).body
    assert check(dst, read_data=True).ok
    assert copy(src, dst, ids).bytes_sent == 0  # nothing left to send


def test_only_missing_chunks_travel_when_the_replica_holds_some(tmp_path: Path) -> None:
    src, _ = _source(tmp_path, releases=0)
    dst = Repository.init(str(tmp_path / "dst"), password=PASSWORD, copy_of=src)
    shared, own = _random_zip(7), _random_zip(8)
    with dst.writer() as w:  # the replica got one of the packages by other means (its own backup)
        w.commit(snapshot({"code": w.put_file(shared)}, body={"local": True}))
    with src.writer() as w:
        snap = w.commit(snapshot({"a": w.put_file(shared), "b": w.put_file(own)}, body={"both": True}))
    before = _stored(dst)
    result = copy(src, dst, [snap])
    assert result.chunks_sent + result.packs_sent > 0
    assert _stored(dst) - before < 1.2 * len(own)  # the shared package did not travel again
    index = dst.index(refresh=True)
    assert all(len(locs) == 1 for locs in index.chunks.values())  # and nothing is stored twice
    copied = dst.load_snapshot(result.copied[snap])
    assert dst.read_file(copied.files["a"]) == shared and dst.read_file(copied.files["b"]) == own
    assert check(dst, read_data=True).ok


def test_plan_says_what_a_replica_lacks(tmp_path: Path) -> None:
    src, ids = _source(tmp_path)
    dst = Repository.init(str(tmp_path / "dst"), password=PASSWORD, copy_of=src)
    plan, _ = plan_packs(src, dst, ids)
    assert plan.bytes > 0 and not plan.found and not plan.errors
    copy(src, dst, ids)
    plan, _ = plan_packs(src, dst, ids)
    assert plan.bytes == 0 and not plan.whole and not plan.partial


@pytest.fixture
def link(endpoint: Endpoint) -> Iterator[LinkProxy]:
    proxy = LinkProxy(endpoint.url)
    proxy.start()
    yield proxy
    proxy.stop()


def _replica_on_s3(aws: Aws, link: LinkProxy, src: Repository, **settings: object) -> tuple[str, Transfer]:
    url = f"s3://{make_bucket(aws, 'eu-central-1')}/replica"
    transfer = Transfer(s3_endpoint=link.url, retry=FAST, **settings)  # type: ignore[arg-type]
    Repository.init(url, password=PASSWORD, aws=aws, copy_of=src, transfer=transfer)
    return url, transfer


def test_replica_gone_halfway_resumes_without_sending_again_what_arrived(
        tmp_path: Path, aws: Aws, link: LinkProxy) -> None:
    src, ids = _source(tmp_path, releases=4)
    url, transfer = _replica_on_s3(aws, link, src)
    total = sum(_packs(src).values())
    start = link.received
    link.after_received(start + total // 2, lambda: setattr(link, "down", True))
    dst = Repository.open(url, password=PASSWORD, aws=aws, transfer=transfer)
    with pytest.raises(GaveUp):
        copy(src, dst, ids, connections=1)
    link.down = False
    dst = Repository.open(url, password=PASSWORD, aws=aws, transfer=transfer)
    visible = [s.original for s in dst.snapshots()]
    assert visible == ids[: len(visible)] and len(visible) < len(ids)  # whole snapshots only, in order
    for s in dst.snapshots():  # each visible one is complete
        dst.read_file(dst.load_snapshot(s.id).files["code"])

    result = copy(src, dst, ids, connections=1)
    assert list(result.copied) == ids[len(visible):] and result.packs_found + result.packs_sent > 0
    resent = (link.received - start) - _stored(dst) - _locks_and_config_traffic(link)
    assert resent < PACK, resent  # less than one pack travelled twice
    assert check(Repository.open(url, password=PASSWORD, aws=aws), read_data=True).ok


def _locks_and_config_traffic(link: LinkProxy) -> int:
    return 20_000  # lock objects (a few hundred bytes each, put and refreshed) and the listing bodies: small


def test_copy_through_a_lossy_slow_link_completes_and_checks_clean(tmp_path: Path, aws: Aws, link: LinkProxy) -> None:
    src, ids = _source(tmp_path, releases=3)
    url, transfer = _replica_on_s3(aws, link, src)
    link.latency, link.drop_rate = 0.005, 0.15
    link.cap(up=20e6, down=20e6)  # a slow link too: 20 MB/s each way
    link.fail_next(3, status=503)
    link.fail_next(2, status=500, method="PUT")
    dst = Repository.open(url, password=PASSWORD, aws=aws, transfer=Transfer(
        s3_endpoint=link.url, retry=RetryPolicy(attempts=12, base=0.01, cap=0.05)))
    result = copy(src, dst, ids)
    assert list(result.copied) == ids and link.dropped > 0
    link.drop_rate = 0
    assert check(Repository.open(url, password=PASSWORD, aws=aws), read_data=True).ok


def test_large_packs_resume_from_the_last_stored_part(tmp_path: Path, aws: Aws, link: LinkProxy) -> None:
    mib = 1024 * 1024
    src = Repository.init(str(tmp_path / "src"), password=PASSWORD, pack_size=12 * mib)
    blob = random.Random(5).randbytes(11 * mib)
    with src.writer() as w:
        snap = w.commit(snapshot({"big": w.put_file(blob)}))
    url, transfer = _replica_on_s3(aws, link, src, multipart_threshold=5 * mib, part_size=5 * mib)
    start = link.received
    link.after_received(start + 7 * mib, lambda: setattr(link, "down", True))  # during part 2
    with pytest.raises(GaveUp):
        copy(src, Repository.open(url, password=PASSWORD, aws=aws, transfer=transfer), [snap])
    link.down = False
    again = Repository.open(url, password=PASSWORD, aws=aws, transfer=transfer)
    copy(src, again, [snap])
    assert transfer.stats_for(url).parts_resumed == 1
    resent = (link.received - start) - _stored(again) - _locks_and_config_traffic(link)
    assert resent < 5 * mib  # less than one part
    copied = again.load_snapshot("latest")
    assert again.read_file(copied.files["big"]) == blob


def test_damaged_source_pack_costs_only_the_snapshots_that_need_it(tmp_path: Path) -> None:
    src, ids = _source(tmp_path, releases=2)
    first_packs = set(_packs(src))
    with src.writer() as w:
        ids.append(w.commit(snapshot({"code": w.put_file(_random_zip(99))}, body={"release": 99})))
    victim = sorted(set(_packs(src)) - first_packs)[0]
    path = next(Path(src.url, "data").rglob(victim))
    path.write_bytes(path.read_bytes()[:-10] + b"0123456789")
    dst = Repository.init(str(tmp_path / "dst"), password=PASSWORD, copy_of=src)
    result = copy(src, dst, ids)
    assert list(result.copied) == ids[:2] and list(result.errors) == [ids[2]]
    assert "does not match its name" in result.errors[ids[2]]
    assert [s.original for s in dst.snapshots()] == ids[:2]
    assert check(dst, read_data=True).ok


def test_killed_copy_leaves_nothing_partial_and_the_next_run_finishes(tmp_path: Path) -> None:
    src, ids = _source(tmp_path, releases=6)
    dst_url = str(tmp_path / "dst")
    Repository.init(dst_url, password=PASSWORD, copy_of=src)
    child = subprocess.Popen([sys.executable, _copy_child.__file__, src.url, dst_url, PASSWORD],
                             env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    data = Path(dst_url, "data")
    try:
        for _ in range(3000):  # wait for an event (some packs arrived), not for a time
            if child.poll() is not None or (data.is_dir() and sum(1 for _ in data.rglob("*")) >= 8):
                break
            time.sleep(0.01)
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.kill()
        child.wait()
    dst = Repository.open(dst_url, password=PASSWORD)
    for s in dst.snapshots():
        dst.read_file(dst.load_snapshot(s.id).files["code"])
    assert check(dst, read_data=True).ok
    result = copy(src, dst, ids)
    assert [s.original for s in dst.snapshots()] == ids
    assert result.bytes_added <= sum(_packs(src).values()) + 100_000
    assert check(dst, read_data=True).ok
