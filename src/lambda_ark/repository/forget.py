"""forget: remove snapshots named by id, and those a retention policy does not keep (then, optionally, prune)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from .models import SnapshotInfo
from .policy import DEFAULT_GROUP_BY, GroupKey, Rules, plan_forget
from .repo import Repository


@dataclass
class ForgetResult:
    keep: list[SnapshotInfo] = field(default_factory=list)
    remove: list[SnapshotInfo] = field(default_factory=list)
    reasons: dict[str, list[str]] = field(default_factory=dict)
    groups: dict[str, GroupKey] = field(default_factory=dict)  # snapshot id -> its group
    unreadable: list[str] = field(default_factory=list)  # named snapshots whose header cannot be read
    removed: list[str] = field(default_factory=list)
    retained: dict[str, datetime] = field(default_factory=dict)  # Object Lock: could not remove yet
    dry_run: bool = False


def forget(repo: Repository, rules: Rules | None, *, ids: Sequence[str] = (), tags: Sequence[str] = (),
           group_by: Sequence[str] = DEFAULT_GROUP_BY, dry_run: bool = False,
           now: datetime | None = None) -> ForgetResult:
    """Remove the snapshots `ids` name (ids or unique prefixes) and, per group of snapshots (same
    scope and tags by default; see `plan_forget`), those `rules` do not keep. `tags` restricts the
    rules to snapshots carrying all of them. Grouping keeps one policy from eating another's history
    when several scopes share a repository."""
    now = now or datetime.now(UTC)
    result = ForgetResult(dry_run=dry_run)
    with repo.lock():
        named = list(dict.fromkeys(repo.resolve(ref) for ref in ids))
        listed = [s for s in repo.snapshots() if s.id in named or set(tags) <= set(s.tags)]
        plan = plan_forget(listed, rules, now, group_by=group_by, named=named)
        result.keep, result.remove, result.reasons, result.groups = plan.keep, plan.remove, plan.reasons, plan.groups
        # a snapshot whose header is unreadable is not listed, but may be forgotten by name
        result.unreadable = [i for i in named if i not in {s.id for s in listed}]
        if dry_run:
            return result
        for snap_id in [*(s.id for s in result.remove), *result.unreadable]:
            name = f"snapshots/{snap_id}"
            if (until := repo.backend.retained_until(name)) is not None:
                result.retained[snap_id] = until
                continue
            repo.backend.delete(name)
            result.removed.append(snap_id)
    return result
