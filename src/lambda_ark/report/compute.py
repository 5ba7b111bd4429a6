"""The report's decisions, as pure functions of what was read (table-tested in tests/unit/test_report_compute.py).

Nothing here sees a recorded value: snapshots are reduced to function keys, trigger counts per kind
and byte counts before they get here (`SnapView`), so no environment variable can reach a report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

PARTIAL = "partial"


@dataclass
class SnapView:
    """One snapshot as the report sees it."""

    id: str
    time: datetime
    scope: str
    tags: list[str]
    stored_bytes: int  # what this run added to the repository
    functions: dict[str, dict[str, int]] | None = None  # key -> trigger kind -> entries; None: body not read
    logical_bytes: int | None = None  # the files it needs, deduplicated or not (None: not read)
    errors: int = 0

    @property
    def good(self) -> bool:
        return PARTIAL not in self.tags

    @property
    def job(self) -> str | None:
        return next((t.split(":", 1)[1] for t in self.tags if t.startswith("job:")), None)


@dataclass
class Targets:
    """RPO targets in seconds: per job (from --policy), else the default."""

    default: int
    jobs: dict[str, int] = field(default_factory=dict)

    def of(self, job: str | None) -> int:
        return self.jobs.get(job or "", self.default)


def newest_good(snaps: list[SnapView], at: datetime) -> dict[str, SnapView]:
    """Per function, the newest good snapshot holding it at or before `at`."""
    out: dict[str, SnapView] = {}
    for s in sorted(snaps, key=lambda s: s.time):
        if s.time <= at and s.good and s.functions is not None:
            for key in s.functions:
                out[key] = s
    return out


def function_rpo(snaps: list[SnapView], now: datetime, targets: Targets) -> list[dict[str, Any]]:
    """Each function's newest good snapshot age against its job's target, worst first. Only functions
    the estate still has (in the latest snapshot of their scope): a deleted function has no RPO."""
    current = {key for s in latest_per_scope(snaps) for key in s.functions or {}}
    rows = []
    for key, s in newest_good(snaps, now).items():
        if key not in current:
            continue
        age, target = (now - s.time).total_seconds(), targets.of(s.job)
        rows.append({"function": key, "job": s.job, "snapshot": s.id, "time": s.time.isoformat(),
                     "age_seconds": round(age), "target_seconds": target, "ratio": round(age / target, 3),
                     "ok": age <= target})
    return sorted(rows, key=lambda r: (-r["ratio"], r["function"]))


def rpo_heatmap(snaps: list[SnapView], now: datetime, targets: Targets, days: int = 14,
                limit: int = 40) -> dict[str, Any]:
    """Rows: the `limit` functions worst off now; columns: the end of each of the last `days` days;
    cells: age of the newest good snapshot then ÷ target (None: not protected yet)."""
    worst = [r["function"] for r in function_rpo(snaps, now, targets)[:limit]]
    ends = [now - timedelta(days=d) for d in range(days - 1, -1, -1)]
    matrix: list[list[float | None]] = []
    for key in worst:
        row: list[float | None] = []
        for end in ends:
            s = newest_good(snaps, end).get(key)
            row.append(None if s is None else round((end - s.time).total_seconds() / targets.of(s.job), 3))
        matrix.append(row)
    return {"functions": worst, "days": [e.date().isoformat() for e in ends], "ratio": matrix}


def job_rpo(snaps: list[SnapView], now: datetime, targets: Targets) -> list[dict[str, Any]]:
    """Per job (tag job:<name>; 'manual' for the rest), its newest good snapshot's age vs its target."""
    newest: dict[str, SnapView] = {}
    for s in sorted(snaps, key=lambda s: s.time):
        if s.good:
            newest[s.job or "manual"] = s
    jobs = set(targets.jobs) | set(newest)
    rows = []
    for job in sorted(jobs):
        last, target = newest.get(job), targets.of(job if job != "manual" else None)
        age = (now - last.time).total_seconds() if last else None
        rows.append({"job": job, "snapshot": last.id if last else None,
                     "age_seconds": round(age) if age is not None else None,
                     "target_seconds": target, "ok": age is not None and age <= target})
    return rows


def latest_per_scope(snaps: list[SnapView]) -> list[SnapView]:
    """The newest snapshot of each scope whose body was read: the estate as last recorded."""
    out: dict[str, SnapView] = {}
    for s in sorted(snaps, key=lambda s: s.time):
        if s.functions is not None:
            out[s.scope] = s
    return list(out.values())


def coverage(snaps: list[SnapView], discovered: dict[str, list[str]] | None) -> list[dict[str, Any]]:
    """Per account/region: functions protected (in the latest snapshot of a scope) and, when the
    estate was listed, discovered and never backed up (in no snapshot read)."""
    protected: dict[str, set[str]] = {}
    for s in latest_per_scope(snaps):
        for key in s.functions or {}:
            where, name = key.rsplit("/", 1)
            protected.setdefault(where, set()).add(name)
    ever = {key for s in snaps for key in (s.functions or {})}
    rows = []
    for where in sorted(set(protected) | set(discovered or {})):
        account, region = where.split("/", 1)
        found = set((discovered or {}).get(where, []))
        rows.append({"account": account, "region": region, "protected": len(protected.get(where, set())),
                     "discovered": len(found) if discovered is not None else None,
                     "never_backed_up": sorted(n for n in found if f"{where}/{n}" not in ever),
                     "unprotected": sorted(found - protected.get(where, set()))})
    return rows


def triggers_per_kind(snaps: list[SnapView]) -> dict[str, int]:
    out: dict[str, int] = {}
    for s in latest_per_scope(snaps):
        for kinds in (s.functions or {}).values():
            for kind, n in kinds.items():
                out[kind] = out.get(kind, 0) + n
    return dict(sorted(out.items()))


def lost_triggers(snaps: list[SnapView]) -> list[dict[str, Any]]:
    """Functions that had fewer trigger entries of a kind than in the previous snapshot of the same
    scope (a function that vanished is a deletion, not a lost trigger)."""
    by_scope: dict[str, list[SnapView]] = {}
    for s in sorted(snaps, key=lambda s: s.time):
        if s.functions is not None:
            by_scope.setdefault(s.scope, []).append(s)
    out = []
    for chain in by_scope.values():
        for a, b in zip(chain, chain[1:], strict=False):
            for key in sorted((a.functions or {}).keys() & (b.functions or {}).keys()):
                before, after = (a.functions or {})[key], (b.functions or {})[key]
                for kind in sorted(before):
                    if after.get(kind, 0) < before[kind]:
                        out.append({"function": key, "kind": kind, "before": before[kind], "after": after.get(kind, 0),
                                    "from": a.id, "to": b.id, "time": b.time.isoformat()})
    return out


def growth(snaps: list[SnapView]) -> list[dict[str, Any]]:
    """Per snapshot, oldest first: bytes stored so far (what runs added) and the logical bytes the
    snapshots read so far need (what storing each without deduplication would have cost)."""
    stored = logical = 0
    out = []
    for s in sorted(snaps, key=lambda s: s.time):
        stored += s.stored_bytes
        logical += s.logical_bytes or 0
        out.append({"time": s.time.isoformat(), "snapshot": s.id, "stored_total": stored, "logical_total": logical,
                    "logical": s.logical_bytes})
    return out
