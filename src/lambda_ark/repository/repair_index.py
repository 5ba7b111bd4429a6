"""repair index: rebuild the index from the packs themselves (their headers), under the exclusive lock.

Every stored pack is asked for its header. A pack without a readable header keeps the entries a
readable index file gives it (format-1 packs have no header; `migrate` gives them one); a pack
with neither is reported: nothing says what it holds. Entries of packs that are gone are dropped.
The new index files are written first and only then the old ones deleted, so a run killed at any
point leaves an index at least as complete as before (duplicates are harmless).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from ..errors import RepositoryError
from .index import Entry, load_index, pack_id_of, pack_name, save_index_files
from .packfile import read_header
from .repo import Repository

Progress = Callable[[str, int, int], None]


@dataclass
class RepairIndexResult:
    packs: int = 0  # stored packs
    from_headers: int = 0  # packs indexed from their own header
    from_index: int = 0  # format-1 packs indexed from a readable old index file
    dropped: int = 0  # packs the old index listed that are gone
    written: list[str] = field(default_factory=list)  # new index files
    removed: list[str] = field(default_factory=list)  # old index files deleted
    retained: list[str] = field(default_factory=list)  # old index files under Object Lock, kept
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # packs nothing describes


def repair_index(repo: Repository, *, progress: Progress | None = None) -> RepairIndexResult:
    result = RepairIndexResult()
    backend = repo.backend
    with repo.lock(exclusive=True):
        old_files = [o.name for o in backend.list("index/")]
        old = load_index(backend, repo.key, on_error=lambda msg: result.warnings.append(f"{msg}; ignored"))
        stored = {pack_id_of(o.name): o.size for o in backend.list("data/")}
        result.packs = len(stored)
        result.dropped = len(old.packs.keys() - stored.keys())

        def describe(item: tuple[str, int]) -> tuple[str, list[Entry] | None, str | None]:
            pack, size = item
            try:
                return pack, read_header(backend, repo.key, pack_name(pack), size), None
            except RepositoryError as exc:  # IntegrityError, or deleted since the listing
                return pack, None, str(exc)

        packs: dict[str, list[Entry]] = {}
        with ThreadPoolExecutor(max_workers=8) as pool:
            for n, (pack, entries, problem) in enumerate(pool.map(describe, sorted(stored.items())), 1):
                if entries is not None:
                    packs[pack] = entries
                    result.from_headers += 1
                elif pack in old.packs:
                    packs[pack] = old.packs[pack]
                    result.from_index += 1
                    if repo.bound_names:  # format 2 promises a header on every pack
                        result.warnings.append(f"{problem}; kept the entries an index file gives it")
                else:
                    result.errors.append(f"{problem}; no index file lists it either, so nothing says what it "
                                         "holds (a format-1 pack left by an interrupted run? prune removes it)")
                if progress:
                    progress("read headers", n, len(stored))
        result.written = save_index_files(backend, repo.key, packs, repo.bound_names)
        for name in old_files:
            if name in result.written:
                continue
            if backend.retained_until(name) is not None:
                result.retained.append(name)
            else:
                backend.delete(name)
                result.removed.append(name)
        repo._index = None
    if result.retained:
        result.warnings.append(f"{len(result.retained)} old index files are under Object Lock retention and stay")
    return result

