"""forget: remove snapshots a retention policy does not keep (then, optionally, prune)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from .models import SnapshotInfo
from .policy import Rules, apply_policy
from .repo import Repository


@dataclass
class ForgetResult:
    keep: list[SnapshotInfo] = field(default_factory=list)
    remove: list[SnapshotInfo] = field(default_factory=list)
    reasons: dict[str, list[str]] = field(default_factory=dict)
    removed: list[str] = field(default_factory=list)
    retained: dict[str, datetime] = field(default_factory=dict)  # Object Lock: could not remove yet
    dry_run: bool = False


def forget(repo: Repository, rules: Rules, *, tags: Sequence[str] = (), dry_run: bool = False,
           now: datetime | None = None) -> ForgetResult:
    """Apply `rules` to each group of snapshots with the same tags (only those carrying all `tags`).

    Grouping by tag set keeps one policy from eating another's history when several scopes
    (tagged differently) share a repository.
    """
    now = now or datetime.now(UTC)
    result = ForgetResult(dry_run=dry_run)
    with repo.lock():
        groups: dict[tuple[str, ...], list[SnapshotInfo]] = {}
        for snap in repo.snapshots():
            if set(tags) <= set(snap.tags):
                groups.setdefault(tuple(sorted(snap.tags)), []).append(snap)
        for group in groups.values():
            keep, remove, reasons = apply_policy(group, rules, now)
            result.keep += keep
            result.remove += remove
            result.reasons.update(reasons)
        if dry_run:
            return result
        for snap in result.remove:
            name = f"snapshots/{snap.id}"
            if (until := repo.backend.retained_until(name)) is not None:
                result.retained[snap.id] = until
                continue
            repo.backend.delete(name)
            result.removed.append(snap.id)
    return result
