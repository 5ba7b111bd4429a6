"""repair snapshots: rewrite each snapshot that references lost data without it, then forget the original.

Lost means a stored file (`Snapshot.files`) that cannot be rebuilt: a chunk no stored pack holds,
or one that fails to decrypt or verify. Every distinct file is read once. The body is opaque here,
so a hook decides what a body keeps without the lost files and returns notes saying what it
dropped; the rewritten snapshot keeps the original's time, host, tags and parent, gains the tag
`repaired` and `summary["repaired"]` (original id, dropped files, notes), and is committed before
the original is deleted (as restic's `repair snapshots --forget`). A snapshot whose header or
tree cannot be read has nothing to salvage: it is reported, and `forget ID` removes it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..errors import RepositoryError
from .models import REPAIRED_TAG, FileRef, Snapshot
from .repo import Repository
from .writer import Writer

# (body, keys of lost files) -> (body without them, notes on what was dropped)
Hook = Callable[[dict[str, Any], set[str]], tuple[dict[str, Any], list[str]]]
Progress = Callable[[str, int, int], None]


def keep_body(body: dict[str, Any], lost: set[str]) -> tuple[dict[str, Any], list[str]]:
    """The hook for bodies the caller knows nothing about: the body stays, the files go."""
    return body, [f"dropped file {key}" for key in sorted(lost)]


@dataclass
class SnapshotRepair:
    id: str
    time: datetime
    lost_files: list[str]
    notes: list[str]
    new_id: str | None = None  # None on a dry run
    removed: bool = False  # the original is gone (False: dry run, or retained)
    retained_until: datetime | None = None  # Object Lock kept the original


@dataclass
class RepairSnapshotsResult:
    checked: int = 0
    files_read: int = 0
    repaired: list[SnapshotRepair] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # snapshots with nothing to salvage
    dry_run: bool = False


def repair_snapshots(repo: Repository, hook: Hook = keep_body, *, dry_run: bool = False,
                     progress: Progress | None = None) -> RepairSnapshotsResult:
    result = RepairSnapshotsResult(dry_run=dry_run)
    with contextlib.ExitStack() as stack:
        writer = None if dry_run else stack.enter_context(repo.writer())  # the writer reloads the index
        if writer is None:
            stack.enter_context(repo.lock())
            repo.index(refresh=True)
        snaps = _load_all(repo, result)
        lost = _lost_files(repo, [ref for s in snaps for ref in s.files.values()], result, progress)
        for snap in snaps:
            gone = {key for key, ref in snap.files.items() if lost.get(_file_id(ref))}
            if gone:
                result.repaired.append(_repair(repo, writer, snap, gone, hook))
    return result


def _load_all(repo: Repository, result: RepairSnapshotsResult) -> list[Snapshot]:
    snaps = []
    for snap_id in sorted(repo.snapshot_ids()):
        result.checked += 1
        try:
            snaps.append(repo.load_snapshot(snap_id))
        except (RepositoryError, ValueError, KeyError, TypeError) as exc:
            result.errors.append(f"snapshots/{snap_id}: nothing to salvage, its header or tree is unreadable "
                                 f"({exc}); `lambda-ark forget {snap_id[:8]}` removes it")
    return snaps


def _file_id(ref: FileRef) -> str:
    return ref.model_dump_json()


def _lost_files(repo: Repository, refs: list[FileRef], result: RepairSnapshotsResult,
                progress: Progress | None) -> dict[str, bool]:
    distinct = {_file_id(ref): ref for ref in refs}
    result.files_read = len(distinct)

    def lost(ref: FileRef) -> bool:
        try:
            repo.read_file(ref)
        except RepositoryError:  # IntegrityError, NotFound (a pack is gone)
            return True
        return False

    verdicts: dict[str, bool] = {}
    with ThreadPoolExecutor(max_workers=4) as pool:
        for n, (fid, gone) in enumerate(zip(distinct, pool.map(lost, distinct.values()), strict=True), 1):
            verdicts[fid] = gone
            if progress:
                progress("read files", n, len(distinct))
    return verdicts


def _repair(repo: Repository, writer: Writer | None, snap: Snapshot, gone: set[str], hook: Hook) -> SnapshotRepair:
    body, notes = hook(snap.body, gone)
    done = SnapshotRepair(id=snap.id, time=snap.time, lost_files=sorted(gone), notes=notes)
    if writer is None:
        return done
    fixed = Snapshot(
        time=snap.time, host=snap.host, tags=sorted({*snap.tags, REPAIRED_TAG}), parent=snap.parent,
        summary=snap.summary | {"repaired": {"from": snap.id, "dropped_files": sorted(gone), "notes": notes}},
        body=body, files={k: v for k, v in snap.files.items() if k not in gone}, original=snap.original,
    )
    done.new_id = writer.commit(fixed)  # the repaired one first: the original goes only once it exists
    name = f"snapshots/{snap.id}"
    if (until := repo.backend.retained_until(name)) is not None:
        done.retained_until = until
    else:
        repo.backend.delete(name)
        done.removed = True
    return done
