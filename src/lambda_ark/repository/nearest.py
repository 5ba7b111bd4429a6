"""Restore from the nearest copy: measure each replica, read from the fastest healthy one that holds
the snapshot, and fall back to the next when reads fail halfway.

    choice = choose_replica(urls, "latest", open_, prefer="eu-west-1")
    with choice.reader.lock():
        snap = choice.reader.load_snapshot(choice.snapshot_id)
        ... plan_restore(aws, choice.reader, snap, options) ...
    choice.report()        # which replica, its latency and throughput, and any fallback

A snapshot is the same in every copy when its `original` (or, in the primary, its id) is the same;
`latest` is the newest such snapshot any reachable replica holds. `rank` (pure) orders the healthy
candidates: those in the preferred region first (`--prefer`), then by the time one pack would take
to read (median latency + pack size / measured throughput).

`FailoverRepository` is a Repository whose reads fail over: a file that cannot be read from the
replica in use (unreachable after retries, a lost or damaged pack) is read from the next one, found
there by its SHA-256 in that replica's copy of the snapshot, so replicas need not share keys.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..errors import LambdaArkError, RepositoryError, SnapshotNotFound, describe
from ..parallel import parallel_map
from .locks import Lock
from .models import FileRef, Snapshot, SnapshotInfo
from .replicas import Opener, Probe, probe
from .repo import Repository


@dataclass
class Candidate:
    url: str
    repo: Repository | None = None
    error: str | None = None  # why it cannot serve (unreachable, lacks the snapshot)
    probe: Probe = field(default_factory=Probe)
    infos: list[SnapshotInfo] = field(default_factory=list)
    snapshot_id: str | None = None  # its own id of the chosen snapshot

    @property
    def region(self) -> str:
        return self.probe.region or "local"  # a folder (on site, at the edge) is "local" to --prefer

    def as_dict(self) -> dict[str, Any]:
        return {"url": self.url, "error": self.error, "snapshot": self.snapshot_id, **self.probe.as_dict()}

    def describe(self) -> str:
        where = self.region
        latency = "?" if self.probe.latency is None else f"{self.probe.latency * 1000:.0f} ms"
        rate = "?" if not self.probe.throughput else f"{self.probe.throughput / 1e6:.1f} MB/s"
        return f"{self.url} ({where}): latency {latency}, {rate}"


def rank(candidates: Sequence[Candidate], prefer: str | None = None) -> list[Candidate]:
    """Healthy candidates (reachable, holding the snapshot), best first: the preferred region, then
    the fastest to read a pack from. Ties keep the order given (the primary first)."""
    healthy = [c for c in candidates if c.repo is not None and c.error is None and c.snapshot_id]
    return sorted(healthy, key=lambda c: (0 if prefer and c.region == prefer else 1, c.probe.seconds_per_pack()))


def canonical(info: SnapshotInfo) -> str:
    return info.original or info.id


def resolve(candidates: Sequence[Candidate], ref: str) -> str:
    """The canonical id `ref` names among the reachable candidates' snapshots."""
    infos = [i for c in candidates for i in c.infos]
    if not infos:
        raise SnapshotNotFound("no reachable repository has snapshots")
    if ref == "latest":
        return canonical(max(infos, key=lambda i: (i.time, canonical(i))))
    matches = {canonical(i) for i in infos if ref and (i.id.startswith(ref) or canonical(i).startswith(ref))}
    if len(matches) == 1:
        return matches.pop()
    if not matches:
        raise SnapshotNotFound(f"no snapshot matches {ref!r} in any reachable repository")
    raise SnapshotNotFound(f"{ref!r} matches {len(matches)} snapshots; give more of the id")


@dataclass
class Choice:
    snapshot: str  # canonical id
    chosen: Candidate
    candidates: list[Candidate]  # every one asked, in the order given
    prefer: str | None
    reader: FailoverRepository

    @property
    def snapshot_id(self) -> str:
        return str(self.chosen.snapshot_id)

    def report(self) -> list[str]:
        """Lines for the restore report: the replica read, what was skipped and why, any fallback."""
        lines = [f"reading snapshot {self.snapshot[:8]} from {self.reader.used.describe()}"]
        if self.prefer and self.chosen.region != self.prefer:
            lines.append(f"no healthy replica in {self.prefer} holds it: chose the fastest instead")
        for c in self.candidates:
            if c.error:
                lines.append(f"skipped {c.url}: {c.error}")
        lines += self.reader.switches
        return lines

    def as_dict(self) -> dict[str, Any]:
        return {"snapshot": self.snapshot, "used": self.reader.used.as_dict(), "prefer": self.prefer,
                "candidates": [c.as_dict() for c in self.candidates], "fallbacks": self.reader.switches}


def choose_replica(urls: Sequence[str], ref: str, open_: Opener, *, prefer: str | None = None,
                   samples: int = 3) -> Choice:
    """Open and measure every repository in `urls`, resolve `ref`, pick the best that holds it."""

    def look(url: str) -> Candidate:
        cand = Candidate(url)
        try:
            cand.repo = open_(url)
            cand.probe = probe(cand.repo, samples)
            cand.infos = cand.repo.snapshots()
        except LambdaArkError as exc:
            cand.repo, cand.error = None, f"unreachable: {describe(exc)}"
        return cand

    candidates = parallel_map(look, list(urls), max(1, len(urls)))
    reachable = [c for c in candidates if c.repo is not None]
    if not reachable:
        raise RepositoryError("no repository is reachable: " + "; ".join(f"{c.url}: {c.error}" for c in candidates))
    wanted = resolve(reachable, ref)
    for c in reachable:
        held = [i.id for i in c.infos if canonical(i) == wanted]
        if held:
            c.snapshot_id = held[0]
        else:
            c.error = f"does not hold snapshot {wanted[:8]} (copy it there with `lambda-ark copy`)"
    ranked = rank(candidates, prefer)
    if not ranked:
        raise SnapshotNotFound(f"no reachable repository holds snapshot {wanted[:8]}")
    return Choice(snapshot=wanted, chosen=ranked[0], candidates=list(candidates), prefer=prefer,
                  reader=FailoverRepository(ranked))


class FailoverRepository(Repository):
    """Reads from the best replica; on a read that fails, goes on with the next one (see module doc)."""

    def __init__(self, ranked: list[Candidate]) -> None:
        first = ranked[0].repo
        assert first is not None
        super().__init__(first.backend, first.key, first.config, first.key_name, first.aws)
        self.ranked = ranked
        self.used = ranked[0]
        self.switches: list[str] = []
        self._origin = ranked[0]  # whose FileRefs load_snapshot handed out
        self._files: dict[str, dict[str, FileRef]] = {}
        self._locks: list[Lock] = []
        self._locking = False
        self._mutex = threading.RLock()

    def _repo(self, cand: Candidate) -> Repository:
        assert cand.repo is not None
        return cand.repo

    def _switch(self, failed: Candidate, exc: Exception) -> Candidate:
        """The next replica after `failed` (which just failed with `exc`), locked if we hold locks."""
        with self._mutex:
            if self.used is not failed:
                return self.used  # another thread switched already
            rest = self.ranked[self.ranked.index(failed) + 1:]
            for cand in rest:
                try:
                    if self._locking:
                        self._locks.append(self._repo(cand).lock())
                except LambdaArkError as lock_exc:
                    self.switches.append(f"cannot use {cand.url}: {describe(lock_exc)}")
                    continue
                self.switches.append(f"reads from {failed.url} failed ({describe(exc)}); "
                                     f"went on with {cand.describe()}")
                self.used = cand
                return cand
            raise exc

    def _translate(self, cand: Candidate, ref: FileRef) -> FileRef:
        if cand is self._origin:
            return ref
        if cand.url not in self._files:
            snap = self._repo(cand).load_snapshot(str(cand.snapshot_id))
            self._files[cand.url] = {f.sha256: f for f in snap.files.values()}
        try:
            return self._files[cand.url][ref.sha256]
        except KeyError:
            raise RepositoryError(f"{cand.url}: its copy of the snapshot lacks file {ref.sha256[:16]}") from None

    def read_file(self, ref: FileRef) -> bytes:
        cand = self.used
        while True:
            try:
                return self._repo(cand).read_file(self._translate(cand, ref))
            except RepositoryError as exc:  # unreachable (GaveUp), a lost or damaged pack, …
                cand = self._switch(cand, exc)

    def load_snapshot(self, ref: str) -> Snapshot:
        """The chosen snapshot as the replica in use holds it (`ref` is ignored: the choice is made)."""
        cand = self.used
        while True:
            try:
                snap = self._repo(cand).load_snapshot(str(cand.snapshot_id))
                self._origin = cand
                return snap
            except RepositoryError as exc:
                cand = self._switch(cand, exc)

    def lock(self, exclusive: bool = False) -> Lock:
        """A shared lock on the replica in use; replicas switched to are locked too, and all released
        together (a replica that went away keeps its lock until it goes stale)."""
        with self._mutex:
            self._locking = True
            self._locks.append(self._repo(self.used).lock(exclusive))
            return _Locks(self, exclusive)


class _Locks(Lock):
    """What `FailoverRepository.lock()` returns: held already; releases every lock the failover took."""

    def __init__(self, owner: FailoverRepository, exclusive: bool) -> None:
        super().__init__(owner.backend, exclusive)
        self.owner = owner

    def acquire(self) -> Lock:
        return self

    def __enter__(self) -> Lock:
        return self

    def check(self) -> None:
        self.owner._locks[-1].check()

    def release(self) -> None:
        with self.owner._mutex:
            locks, self.owner._locks = self.owner._locks, []
            self.owner._locking = False
        for lock in locks:
            try:
                lock.release()
            except LambdaArkError:
                pass  # that replica is gone; its lock goes stale there


__all__ = ["Candidate", "Choice", "FailoverRepository", "choose_replica", "rank", "resolve"]
