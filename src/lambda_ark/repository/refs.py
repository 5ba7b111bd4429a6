"""Walking snapshots to the chunks they reference (prune, check and copy share this)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field

from ..errors import IntegrityError, RepositoryError
from .models import FileRef, SnapshotHeader
from .repo import Repository


@dataclass
class RefWalker:
    """Collects chunk ids per snapshot, reading each recipe (skeleton) once."""

    repo: Repository
    on_error: Callable[[str], None] | None = None
    chunks: set[str] = field(default_factory=set)
    _recipes: dict[str, list[str]] = field(default_factory=dict)

    def _fail(self, msg: str) -> None:
        if self.on_error is None:
            raise IntegrityError(msg)
        self.on_error(msg)

    def file_chunks(self, ref: FileRef) -> list[str]:
        if ref.layout == "cdc":
            return list(ref.chunks)
        skel = str(ref.skeleton)
        if skel not in self._recipes:
            recipe = self.repo.recipe(skel)
            self._recipes[skel] = [skel, *recipe["gap_chunks"], *(c for m in recipe["members"] for c in m)]
        return self._recipes[skel]

    def add_snapshot(self, snap_id: str) -> SnapshotHeader | None:
        """Add everything `snap_id` references; on error report it (or raise) and return None."""
        try:
            head = self.repo._header(snap_id)
            self.chunks.update(head.tree.chunks)
            tree = json.loads(self.repo.read_file(head.tree))
            for key, raw in tree["files"].items():
                try:
                    self.chunks.update(self.file_chunks(FileRef.model_validate(raw)))
                except (RepositoryError, ValueError, KeyError, TypeError) as exc:
                    self._fail(f"snapshots/{snap_id} file {key}: {exc}")
            return head
        except (RepositoryError, ValueError, KeyError, TypeError) as exc:  # NotFound: a pack is gone
            name = f"snapshots/{snap_id}"
            self._fail(str(exc) if str(exc).startswith(name) else f"{name}: {exc}")
            return None
