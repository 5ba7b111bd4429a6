"""check: structure (every referenced chunk indexed, every indexed pack present and long enough)
and, with read_data, every pack re-hashed and every chunk decrypted and re-identified.

Nothing is modified. Errors name the object (`data/ab/ab…`, `snapshots/…`, `index/…`); problems
that are harmless by design (an unindexed pack left by a killed run) are warnings. Every failure
is one error and the walk goes on: a damaged repository gets the whole list in one run.
"""

from __future__ import annotations

import hashlib
import math
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from ..errors import IntegrityError, RepositoryError, UsageError
from .index import Entry, Index, load_index, pack_id_of, pack_name
from .packfile import header_of
from .refs import RefWalker
from .repo import Repository

Progress = Callable[[str, int, int], None]  # (phase, done, total)
_MAX_PER_SNAPSHOT = 20  # missing-chunk messages per snapshot before summarising


@dataclass
class CheckResult:
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    snapshots: int = 0
    packs: int = 0
    packs_read: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        read = f", {self.packs_read} read" if self.packs_read else ""
        found = f"{len(self.errors)} errors" if self.errors else "no errors"
        warned = f", {len(self.warnings)} warnings" if self.warnings else ""
        return f"{self.snapshots} snapshots, {self.packs} packs{read}: {found}{warned}"


def parse_subset(subset: str, n_packs: int, ids: list[str]) -> list[str]:
    """'10%' picks that share of packs at random; 'i/n' picks the i-th of n deterministic groups."""
    if m := re.fullmatch(r"(\d+(?:\.\d+)?)%", subset.strip()):
        share = float(m.group(1)) / 100
        if not 0 < share <= 1:
            raise UsageError(f"--read-data-subset {subset!r}: give a percentage in (0, 100]")
        return random.sample(ids, min(len(ids), max(1, math.ceil(share * n_packs))))
    if m := re.fullmatch(r"(\d+)/(\d+)", subset.strip()):
        i, n = int(m.group(1)), int(m.group(2))
        if not 1 <= i <= n:
            raise UsageError(f"--read-data-subset {subset!r}: i/n needs 1 <= i <= n")
        return [p for p in ids if int(p[:2], 16) % n == i - 1]
    raise UsageError(f"--read-data-subset {subset!r}: use a percentage (10%) or a group (1/5)")


def check(repo: Repository, read_data: bool = False, subset: str | None = None,
          progress: Progress | None = None) -> CheckResult:
    result = CheckResult()
    with repo.lock():
        index = load_index(repo.backend, repo.key, on_error=result.errors.append)
        repo._index = index
        stored = {pack_id_of(o.name): o.size for o in repo.backend.list("data/")}
        bad_packs = _check_packs(index, stored, result)
        _check_snapshots(repo, index, bad_packs, result, progress)
        for record_id in repo.record_ids("drills"):  # drill records hold no chunks: they must just open
            try:
                repo.load_record("drills", record_id)
            except RepositoryError as exc:
                result.errors.append(str(exc))
        if read_data or subset:
            ids = sorted(p for p in index.packs if p in stored)
            chosen = parse_subset(subset, len(ids), ids) if subset else ids
            for n, pack in enumerate(chosen, 1):
                try:
                    _read_pack(repo, pack, index.packs[pack], result)
                except RepositoryError as exc:  # gone since the listing, or the backend failed
                    result.errors.append(f"{pack_name(pack)}: cannot be read ({exc})")
                if progress:
                    progress("read data", n, len(chosen))
    return result


def _check_packs(index: Index, stored: dict[str, int], result: CheckResult) -> set[str]:
    bad: set[str] = set()
    result.packs = len(stored)
    index_damaged = bool(result.errors)  # only index files have been read so far
    for pack, entries in index.packs.items():
        need = max((o + n for _, o, n in entries), default=0)
        if pack not in stored:
            result.errors.append(f"{pack_name(pack)}: missing (the index lists {len(entries)} chunks in it)")
            bad.add(pack)
        elif stored[pack] < need:
            result.errors.append(f"{pack_name(pack)}: truncated ({stored[pack]} bytes, index needs {need})")
            bad.add(pack)
    why = ("an index file is damaged; `lambda-ark repair index` rebuilds it" if index_damaged
           else "left by an interrupted run; prune removes it")
    for pack in stored.keys() - index.packs.keys():
        result.warnings.append(f"{pack_name(pack)}: not in the index ({why})")
    return bad


def _check_snapshots(repo: Repository, index: Index, bad_packs: set[str], result: CheckResult,
                     progress: Progress | None) -> None:
    ids = repo.snapshot_ids()
    result.snapshots = len(ids)
    for n, snap_id in enumerate(ids, 1):
        reported: list[str] = []
        walker = RefWalker(repo, on_error=reported.append)
        walker.add_snapshot(snap_id)
        result.errors.extend(reported)
        problems = []
        for chunk in sorted(walker.chunks):
            if any(chunk in msg for msg in reported):
                continue  # already named by the walk (an unreadable tree or recipe)
            locs = index.lookup(chunk)
            if not locs:
                problems.append(f"chunk {chunk} is not in the index")
            elif all(loc.pack in bad_packs for loc in locs):
                problems.append(f"chunk {chunk} is in damaged pack {pack_name(locs[0].pack)}")
        for msg in problems[:_MAX_PER_SNAPSHOT]:
            result.errors.append(f"snapshots/{snap_id}: {msg}")
        if len(problems) > _MAX_PER_SNAPSHOT:
            result.errors.append(f"snapshots/{snap_id}: {len(problems) - _MAX_PER_SNAPSHOT} more chunks missing")
        if progress:
            progress("snapshots", n, len(ids))


def _read_pack(repo: Repository, pack: str, entries: list[Entry], result: CheckResult) -> None:
    name = pack_name(pack)
    data = memoryview(repo.backend.get(name))
    result.packs_read += 1
    if hashlib.sha256(data).hexdigest() != pack:
        result.errors.append(f"{name}: content does not match its name (corrupted or truncated)")
    try:
        header = set(header_of(repo.key, data, name))
        if missing := [chunk for chunk, off, length in entries if (chunk, off, length) not in header]:
            result.errors.append(f"{name}: pack header does not list {len(missing)} chunks the index gives it "
                                 f"(e.g. {missing[0]})")
    except IntegrityError as exc:
        if repo.bound_names:  # format 2 writes a header on every pack; format 1 packs have none
            result.errors.append(f"{exc}; `lambda-ark repair index` could not rebuild its entries")
    for chunk, off, length in entries:
        if off + length > len(data):
            result.errors.append(f"{name} chunk {chunk}: beyond the end of the pack")
            continue
        try:
            plain = repo.key.open(data[off : off + length], "chunk", f"{name} chunk {chunk}")
            if repo.key.id(plain) != chunk:
                result.errors.append(f"{name} chunk {chunk}: content does not match its id")
        except IntegrityError as exc:
            result.errors.append(str(exc))
