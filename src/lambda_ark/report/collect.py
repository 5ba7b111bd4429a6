"""Everything `lambda-ark report` shows, read from the repository (and, if asked, the live estate).

`build_report` returns `ReportData`: the JSON of `report --json` and what the HTML page draws.
Reading is bounded: snapshot headers all, bodies of the newest MAX_BODIES only (trees are
deduplicated, but each is still a read).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field, ValidationError

from ..audit import events, verify
from ..drill import drill_records
from ..errors import LambdaArkError, describe
from ..kinds import KINDS
from ..model import BackupBody
from ..parallel import parallel_map
from ..repository.models import ANOMALY_TAG, SnapshotInfo
from . import compute
from .compute import SnapView, Targets

if TYPE_CHECKING:
    from ..repository import Repository

MAX_BODIES = 120
# Kinds that wire a trigger to a function: those whose invokers the resource policy names, and the
# pollers and integrations that need no resource-policy statement.
TRIGGER_KINDS = frozenset({k.NAME for k in KINDS if hasattr(k, "INVOKERS")} | {"mappings", "pipes", "firehose",
                                                                              "cloudfront"})


class ReportData(BaseModel):
    generated: datetime
    repository: str
    snapshots: int
    window: dict[str, Any] = Field(default_factory=dict)  # how many bodies were read, from when
    coverage: list[dict[str, Any]] = Field(default_factory=list)
    rpo_functions: list[dict[str, Any]] = Field(default_factory=list)
    rpo_jobs: list[dict[str, Any]] = Field(default_factory=list)
    rpo_heatmap: dict[str, Any] = Field(default_factory=dict)
    growth: list[dict[str, Any]] = Field(default_factory=list)
    storage: dict[str, Any] = Field(default_factory=dict)
    drills: list[dict[str, Any]] = Field(default_factory=list)
    triggers: dict[str, int] = Field(default_factory=dict)
    lost_triggers: list[dict[str, Any]] = Field(default_factory=list)
    anomalies: list[dict[str, Any]] = Field(default_factory=list)
    failures: list[dict[str, Any]] = Field(default_factory=list)
    audit: dict[str, Any] = Field(default_factory=dict)
    warnings: list[str] = Field(default_factory=list)


def _trigger_counts(items: dict[str, Any]) -> dict[str, int]:
    out = {}
    for kind, value in items.items():
        if kind in TRIGGER_KINDS and value:
            out[kind] = len(value) if isinstance(value, list | dict) else 1
    return out


def _view(info: SnapshotInfo, repo: Repository | None) -> SnapView:
    view = SnapView(id=info.id, time=info.time, scope=str(info.summary.get("scope", "")), tags=list(info.tags),
                    stored_bytes=int(info.summary.get("bytes_added") or 0), errors=int(info.summary.get("errors") or 0))
    if repo is not None:
        snap = repo.load_snapshot(info.id)
        try:
            body = BackupBody.model_validate(snap.body)
        except ValidationError:
            body = BackupBody()
        view.functions = {f.key: _trigger_counts(f.items) for f in body.functions}
        view.logical_bytes = sum(f.size for f in snap.files.values())
    return view


def views(repo: Repository, warnings: list[str]) -> list[SnapView]:
    infos = repo.snapshots()
    newest = {i.id for i in infos[-MAX_BODIES:]}

    def one(info: SnapshotInfo) -> SnapView:
        try:
            return _view(info, repo if info.id in newest else None)
        except LambdaArkError as exc:  # a damaged tree: the header still counts
            warnings.append(f"snapshot {info.id[:8]}: {describe(exc)}")
            return _view(info, None)

    return parallel_map(one, infos, 4)


def build_report(repo: Repository, *, targets: Targets, discovered: dict[str, list[str]] | None = None,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> ReportData:
    """Read the repository once and compute every section."""
    now = clock()
    warnings: list[str] = []
    snaps = views(repo, warnings)
    read = [s for s in snaps if s.functions is not None]
    data = ReportData(generated=now, repository=repo.url, snapshots=len(snaps),
                      window={"bodies_read": len(read), "since": min((s.time for s in read), default=None)})
    data.coverage = compute.coverage(snaps, discovered)
    data.rpo_functions = compute.function_rpo(snaps, now, targets)
    data.rpo_jobs = compute.job_rpo(snaps, now, targets)
    data.rpo_heatmap = compute.rpo_heatmap(snaps, now, targets)
    data.growth = compute.growth(snaps)
    data.storage = storage(repo, read)
    data.triggers = compute.triggers_per_kind(snaps)
    data.lost_triggers = compute.lost_triggers(snaps)
    data.anomalies = [{"snapshot": s.id, "time": s.time.isoformat(), "scope": s.scope} for s in snaps
                      if ANOMALY_TAG in s.tags]
    data.failures = [{"what": "snapshot", "id": s.id, "time": s.time.isoformat(),
                      "detail": f"partial: {s.errors} errors"} for s in snaps if not s.good]
    records, drill_warnings = drill_records(repo)
    warnings += drill_warnings
    jobs = {s.id: s.job for s in snaps}
    for rid, rec in records:
        data.drills.append({"id": rid, "drill_id": rec.drill_id, "time": rec.started.isoformat(),
                            "status": rec.status, "rto_seconds": rec.rto_seconds, "snapshot": rec.snapshot,
                            "job": jobs.get(rec.snapshot) or "manual", "counts": rec.counts()})
        if rec.status != "passed":
            data.failures.append({"what": "drill", "id": rid, "time": rec.started.isoformat(),
                                  "detail": f"{rec.status}: " + ", ".join(f"{n} {s}" for s, n in
                                                                          sorted(rec.counts().items()))})
    logged, audit_warnings = events(repo)
    warnings += audit_warnings
    for e in logged:
        if e.outcome != "ok":
            data.failures.append({"what": e.command, "id": f"{e.writer}#{e.seq}", "time": e.time.isoformat(),
                                  "detail": f"{e.outcome}" + (f": {e.error}" if e.error else "")})
    data.failures.sort(key=lambda f: f["time"])
    checked = verify(repo)
    data.audit = checked.as_dict() | {"commands": _count_commands([e.command for e in logged])}
    data.warnings = warnings + list(repo.warnings)
    return data


def _count_commands(commands: list[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for c in commands:
        out[c] = out.get(c, 0) + 1
    return out


def storage(repo: Repository, read: list[SnapView]) -> dict[str, Any]:
    """What the repository holds now, and the deduplication over the snapshots read."""
    packs = sum(o.size for o in repo.backend.list("data/"))
    stored = sum(s.stored_bytes for s in read)
    logical = sum(s.logical_bytes or 0 for s in read)
    return {"pack_bytes": packs, "window_stored_bytes": stored, "window_logical_bytes": logical,
            "dedup_ratio": round(logical / stored, 2) if stored else None}
