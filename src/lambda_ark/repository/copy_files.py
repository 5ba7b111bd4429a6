"""copy between repositories with different keys: file by file, through the destination's writer.

Chunk ids are keyed per repository, so the destination cannot be asked "do you have chunk X".
Instead files are matched by SHA-256 against the files the destination's snapshots already hold
(those are reused without reading the source at all); other files are read from the source and
put through the destination's writer, which uploads only chunks it lacks. That also makes it
resumable: packs uploaded before an interruption are indexed at once, so their chunks are not sent
again (the source is read again, though). After the commit each copied snapshot is loaded back
from the destination and every newly stored file re-read and verified.

Replicas made with `init --from-repo` share the source's keys and take the faster path in
copy_packs.py instead.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import IntegrityError
from .models import FileRef, Snapshot
from .repo import Repository

if TYPE_CHECKING:
    from .copy import CopyResult, Progress


def copy_files(src: Repository, dst: Repository, ids: list[str], result: CopyResult,
               progress: Progress | None) -> None:
    known: dict[str, FileRef] = {}
    originals: dict[str, str] = {}
    for info in dst.snapshots():
        originals[info.original or info.id] = info.id
        known.update({f.sha256: f for f in dst.load_snapshot(info.id).files.values()})
    fresh: dict[str, FileRef] = {}
    with dst.writer() as writer:
        for n, snap_id in enumerate(ids, 1):
            snap = src.load_snapshot(snap_id)
            files: dict[str, FileRef] = {}
            for key, ref in snap.files.items():
                if ref.sha256 in known:
                    files[key] = known[ref.sha256]
                    result.files_reused += 1
                else:
                    files[key] = known[ref.sha256] = fresh[ref.sha256] = writer.put_file(src.read_file(ref))
                    result.files_sent += 1
            parent = originals.get(snap.parent or "")
            copy_ = Snapshot(time=snap.time, host=snap.host, tags=snap.tags, parent=parent, summary=snap.summary,
                             body=snap.body, files=files, original=snap.original or snap_id)
            result.copied[snap_id] = originals[snap_id] = writer.commit(copy_)
            if progress:
                progress("copy", n, len(ids))
        result.bytes_added = writer.bytes_added
    _verify(src, dst, result, fresh)


def _verify(src: Repository, dst: Repository, result: CopyResult, fresh: dict[str, FileRef]) -> None:
    dst.index(refresh=True)
    for src_id, dst_id in result.copied.items():
        copied = dst.load_snapshot(dst_id)
        if copied.body != src.load_snapshot(src_id).body:
            raise IntegrityError(f"copy of snapshot {src_id}: body differs in {dst.url}")
    for ref in fresh.values():
        dst.read_file(ref)  # raises IntegrityError naming the object if anything is off
