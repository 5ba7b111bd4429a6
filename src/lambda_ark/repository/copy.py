"""copy: snapshots from one repository to another; only data missing there travels.

Chunk ids are keyed per repository, so the destination cannot be asked "do you have chunk X".
Instead files are matched by SHA-256 against the files the destination's snapshots already hold
(those are reused without reading the source at all); other files are read from the source and
put through the destination's writer, which uploads only chunks it lacks. After the commit each
copied snapshot is loaded back from the destination and every newly stored file re-read and
verified.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ..errors import IntegrityError
from .models import FileRef, Snapshot
from .repo import Repository

Progress = Callable[[str, int, int], None]


@dataclass
class CopyResult:
    copied: dict[str, str] = field(default_factory=dict)  # source id -> destination id
    skipped: list[str] = field(default_factory=list)  # already there
    files_reused: int = 0
    files_sent: int = 0
    bytes_added: int = 0


def copy(src: Repository, dst: Repository, refs: Sequence[str], *, progress: Progress | None = None
         ) -> CopyResult:
    result = CopyResult()
    with src.lock():
        ids = list(dict.fromkeys(src.resolve(r) for r in refs))
        present = {s.original or s.id for s in dst.snapshots()}
        known: dict[str, FileRef] = {}
        for info in dst.snapshots():
            known.update({f.sha256: f for f in dst.load_snapshot(info.id).files.values()})
        fresh: dict[str, FileRef] = {}
        with dst.writer() as writer:
            for n, snap_id in enumerate(ids, 1):
                snap = src.load_snapshot(snap_id)
                if (snap.original or snap_id) in present:
                    result.skipped.append(snap_id)
                    continue
                files: dict[str, FileRef] = {}
                for key, ref in snap.files.items():
                    if ref.sha256 in known:
                        files[key] = known[ref.sha256]
                        result.files_reused += 1
                    else:
                        files[key] = known[ref.sha256] = fresh[ref.sha256] = writer.put_file(src.read_file(ref))
                        result.files_sent += 1
                copy_ = Snapshot(time=snap.time, host=snap.host, tags=snap.tags,
                                 parent=result.copied.get(snap.parent or ""), summary=snap.summary,
                                 body=snap.body, files=files, original=snap.original or snap_id)
                result.copied[snap_id] = writer.commit(copy_)
                if progress:
                    progress("copy", n, len(ids))
            result.bytes_added = writer.bytes_added
        _verify(src, dst, result, fresh)
    return result


def _verify(src: Repository, dst: Repository, result: CopyResult, fresh: dict[str, FileRef]) -> None:
    dst.index(refresh=True)
    for src_id, dst_id in result.copied.items():
        copied = dst.load_snapshot(dst_id)
        if copied.body != src.load_snapshot(src_id).body:
            raise IntegrityError(f"copy of snapshot {src_id}: body differs in {dst.url}")
    for ref in fresh.values():
        dst.read_file(ref)  # raises IntegrityError naming the object if anything is off
