"""copy: snapshots from one repository to another; only data missing there travels.

Two ways, chosen by the keys:
- **packs** (copy_packs.py): the destination was made with `init --from-repo SRC`, so it shares the
  source's master key and chunker: chunk ids mean the same in both, packs move byte for byte, and
  an interrupted copy resumes from what arrived (pack names, unfinished multipart uploads).
- **files** (copy_files.py): independent repositories; files are re-chunked through the
  destination's writer.

Either way a snapshot is committed in the destination only once all its data is there, and one
whose `original` (or id) the destination already holds is skipped: the same snapshot has the same
`original` in every copy.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .copy_files import copy_files
from .copy_packs import copy_packs
from .repo import Repository

Progress = Callable[[str, int, int], None]
# Uploads at once to one destination. One by default: an interrupted copy then sends again less than
# one pack (what was in flight); more connections fill long fat links better but put that many
# packs in flight (`copy --connections`).
CONNECTIONS = 1


@dataclass
class CopyResult:
    copied: dict[str, str] = field(default_factory=dict)  # source id -> destination id
    skipped: list[str] = field(default_factory=list)  # already there
    mode: str = "packs"  # or "files" (independent keys)
    files_reused: int = 0
    files_sent: int = 0
    packs_sent: int = 0  # moved as they are
    packs_found: int = 0  # already in the destination: an interrupted copy sent them
    chunks_sent: int = 0  # moved out of packs the destination needs only part of
    bytes_added: int = 0  # stored bytes the destination gained
    bytes_sent: int = 0  # bytes that went over the wire to the destination (retries included)
    errors: dict[str, str] = field(default_factory=dict)  # source snapshot id -> why it was not copied

    @property
    def partial(self) -> bool:
        return bool(self.errors)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def same_keys(src: Repository, dst: Repository) -> bool:
    """Whether `dst` was made as a copy of `src` (or the other way): packs can move as they are."""
    return src.key == dst.key


def copy(src: Repository, dst: Repository, refs: Sequence[str], *, progress: Progress | None = None,
         connections: int = CONNECTIONS) -> CopyResult:
    """Copy snapshots `refs` of `src` into `dst`; `connections`: uploads at once (packs mode)."""
    result = CopyResult(mode="packs" if same_keys(src, dst) else "files")
    stats = getattr(dst.backend, "stats", None)
    sent_before = stats.bytes_up if stats is not None else 0
    with src.lock():
        infos = {s.id: s for s in src.snapshots()}
        ids = list(dict.fromkeys(src.resolve(r) for r in refs))
        ids.sort(key=lambda i: (infos[i].time.timestamp() if i in infos else 0.0, i))  # parents first
        dst_infos = dst.snapshots()
        present = {s.original or s.id for s in dst_infos}
        todo = []
        for snap_id in ids:
            info = infos.get(snap_id)
            if ((info.original if info else None) or snap_id) in present:
                result.skipped.append(snap_id)
            else:
                todo.append(snap_id)
        if todo:
            if result.mode == "packs":
                copy_packs(src, dst, todo, result, progress, connections, dst_infos)
            else:
                copy_files(src, dst, todo, result, progress)
    if stats is not None:
        result.bytes_sent = stats.bytes_up - sent_before
    return result
