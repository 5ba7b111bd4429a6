"""Which snapshots a retention policy keeps: a pure function, tested against a calendar.

Semantics follow restic's `forget`: snapshots are walked newest first; `last` keeps the N newest;
each calendar rule (hourly … yearly) keeps the newest snapshot of each of the N most recent periods
that have one; `within` keeps everything younger than the duration. Periods are computed in UTC.
Unlike restic, `within` counts back from `now`, so one safety rule applies: a policy never removes
every snapshot; if nothing else matched, the newest is kept.

`plan_forget` applies a policy per group (restic's `--group-by`, here over scope, host and tags),
adds snapshots named by id, and guards against mass deletion: within a group, the newest snapshot
older than one tagged `anomaly` is always kept unless named.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from ..errors import UsageError
from .models import ANOMALY_TAG, STATUS_TAGS, SnapshotInfo

Period = Callable[[datetime], tuple[int, ...]]

_PERIODS: list[tuple[str, Period]] = [
    ("hourly", lambda t: (t.year, t.month, t.day, t.hour)),
    ("daily", lambda t: (t.year, t.month, t.day)),
    ("weekly", lambda t: tuple(t.isocalendar()[:2])),
    ("monthly", lambda t: (t.year, t.month)),
    ("yearly", lambda t: (t.year,)),
]


@dataclass(frozen=True)
class Rules:
    last: int = 0
    hourly: int = 0
    daily: int = 0
    weekly: int = 0
    monthly: int = 0
    yearly: int = 0
    within: timedelta | None = None

    def empty(self) -> bool:
        counts = (self.last, self.hourly, self.daily, self.weekly, self.monthly, self.yearly)
        return not any(counts) and not self.within


def parse_duration(text: str) -> timedelta:
    """restic-style durations: '7d', '12h', '2w', '6m' (months of 30 days), '1y6m'."""
    units = {"y": 365 * 24, "m": 30 * 24, "w": 7 * 24, "d": 24, "h": 1}
    compact = re.sub(r"\s", "", text.lower())
    if not compact or not re.fullmatch(r"(\d+[ymwdh])+", compact):
        raise UsageError(f"bad duration {text!r} (examples: 7d, 12h, 2w, 6m, 1y6m)")
    return timedelta(hours=sum(int(n) * units[u] for n, u in re.findall(r"(\d+)([ymwdh])", compact)))


def apply_policy(
    snapshots: Sequence[SnapshotInfo], rules: Rules, now: datetime
) -> tuple[list[SnapshotInfo], list[SnapshotInfo], dict[str, list[str]]]:
    """(keep, remove, reasons) — reasons maps each kept snapshot id to why it was kept."""
    if rules.empty():
        raise UsageError("no retention rule given (e.g. --keep-daily 7); refusing to forget everything")
    newest_first = sorted(snapshots, key=lambda s: (s.time, s.id), reverse=True)
    reasons: dict[str, list[str]] = {}
    for i, snap in enumerate(newest_first):
        if i < rules.last:
            reasons.setdefault(snap.id, []).append("last snapshot")
        if rules.within is not None and now - snap.time <= rules.within:
            reasons.setdefault(snap.id, []).append(f"within {rules.within}")
    for name, period in _PERIODS:
        left, previous = getattr(rules, name), None
        for snap in newest_first:
            if left <= 0:
                break
            value = period(snap.time.astimezone(UTC))
            if value != previous:
                reasons.setdefault(snap.id, []).append(f"{name} snapshot")
                previous, left = value, left - 1
    if newest_first and not reasons:
        reasons[newest_first[0].id] = ["newest snapshot (a policy never removes every snapshot)"]
    keep = [s for s in newest_first if s.id in reasons]
    remove = [s for s in newest_first if s.id not in reasons]
    return keep, remove, reasons


# -- forget: groups, named snapshots, the anomaly guard ------------------------------------------

GROUP_FIELDS = ("host", "scope", "tags")
DEFAULT_GROUP_BY = ("scope", "tags")
GroupKey = tuple[tuple[str, Any], ...]


@dataclass
class ForgetPlan:
    keep: list[SnapshotInfo] = field(default_factory=list)
    remove: list[SnapshotInfo] = field(default_factory=list)
    reasons: dict[str, list[str]] = field(default_factory=dict)  # kept id -> why
    groups: dict[str, GroupKey] = field(default_factory=dict)  # id -> its group


_GROUP_ALIASES = {"host": "host", "hosts": "host", "scope": "scope", "scopes": "scope", "tag": "tags", "tags": "tags"}


def parse_group_by(text: str) -> tuple[str, ...]:
    """'scope,tags' -> ('scope', 'tags'); '' -> () (one group); 'tag'/'hosts' are accepted too."""
    fields = set()
    for part in (p.strip().lower() for p in text.split(",")):
        if not part:
            continue
        if part not in _GROUP_ALIASES:
            raise UsageError(f"--group-by {part!r}: use any of {', '.join(GROUP_FIELDS)} (comma-separated), or ''")
        fields.add(_GROUP_ALIASES[part])
    return tuple(sorted(fields))


def group_key(snap: SnapshotInfo, group_by: Sequence[str]) -> GroupKey:
    """What puts snapshots in one series. Status tags describe one run, not a series, so they never
    split a group; a snapshot without a scope (older, or copied) is in scope ""."""
    values: dict[str, Any] = {
        "host": snap.host,
        "scope": str(snap.summary.get("scope") or ""),
        "tags": tuple(sorted(set(snap.tags) - STATUS_TAGS)),
    }
    return tuple((name, values[name]) for name in group_by)


def plan_forget(snapshots: Sequence[SnapshotInfo], rules: Rules | None, now: datetime, *,
                group_by: Sequence[str] = DEFAULT_GROUP_BY, named: Collection[str] = ()) -> ForgetPlan:
    """Which snapshots go: those `named` (full ids), and per group those `rules` do not keep.

    Without rules only the named ones go and the rest is left out of the plan altogether."""
    has_rules = rules is not None and not rules.empty()
    if not has_rules and not named:
        raise UsageError("no retention rule given (e.g. --keep-daily 7); refusing to forget everything")
    plan = ForgetPlan()
    groups: dict[GroupKey, list[SnapshotInfo]] = {}
    for snap in snapshots:
        key = group_key(snap, group_by)
        plan.groups[snap.id] = key
        groups.setdefault(key, []).append(snap)
    for group in groups.values():
        plan.remove += [s for s in group if s.id in named]
        if rules is None or not has_rules:
            continue
        keep, remove, reasons = apply_policy([s for s in group if s.id not in named], rules, now)
        for snap, anomaly in _last_before_anomalies(group, named):
            reasons.setdefault(snap.id, []).append(f"last before anomaly {anomaly.id[:8]}")
            if snap in remove:
                remove.remove(snap)
                keep.append(snap)
        plan.keep += keep
        plan.remove += remove
        plan.reasons.update(reasons)
    return plan


def _last_before_anomalies(group: Sequence[SnapshotInfo], named: Collection[str]
                           ) -> list[tuple[SnapshotInfo, SnapshotInfo]]:
    """(snapshot to keep, anomaly) pairs: for each anomaly, the newest snapshot before it that is not an
    anomaly itself, the last state of the estate before it shrank. A named one is not replaced."""
    ordered = sorted(group, key=lambda s: (s.time, s.id))
    pairs = []
    for i, snap in enumerate(ordered):
        if ANOMALY_TAG not in snap.tags:
            continue
        before = next((s for s in reversed(ordered[:i]) if ANOMALY_TAG not in s.tags), None)
        if before is not None and before.id not in named:
            pairs.append((before, snap))
    return pairs
