"""check: structure (every referenced chunk indexed, every indexed pack present and long enough)
and, with read_data, every pack re-hashed and every chunk decrypted and re-identified.

Nothing is modified. Errors name the object (`data/ab/ab…`, `snapshots/…`, `index/…`); problems
that are harmless by design (an unindexed pack left by a killed run) are warnings.
"""

from __future__ import annotations

import hashlib
import math
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from ..errors import IntegrityError, UsageError
from .index import Index, load_index, pack_id_of, pack_name
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
        if read_data or subset:
            ids = sorted(p for p in index.packs if p in stored)
            chosen = parse_subset(subset, len(ids), ids) if subset else ids
            _read_data(repo, index, chosen, result, progress)
    return result


def _check_packs(index: Index, stored: dict[str, int], result: CheckResult) -> set[str]:
    bad: set[str] = set()
    result.packs = len(stored)
    for pack, entries in index.packs.items():
        need = max((o + n for _, o, n in entries), default=0)
        if pack not in stored:
            result.errors.append(f"{pack_name(pack)}: missing (the index lists {len(entries)} chunks in it)")
            bad.add(pack)
        elif stored[pack] < need:
            result.errors.append(f"{pack_name(pack)}: truncated ({stored[pack]} bytes, index needs {need})")
            bad.add(pack)
    for pack in stored.keys() - index.packs.keys():
        result.warnings.append(f"{pack_name(pack)}: not in the index (left by an interrupted run; "
                               "prune removes it)")
    return bad


def _check_snapshots(repo: Repository, index: Index, bad_packs: set[str], result: CheckResult,
                     progress: Progress | None) -> None:
    ids = repo.snapshot_ids()
    result.snapshots = len(ids)
    for n, snap_id in enumerate(ids, 1):
        walker = RefWalker(repo, on_error=result.errors.append)
        walker.add_snapshot(snap_id)
        problems = []
        for chunk in sorted(walker.chunks):
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


def _read_data(repo: Repository, index: Index, packs: list[str], result: CheckResult,
               progress: Progress | None) -> None:
    for n, pack in enumerate(packs, 1):
        name = pack_name(pack)
        data = memoryview(repo.backend.get(name))
        if hashlib.sha256(data).hexdigest() != pack:
            result.errors.append(f"{name}: content does not match its name (corrupted or truncated)")
        for chunk, off, length in index.packs[pack]:
            if off + length > len(data):
                result.errors.append(f"{name} chunk {chunk}: beyond the end of the pack")
                continue
            try:
                plain = repo.key.open(data[off : off + length], "chunk", f"{name} chunk {chunk}")
                if repo.key.id(plain) != chunk:
                    result.errors.append(f"{name} chunk {chunk}: content does not match its id")
            except IntegrityError as exc:
                result.errors.append(str(exc))
        result.packs_read += 1
        if progress:
            progress("read data", n, len(packs))
