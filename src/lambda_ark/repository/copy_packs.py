"""copy between a repository and its replicas (made with `init --from-repo`): packs move as they are.

A replica shares its source's master key and chunker parameters, so a chunk has the same id in
both and a sealed chunk opens in both. For each snapshot to copy, the chunks it references are
collected from the source (tree and zip recipes, which are small); those the destination lacks are
grouped by the source pack holding them:

- every chunk of the pack is wanted: the pack is sent byte for byte under its own name (the
  SHA-256 of its bytes, checked on the way), with its index entries taken from the source's index;
- only some are wanted (the destination has the rest, or they are garbage in the source): just
  those chunks are sent, still sealed, in new packs of the destination;
- a pack the destination already holds under the same name (an interrupted copy sent it, its
  index file never followed) is adopted without being sent again.

Resuming costs nothing extra: a re-run lists what the destination holds and sends only the rest.
At most the packs in flight when the link dropped are sent again, and packs above the multipart
threshold not even those: their upload resumes from the last stored part. A snapshot is written
(last, one atomic put) only after every pack it needs is stored and indexed.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..errors import IntegrityError
from ..parallel import parallel_map
from .backends import NotFound
from .index import Entry, Index, pack_id_of, pack_name, save_index
from .models import FileRef, Snapshot, SnapshotInfo
from .refs import RefWalker
from .repo import Repository

if TYPE_CHECKING:
    from .copy import CopyResult, Progress
    from .writer import Writer

# Index entries of packs moved as they are go up in one index file per this many packs (and before
# each snapshot): one small PUT per pack would double the requests on a high-latency link.
INDEX_EVERY = 16
# Packs uploaded (in parallel) before the snapshots needing them are committed.
BATCH_PACKS = 32


@dataclass
class PackPlan:
    """What copying some snapshots into a replica sends (copy_packs), or would send (replicas lag)."""

    needs: dict[str, set[str]] = field(default_factory=dict)  # source snapshot id -> chunks it references
    whole: dict[str, list[Entry]] = field(default_factory=dict)  # source pack -> entries: sent as it is
    found: dict[str, list[Entry]] = field(default_factory=dict)  # already in the destination by name
    partial: dict[str, list[Entry]] = field(default_factory=dict)  # source pack -> the entries to send
    errors: dict[str, str] = field(default_factory=dict)  # source snapshot id -> why it cannot be copied

    @property
    def bytes(self) -> int:
        packs = sum(sum(n for _, _, n in es) for es in self.whole.values())
        return packs + sum(sum(n for _, _, n in es) for es in self.partial.values())

    def packs_for(self, snap_id: str, chunk_pack: dict[str, str]) -> set[str]:
        return {chunk_pack[c] for c in self.needs.get(snap_id, ()) if c in chunk_pack}


def plan_packs(src: Repository, dst: Repository, ids: list[str], has: set[str] | None = None
               ) -> tuple[PackPlan, dict[str, str]]:
    """Decide, for snapshots `ids` of `src`, which packs and chunks `dst` needs. `has`: chunks
    `dst` holds (default: its index, limited to packs it still stores). Also returns, for each
    chunk to send, the source pack it comes from."""
    plan = PackPlan()
    index = src.index(refresh=True)
    src_packs = {pack_id_of(o.name): o.size for o in src.backend.list("data/")}
    dst_sizes = {pack_id_of(o.name): o.size for o in dst.backend.list("data/")}
    if has is None:
        dst_index = dst.index(refresh=True)
        has = {c for c, locs in dst_index.chunks.items() if any(loc.pack in dst_sizes for loc in locs)}
    walker = RefWalker(src)  # one walker: zip recipes shared between snapshots are read once
    for snap_id in ids:
        walker.chunks = set()
        try:
            walker.add_snapshot(snap_id)
        except IntegrityError as exc:
            plan.errors[snap_id] = str(exc)
        plan.needs[snap_id] = walker.chunks
    wanted = set().union(*plan.needs.values()) - has
    chunk_pack: dict[str, str] = {}
    for chunk in wanted:
        locs = [loc for loc in index.lookup(chunk) if loc.pack in src_packs]
        if locs:
            chunk_pack[chunk] = locs[0].pack
        else:
            for snap_id, needs in plan.needs.items():
                if chunk in needs:
                    plan.errors.setdefault(snap_id, f"chunk {chunk} is in no stored pack of {src.url}")
    by_pack: dict[str, set[str]] = {}
    for chunk, pack in chunk_pack.items():
        by_pack.setdefault(pack, set()).add(chunk)
    verbatim_ok = src.bound_names or not dst.bound_names  # format-1 packs lack the headers format 2 wants
    for pack, chunks in by_pack.items():
        entries = index.packs[pack]
        if verbatim_ok and {c for c, _, _ in entries} == chunks:
            if dst_sizes.get(pack) == src_packs[pack]:  # the same name and size: the same bytes, arrived
                plan.found[pack] = entries
            else:
                plan.whole[pack] = entries
        else:
            plan.partial[pack] = [e for e in entries if e[0] in chunks]
    return plan, chunk_pack


class _Mover:
    """Sends packs and chunks of a plan into the destination's writer, indexing moved packs in batches."""

    def __init__(self, src: Repository, dst: Repository, writer: Writer, result: CopyResult) -> None:
        self.src, self.dst, self.writer, self.result = src, dst, writer, result
        self._pending: dict[str, list[Entry]] = {}
        self._lock = threading.Lock()

    def adopt(self, pack: str, entries: list[Entry]) -> None:
        self.writer.packer.adopt(pack, entries)
        with self._lock:
            self._pending[pack] = entries
            self.result.packs_found += 1

    def whole(self, pack: str, entries: list[Entry]) -> None:
        name = pack_name(pack)
        data = self.src.backend.get(name)
        if hashlib.sha256(data).hexdigest() != pack:
            raise IntegrityError(f"{name} in {self.src.url}: content does not match its name (not copied)")
        self.dst.backend.put(name, data)
        self.writer.packer.adopt(pack, entries)
        with self._lock:
            self._pending[pack] = entries
            self.result.packs_sent += 1
            self.result.bytes_added += len(data)
            due = len(self._pending) >= INDEX_EVERY
        if due:
            self.flush_index()

    def partial(self, pack: str, entries: list[Entry]) -> None:
        name = pack_name(pack)
        start = min(o for _, o, _ in entries)
        end = max(o + n for _, o, n in entries)
        data = memoryview(self.src.backend.get(name, start, end - start))
        if len(data) < end - start:
            raise IntegrityError(f"{name} in {self.src.url}: truncated")
        key = self.src.key
        for chunk, off, length in entries:
            sealed = bytes(data[off - start : off - start + length])
            if key.id(key.open(sealed, "chunk", f"{name} chunk {chunk}")) != chunk:  # verify, as prune does
                raise IntegrityError(f"{name} chunk {chunk} in {self.src.url}: content does not match its id")
            self.writer.packer.add(chunk, sealed)
            with self._lock:
                self.result.chunks_sent += 1

    def flush_index(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, {}
        if not pending:
            return
        name, size = save_index(self.dst.backend, self.dst.key, pending, self.dst.bound_names)
        index: Index = self.writer.packer.index
        for pack, entries in pending.items():
            index.add_pack(pack, entries, name)
        with self._lock:
            self.result.bytes_added += size


def copy_packs(src: Repository, dst: Repository, ids: list[str], result: CopyResult,
               progress: Progress | None, connections: int = 1, dst_infos: list[SnapshotInfo] | None = None) -> None:
    with dst.writer() as writer:
        plan, chunk_pack = plan_packs(src, dst, ids, has={c for c in _dst_chunks(dst) if writer.packer.has(c)})
        mover = _Mover(src, dst, writer, result)
        for pack, entries in plan.found.items():
            mover.adopt(pack, entries)
        originals = {s.original or s.id: s.id for s in (dst.snapshots() if dst_infos is None else dst_infos)}
        done: set[str] = set(plan.found)
        bad: dict[str, str] = {}  # source packs that failed to read or verify: their snapshots wait
        total = len(plan.whole) + len(plan.partial)
        added_before = writer.bytes_added
        committed = 0

        def move(pack: str) -> None:
            try:
                if pack in plan.whole:
                    mover.whole(pack, plan.whole[pack])
                else:
                    mover.partial(pack, plan.partial[pack])
            except (IntegrityError, NotFound) as exc:  # the source's fault; the destination's propagate
                bad[pack] = str(exc)

        for batch in _batches(ids, plan, chunk_pack, set(done)):
            todo = sorted({p for snap_id in batch for p in plan.packs_for(snap_id, chunk_pack)} - done - bad.keys())
            parallel_map(move, todo, max(1, connections))
            done.update(p for p in todo if p not in bad)
            if progress:
                progress("copy", len(done) - len(plan.found), total)
            writer.flush()
            mover.flush_index()
            for snap_id in batch:
                if failed := sorted(plan.packs_for(snap_id, chunk_pack) & bad.keys()):
                    plan.errors[snap_id] = bad[failed[0]]
                    continue
                snap = src.load_snapshot(snap_id)
                copy_ = Snapshot(time=snap.time, host=snap.host, tags=snap.tags,
                                 parent=originals.get(snap.parent or ""), summary=snap.summary, body=snap.body,
                                 files=_same(snap.files), original=snap.original or snap_id)
                result.copied[snap_id] = originals[copy_.original or snap_id] = writer.commit(copy_)
                committed += 1
                if progress:
                    progress("snapshots", committed, len(ids))
        mover.flush_index()
        result.bytes_added += writer.bytes_added - added_before
    result.errors.update(plan.errors)


def _batches(ids: list[str], plan: PackPlan, chunk_pack: dict[str, str], done: set[str]) -> list[list[str]]:
    """Snapshots in groups whose new packs go up together (BATCH_PACKS at least, but for the last):
    uploads run in parallel across snapshots, and each group is committed as soon as it is stored,
    so on a link that keeps failing the older snapshots become usable one group at a time."""
    batches: list[list[str]] = []
    current: list[str] = []
    seen, new = set(done), 0
    for snap_id in ids:
        if snap_id in plan.errors:
            continue
        current.append(snap_id)
        fresh = plan.packs_for(snap_id, chunk_pack) - seen
        seen |= fresh
        new += len(fresh)
        if new >= BATCH_PACKS:
            batches.append(current)
            current, new = [], 0
    return [*batches, current] if current else batches


def _dst_chunks(dst: Repository) -> set[str]:
    return set(dst.index().chunks)


def _same(files: dict[str, FileRef]) -> dict[str, FileRef]:
    return {k: v.model_copy() for k, v in files.items()}
