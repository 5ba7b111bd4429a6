"""Replicas: status and lag, choosing the nearest healthy copy, and failing over mid-read."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from tests.link_proxy import LinkProxy

from lambda_ark.aws import Aws
from lambda_ark.embedded import Endpoint
from lambda_ark.errors import SnapshotNotFound
from lambda_ark.repository import Repository, copy
from lambda_ark.repository.backends.retry import RetryPolicy
from lambda_ark.repository.backends.transport import Transfer
from lambda_ark.repository.models import SnapshotInfo
from lambda_ark.repository.nearest import Candidate, choose_replica, rank, resolve
from lambda_ark.repository.replicas import Probe, copy_to_replicas, replica_status

from .conftest import PASSWORD, make_bucket, make_zip, snapshot

FAST = RetryPolicy(attempts=2, base=0.01, cap=0.02)


def _cand(url: str, latency: float, rate: float, region: str | None = None, holds: bool = True) -> Candidate:
    return Candidate(url, repo=object(), probe=Probe(latency, rate, region),  # type: ignore[arg-type]
                     snapshot_id="s" if holds else None)


@pytest.mark.parametrize(("cands", "prefer", "order"), [
    # the fastest to read a pack wins: latency and throughput together
    ([_cand("a", 0.050, 50e6), _cand("b", 0.001, 10e6)], None, ["a", "b"]),
    ([_cand("a", 0.200, 50e6), _cand("b", 0.001, 50e6)], None, ["b", "a"]),
    # --prefer REGION wins over speed
    ([_cand("a", 0.001, 90e6, "eu-west-1"), _cand("b", 0.3, 1e6, "us-east-1")], "us-east-1", ["b", "a"]),
    # a folder (on site, at the edge) is "local"
    ([_cand("a", 0.001, 90e6, "eu-west-1"), _cand("b", 0.3, 1e6)], "local", ["b", "a"]),
    # a preferred region nobody is in changes nothing
    ([_cand("a", 0.001, 90e6), _cand("b", 0.3, 1e6)], "ap-south-1", ["a", "b"]),
    # unhealthy ones never rank: unreachable, or lacking the snapshot
    ([Candidate("x", error="unreachable"), _cand("a", 0.3, 1e6, holds=False), _cand("b", 0.3, 1e6)], None, ["b"]),
    # ties keep the order given (the primary first)
    ([_cand("p", 0.01, 10e6), _cand("r", 0.01, 10e6)], None, ["p", "r"]),
])
def test_rank(cands: list[Candidate], prefer: str | None, order: list[str]) -> None:
    assert [c.url for c in rank(cands, prefer)] == order


def _info(id_: str, minutes: int, original: str | None = None) -> SnapshotInfo:
    return SnapshotInfo(id=id_, time=datetime(2025, 1, 1, tzinfo=UTC) + timedelta(minutes=minutes), host="h",
                        original=original)


def test_resolve_across_replicas() -> None:
    primary = Candidate("p", infos=[_info("aaa1", 1), _info("bbb2", 2)])
    replica = Candidate("r", infos=[_info("ccc3", 1, original="aaa1")])
    assert resolve([primary, replica], "latest") == "bbb2"
    assert resolve([replica], "latest") == "aaa1"  # the primary is down: the newest a replica holds
    assert resolve([replica], "aaa") == "aaa1"  # named by the original id …
    assert resolve([replica], "ccc") == "aaa1"  # … or by the replica's own
    with pytest.raises(SnapshotNotFound, match="no snapshot matches"):
        resolve([primary, replica], "zzz")
    with pytest.raises(SnapshotNotFound, match="matches 2"):
        resolve([Candidate("q", infos=[_info("ab1", 1), _info("ab2", 2)])], "ab")


def _zip(seed: int) -> bytes:
    rnd = random.Random(seed)
    return make_zip({f"f{i}": rnd.randbytes(50_000) for i in range(4)}, stored={f"f{i}" for i in range(4)})


@pytest.fixture
def link(endpoint: Endpoint) -> Iterator[LinkProxy]:
    proxy = LinkProxy(endpoint.url)
    proxy.start()
    yield proxy
    proxy.stop()


@pytest.fixture
def estate(tmp_path: Path, aws: Aws, link: LinkProxy) -> tuple[Repository, list[str], str, Callable[[str], Repository]]:
    """A local primary with two snapshots, and a replica in S3 (eu-west-1, behind the link)."""
    primary = Repository.init(str(tmp_path / "primary"), password=PASSWORD, pack_size=128 * 1024)
    ids = []
    for r in range(2):
        with primary.writer() as w:
            ids.append(w.commit(snapshot({"code": w.put_file(_zip(r))}, body={"r": r})))
    transfer = Transfer(s3_endpoint=link.url, retry=FAST, timeout=2, connect_timeout=1)
    url = f"s3://{make_bucket(aws, 'eu-west-1')}/replica"
    Repository.init(url, password=PASSWORD, aws=aws, copy_of=primary, transfer=transfer)

    def open_(u: str) -> Repository:
        return Repository.open(u, password=PASSWORD, aws=aws, transfer=transfer)

    return primary, ids, url, open_


def test_status_reports_reachability_latency_and_lag(estate: tuple, link: LinkProxy, tmp_path: Path) -> None:
    primary, ids, url, open_ = estate
    copy(primary, open_(url), [ids[0]])
    gone = str(tmp_path / "nowhere")
    statuses = replica_status([primary.url, url, gone], open_, samples=3)
    p, r, g = statuses
    assert p.primary and p.reachable and p.snapshots == 2 and p.missing == []
    assert r.reachable and r.probe.region == "eu-west-1" and r.probe.latency is not None and r.probe.throughput
    assert r.missing == [ids[1]] and r.exact and r.bytes_missing and r.bytes_missing > 100_000
    assert [h.original for h in r.newest] == [ids[0]]
    assert not g.reachable and "no repository" in str(g.error)
    assert g.as_dict()["lag"]["bytes"] is None

    copy(primary, open_(url), ids)
    link.down = True
    p, r, _ = replica_status([primary.url, url, gone], open_, samples=1)
    assert p.reachable and not r.reachable and "gave up" in str(r.error)


def test_status_estimates_lag_of_a_replica_with_its_own_keys(tmp_path: Path) -> None:
    primary = Repository.init(str(tmp_path / "p"), password=PASSWORD)
    with primary.writer() as w:
        snap = w.commit(snapshot({"code": w.put_file(_zip(1))}))
    other = Repository.init(str(tmp_path / "o"), password=PASSWORD)
    _, o = replica_status([primary.url, other.url], lambda u: Repository.open(u, password=PASSWORD))
    assert o.missing == [snap] and not o.exact and o.bytes_missing == len(_zip(1))


def test_nearest_healthy_copy_is_chosen_and_named(estate: tuple, link: LinkProxy) -> None:
    primary, ids, url, open_ = estate
    copy(primary, open_(url), ids)
    link.latency = 0.02
    choice = choose_replica([url, primary.url], "latest", open_)
    assert choice.chosen.url == primary.url and choice.snapshot == ids[1]  # local beats 20 ms away
    assert choice.report()[0].startswith(f"reading snapshot {ids[1][:8]} from {primary.url} (local): latency")
    preferred = choose_replica([primary.url, url], "latest", open_, prefer="eu-west-1")
    assert preferred.chosen.url == url
    snap = preferred.reader.load_snapshot(preferred.snapshot_id)
    assert preferred.reader.read_file(snap.files["code"]) == _zip(1)


def test_a_replica_without_the_snapshot_or_unreachable_is_skipped(estate: tuple, link: LinkProxy,
                                                                   tmp_path: Path) -> None:
    primary, ids, url, open_ = estate
    copy(primary, open_(url), [ids[0]])
    choice = choose_replica([url, str(tmp_path / "gone"), primary.url], ids[1][:8], open_, prefer="eu-west-1")
    assert choice.chosen.url == primary.url
    lines = choice.report()
    assert any(f"skipped {url}: does not hold snapshot {ids[1][:8]}" in line for line in lines)
    assert any("skipped " + str(tmp_path / "gone") + ": unreachable" in line for line in lines)
    assert any("no healthy replica in eu-west-1" in line for line in lines)
    with pytest.raises(SnapshotNotFound, match="no snapshot matches .* in any reachable repository"):
        choose_replica([url], ids[1], open_)


def test_reads_fail_over_to_the_next_replica_midway(estate: tuple, link: LinkProxy) -> None:
    primary, ids, url, open_ = estate
    copy(primary, open_(url), ids)
    choice = choose_replica([primary.url, url], "latest", open_, prefer="eu-west-1")
    assert choice.chosen.url == url
    with choice.reader.lock():
        snap = choice.reader.load_snapshot(choice.snapshot_id)
        link.down = True  # the replica goes away after the plan was read
        assert choice.reader.read_file(snap.files["code"]) == _zip(1)
    assert choice.reader.used.url == primary.url
    assert any(f"reads from {url} failed" in s and f"went on with {primary.url}" in s for s in choice.report())
    assert list(primary.backend.list("locks/")) == []  # the lock taken on failover is released


def test_failover_finds_files_in_a_replica_with_its_own_keys(tmp_path: Path) -> None:
    primary = Repository.init(str(tmp_path / "p"), password=PASSWORD)
    with primary.writer() as w:
        w.commit(snapshot({"code": w.put_file(_zip(3))}))
    other = Repository.init(str(tmp_path / "o"), password=PASSWORD)
    copy(primary, other, ["latest"])  # file by file: other chunk ids, other FileRefs

    def open_(u: str) -> Repository:
        return Repository.open(u, password=PASSWORD)

    choice = choose_replica([primary.url, other.url], "latest", open_)
    snap = choice.reader.load_snapshot(choice.snapshot_id)
    for pack in Path(primary.url, "data").rglob("*"):
        if pack.is_file():
            pack.unlink()  # the primary loses its data after the plan was read
    assert choice.reader.read_file(snap.files["code"]) == _zip(3)
    assert choice.reader.used.url == other.url


def test_copy_to_several_replicas_one_failing(estate: tuple, link: LinkProxy, tmp_path: Path) -> None:
    primary, ids, url, open_ = estate
    local = Repository.init(str(tmp_path / "edge"), password=PASSWORD, copy_of=primary)
    s3 = open_(url)
    link.down = True
    results = {r.url: r for r in copy_to_replicas(primary, [s3, local], ids)}
    assert results[local.url].result is not None and list(results[local.url].result.copied) == ids
    assert results[url].error is not None and "gave up" in results[url].error
    link.down = False
    again = {r.url: r for r in copy_to_replicas(primary, [s3, local], ids)}
    assert again[local.url].result is not None and again[local.url].result.skipped == ids
    assert again[url].result is not None and list(again[url].result.copied) == ids
