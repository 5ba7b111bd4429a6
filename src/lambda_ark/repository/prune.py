"""prune: delete data no snapshot references, under the exclusive lock.

Policy (documented in docs/repository-format.md): a pack none of whose chunks is referenced is
deleted; a partly used pack is repacked (its live chunks copied, still sealed, into new packs)
when at least REPACK_UNUSED of its bytes are unreferenced, and kept as is otherwise, which trades
a little space for not rewriting large packs over a few dead chunks. Packs no index lists (a run
killed between pack and index upload) are deleted. The index is then consolidated into one file.
Order makes every crash point safe: new packs and the new index are written before any old
index file is deleted, and old index files are deleted before any pack. Objects under S3 Object
Lock retention are never deleted (nor are packs an undeletable old index still lists).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from ..errors import IntegrityError, RepositoryError
from .backends import innermost
from .backends.multipart import Multipart
from .index import Entry, Index, load_index, pack_id_of, pack_name, save_index
from .refs import RefWalker
from .repo import Repository
from .writer import Packer

REPACK_UNUSED = 0.3
# Unfinished multipart uploads (a copy or backup killed for good) older than this are aborted; a
# younger one may still be resumed by the next copy of the same pack.
UPLOAD_STALE = timedelta(days=1)
Progress = Callable[[str, int, int], None]


@dataclass
class PruneResult:
    snapshots: int = 0
    packs_deleted: int = 0  # packs with no live chunk: deleted, unless listed in `retained`
    packs_repacked: int = 0
    packs_kept: int = 0
    orphans_deleted: int = 0
    bytes_freed: int = 0
    bytes_rewritten: int = 0
    retained: list[str] = field(default_factory=list)  # wanted gone, but under Object Lock
    uploads_aborted: int = 0  # unfinished multipart uploads older than UPLOAD_STALE
    dry_run: bool = False


def prune(repo: Repository, *, dry_run: bool = False, progress: Progress | None = None) -> PruneResult:
    result = PruneResult(dry_run=dry_run)
    with repo.lock(exclusive=True):
        walker = RefWalker(repo)  # any unreadable snapshot raises: never prune what we cannot see
        try:  # an unreadable index file would make its packs look unreferenced: refuse, never guess
            repo._index = index = load_index(repo.backend, repo.key)
        except RepositoryError as exc:
            raise IntegrityError(f"{exc}; prune refused: run `lambda-ark repair index` first") from exc
        ids = repo.snapshot_ids()
        for n, snap_id in enumerate(ids, 1):
            walker.add_snapshot(snap_id)
            if progress:
                progress("snapshots", n, len(ids))
        result.snapshots = len(ids)
        stored = {pack_id_of(o.name): o.size for o in repo.backend.list("data/")}
        missing = {c for c in walker.chunks if not any(loc.pack in stored for loc in index.lookup(c))}
        if missing:
            raise IntegrityError(f"{len(missing)} referenced chunks are not in any stored pack "
                                 f"(e.g. {sorted(missing)[0]}); run `lambda-ark check`, prune refused")
        keep, repack, drop = _classify(index, walker.chunks, stored)
        orphans = [p for p in stored if p not in index.packs]
        result.packs_kept, result.packs_repacked = len(keep), len(repack)
        result.packs_deleted, result.orphans_deleted = len(drop), len(orphans)
        result.bytes_freed = sum(stored.get(p, 0) for p in drop + orphans + list(repack))
        result.uploads_aborted = abort_stale_uploads(repo, dry_run=dry_run)
        if dry_run:
            return result
        new_index = Index()
        packer = Packer(repo, index=new_index)
        for n, (pack, live) in enumerate(repack.items(), 1):
            data = repo.backend.get(pack_name(pack))
            for chunk, off, length in live:
                sealed = data[off : off + length]
                repo.key.open(sealed, "chunk", f"{pack_name(pack)} chunk {chunk}")  # never copy corruption
                packer.add(chunk, sealed)
                result.bytes_rewritten += length
            if progress:
                progress("repack", n, len(repack))
        packer.flush()
        result.bytes_freed -= packer.bytes_added
        _finish(repo, index, keep, new_index, drop + orphans + list(repack), result, progress)
    return result


def abort_stale_uploads(repo: Repository, now: datetime | None = None, dry_run: bool = False) -> int:
    """Abort multipart uploads under data/ begun more than UPLOAD_STALE ago; returns how many."""
    store = innermost(repo.backend)
    if not isinstance(store, Multipart):
        return 0
    now = now or datetime.now(UTC)
    stale = [u for u in store.list_uploads("data/") if now - u.initiated > UPLOAD_STALE]
    if not dry_run:
        for upload in stale:
            store.abort_upload(upload.name, upload.upload_id)
    return len(stale)


def _classify(index: Index, used: set[str], stored: dict[str, int]
              ) -> tuple[list[str], dict[str, list[Entry]], list[str]]:
    keep: list[str] = []
    repack: dict[str, list[Entry]] = {}
    drop: list[str] = []
    claimed: set[str] = set()  # a chunk in two packs (after an interrupted prune) is kept once
    for pack, entries in sorted(index.packs.items(), key=lambda kv: -len(kv[1])):
        if pack not in stored:
            continue  # check reports it; nothing to delete
        live = [e for e in entries if e[0] in used and e[0] not in claimed]
        claimed.update(e[0] for e in live)
        total = sum(n for _, _, n in entries) or 1
        dead = total - sum(n for _, _, n in live)
        if not live:
            drop.append(pack)
        elif dead / total >= REPACK_UNUSED:
            repack[pack] = live
        else:
            keep.append(pack)
    return keep, repack, drop


def _finish(repo: Repository, index: Index, keep: list[str], new_index: Index, doomed: list[str],
            result: PruneResult, progress: Progress | None) -> None:
    backend = repo.backend
    written = set(new_index.files)
    if keep:
        name, _ = save_index(backend, repo.key, {p: index.packs[p] for p in keep}, repo.bound_names)
        written.add(name)
    protected: set[str] = set()
    for name, packs in index.files.items():
        if name in written:
            continue
        if backend.retained_until(name) is not None:
            result.retained.append(name)
            protected.update(packs)  # its entries must keep pointing at something
            continue
        backend.delete(name)
    for n, pack in enumerate(doomed, 1):
        name = pack_name(pack)
        if pack in protected or backend.retained_until(name) is not None:
            result.retained.append(name)
        else:
            backend.delete(name)
        if progress:
            progress("delete", n, len(doomed))
    repo._index = None
