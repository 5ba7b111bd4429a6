"""Which snapshots a retention policy keeps: a pure function, tested against a calendar.

Semantics follow restic's `forget`: snapshots are walked newest first; `last` keeps the N newest;
each calendar rule (hourly … yearly) keeps the newest snapshot of each of the N most recent periods
that have one; `within` keeps everything younger than the duration. Periods are computed in UTC.
Unlike restic, `within` counts back from `now`, so one safety rule applies: a policy never removes
every snapshot; if nothing else matched, the newest is kept.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ..errors import UsageError
from .models import SnapshotInfo

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
