"""Replicas of a repository: how far each is, how fast it answers, and copying to all of them.

A replica set is a list of repository URLs, the first being the primary (today from repeated
`--repo` / `--to-repo`; a policy file's `repositories: {primary, copies}` gives the same list).
Nothing here needs the replicas to agree on keys: a snapshot is the same snapshot in every copy
when its `original` (or, in the primary, its id) is the same.

    replica_status(urls, open_)        -> [ReplicaStatus]   reachability, latency, newest per scope, lag
    copy_to_replicas(src, dsts, refs)  -> [ReplicaCopy]     each replica on its own; one failing costs only it
    probe(repo)                        -> Probe             median latency of small reads, one throughput sample
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..errors import LambdaArkError, describe
from ..parallel import parallel_map
from .backends import innermost
from .copy import CONNECTIONS, CopyResult, Progress, copy, same_keys
from .copy_packs import plan_packs
from .models import SnapshotInfo
from .repo import Repository

Opener = Callable[[str], Repository]
SAMPLE_BYTES = 1024 * 1024  # one ranged read of a pack measures throughput
PACK_ESTIMATE = 8 * 1024 * 1024  # ranking compares the time to read one pack of the default size


@dataclass
class Probe:
    latency: float | None = None  # seconds: median of small reads
    throughput: float | None = None  # bytes/s of one larger read
    region: str | None = None  # the bucket's region; None for a local folder

    def seconds_per_pack(self) -> float:
        """What ranking compares: the time to fetch one pack (a read costs a round trip and the bytes)."""
        latency = self.latency if self.latency is not None else 1.0
        rate = self.throughput or 1.0e6
        return latency + PACK_ESTIMATE / rate

    def as_dict(self) -> dict[str, Any]:
        return {"latency_ms": None if self.latency is None else round(self.latency * 1000, 1),
                "throughput_bytes_per_second": None if self.throughput is None else round(self.throughput),
                "region": self.region}


def region_of(repo: Repository) -> str | None:
    return getattr(innermost(repo.backend), "region", None)


def probe(repo: Repository, samples: int = 5, clock: Callable[[], float] = time.perf_counter) -> Probe:
    """Latency: the median of `samples` reads of the config (a few hundred bytes). Throughput: one
    read of up to 1 MiB from a pack in one of a few randomly chosen pack folders."""
    backend = repo.backend
    took = []
    for _ in range(max(1, samples)):
        start = clock()
        backend.get("config")
        took.append(clock() - start)
    latency = statistics.median(took)
    result = Probe(latency=latency, region=region_of(repo))
    # A few pack folders at random (a listing of all is long in a big repository), then all of them.
    for prefix in [*(f"data/{n:02x}/" for n in random.sample(range(256), 4)), "data/"]:
        packs = sorted(backend.list(prefix), key=lambda o: -o.size)
        if packs:
            want = min(packs[0].size, SAMPLE_BYTES)
            start = clock()
            got = len(backend.get(packs[0].name, 0, want))
            spent = max(clock() - start - latency, 1e-6)  # the round trip is latency's, not throughput's
            result.throughput = got / spent
            break
    return result


@dataclass
class ScopeHead:
    """The newest snapshot of one backup scope (an account, regions and selection)."""

    scope: str
    id: str
    original: str
    time: str
    tags: list[str]
    functions: int | None

    @classmethod
    def of(cls, info: SnapshotInfo) -> ScopeHead:
        return cls(scope=str(info.summary.get("scope") or ""), id=info.id, original=info.original or info.id,
                   time=info.time.isoformat(), tags=list(info.tags), functions=info.summary.get("functions"))


@dataclass
class ReplicaStatus:
    url: str
    primary: bool
    reachable: bool = False
    error: str | None = None
    probe: Probe = field(default_factory=Probe)
    snapshots: int = 0
    newest: list[ScopeHead] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # primary snapshots (their original ids) not here
    bytes_missing: int | None = None
    exact: bool = True  # bytes_missing counted from packs (a replica by init --from-repo), else estimated
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"url": self.url, "primary": self.primary, "reachable": self.reachable, "error": self.error,
                **self.probe.as_dict(), "snapshots": self.snapshots,
                "newest": [h.__dict__ for h in self.newest],
                "lag": {"snapshots": len(self.missing), "missing": self.missing, "bytes": self.bytes_missing,
                        "exact": self.exact},
                "warnings": self.warnings}


def newest_per_scope(infos: list[SnapshotInfo]) -> list[ScopeHead]:
    heads: dict[str, SnapshotInfo] = {}
    for info in sorted(infos, key=lambda s: (s.time, s.id)):
        heads[str(info.summary.get("scope") or "")] = info
    return [ScopeHead.of(i) for i in sorted(heads.values(), key=lambda s: (s.time, s.id), reverse=True)]


def replica_status(urls: Sequence[str], open_: Opener, samples: int = 5) -> list[ReplicaStatus]:
    """Status of every replica; the first URL is the primary, and lag is counted against it."""

    def look(pair: tuple[int, str]) -> tuple[ReplicaStatus, Repository | None, list[SnapshotInfo]]:
        n, url = pair
        status = ReplicaStatus(url=url, primary=n == 0)
        try:
            repo = open_(url)
            status.probe = probe(repo, samples)
            infos = repo.snapshots()
        except LambdaArkError as exc:
            status.error = describe(exc)
            return status, None, []
        status.reachable, status.snapshots, status.newest = True, len(infos), newest_per_scope(infos)
        status.warnings = list(repo.warnings)
        return status, repo, infos

    looked = parallel_map(look, list(enumerate(urls)), max(1, len(urls)))
    primary, primary_repo, primary_infos = looked[0]
    if primary_repo is not None:
        for status, repo, infos in looked[1:]:
            if repo is not None:
                _lag(primary_repo, primary_infos, status, repo, infos)
    return [s for s, _, _ in looked]


def _lag(src: Repository, src_infos: list[SnapshotInfo], status: ReplicaStatus, dst: Repository,
         dst_infos: list[SnapshotInfo]) -> None:
    held = {i.original or i.id for i in dst_infos}
    missing = [i for i in src_infos if (i.original or i.id) not in held]
    status.missing = [i.original or i.id for i in missing]
    try:
        if not missing:
            status.bytes_missing = 0
        elif same_keys(src, dst):
            plan, _ = plan_packs(src, dst, [i.id for i in missing])
            status.bytes_missing = plan.bytes
        else:  # independent keys: files the replica holds none of, by SHA-256 (before dedup)
            status.exact = False
            have = {f.sha256 for i in dst_infos for f in dst.load_snapshot(i.id).files.values()}
            wanted = {f.sha256: f.size for i in missing for f in src.load_snapshot(i.id).files.values()}
            status.bytes_missing = sum(size for sha, size in wanted.items() if sha not in have)
    except LambdaArkError as exc:
        status.warnings.append(f"lag in bytes unknown: {describe(exc)}")


@dataclass
class ReplicaCopy:
    url: str
    result: CopyResult | None = None
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"url": self.url, "error": self.error, **(self.result.as_dict() if self.result else {})}


def copy_to_replicas(src: Repository, replicas: Sequence[Repository | str], refs: Sequence[str], *,
                     open_: Opener | None = None, connections: int = CONNECTIONS, progress: Progress | None = None
                     ) -> list[ReplicaCopy]:
    """Copy `refs` of `src` into every replica at once (each over its own link). Replicas given as
    URLs are opened with `open_`, each in its own worker. A replica that fails (cannot be opened,
    unreachable after retries) is reported and costs only itself; a re-run resumes it."""

    def one(replica: Repository | str) -> ReplicaCopy:
        url = replica if isinstance(replica, str) else replica.url
        try:
            if isinstance(replica, str):
                if open_ is None:
                    raise ValueError("copy_to_replicas: URLs need an opener")
                replica = open_(replica)
            return ReplicaCopy(url, result=copy(src, replica, refs, progress=progress, connections=connections))
        except LambdaArkError as exc:
            return ReplicaCopy(url, error=describe(exc))

    return parallel_map(one, list(replicas), max(1, len(replicas)))
