"""What a drill leaves behind: one record per drill in the repository (`drills/<id>`).

The record is a pydantic document sealed like a snapshot header (docs/repository-format.md,
"Drill records"): which snapshot was restored where, each function's outcome and RTO, what the
restore and its verification found, and what cleanup deleted. `lambda-ark drills` lists them;
reports and policies read them through `drill_records`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from ..errors import RepositoryError
from ..repository import Repository

RECORD_KIND = "drills"
RECORD_FORMAT = 1

# passed: restored exactly and its invoke returned no FunctionError (and matched the expected output)
# failed: restored, but the invoke failed, the output did not match, or the restore was not exact
# not-invoked: restored exactly, but the endpoint cannot run its runtime (the embedded endpoint)
# not-restored: a step the function needs failed, so there was nothing to invoke
Status = Literal["passed", "failed", "not-invoked", "not-restored"]


class FunctionOutcome(BaseModel):
    source: str  # account/region/name in the snapshot
    target: str  # the drill's copy: name (region)
    qualifier: str  # what was invoked: the alias "live", else "$LATEST"
    status: Status
    detail: str = ""  # why it failed or was not invoked (never the function's output: it may hold secrets)
    event: str = ""  # where the test event came from: a file, an s3:// URL, or "default {}"
    restored_seconds: float | None = None  # from the drill's start until its restore was applied
    invoke_seconds: float | None = None
    rto_seconds: float | None = None  # from the drill's start until it passed


class CleanupSummary(BaseModel):
    kept: bool = False  # --keep: nothing deleted on purpose
    deleted: list[str] = Field(default_factory=list)
    failed: list[str] = Field(default_factory=list)


class DrillRecord(BaseModel):
    format: int = RECORD_FORMAT
    drill_id: str  # the value of the lambda-ark:drill tag on everything it created
    started: datetime
    finished: datetime
    host: str
    snapshot: str
    snapshot_time: datetime | None = None
    target: dict[str, Any] = Field(default_factory=dict)  # account, regions, name template, role ARN
    # passed: every function passed (or could not be invoked here); failed: some did not;
    # interrupted: stopped by Ctrl-C (cleanup still ran); error: the drill itself could not run
    status: Literal["passed", "failed", "interrupted", "error"]
    rto_seconds: float | None = None  # until every function was restored and passing
    functions: list[FunctionOutcome] = Field(default_factory=list)
    restore: dict[str, int] = Field(default_factory=dict)  # applied changes by action
    verification: dict[str, int] = Field(default_factory=dict)  # the re-plan's changes by action
    problems: list[str] = Field(default_factory=list)  # failed changes, differences the re-plan found
    skipped: list[str] = Field(default_factory=list)  # what the drill did not wire (triggers), and why
    warnings: list[str] = Field(default_factory=list)
    errors: list[str] = Field(default_factory=list)
    cleanup: CleanupSummary = Field(default_factory=CleanupSummary)

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for f in self.functions:
            out[f.status] = out.get(f.status, 0) + 1
        return out


def save(repo: Repository, record: DrillRecord) -> str:
    """Store the record (under a lock the caller holds); returns its id in the repository."""
    return repo.save_record(RECORD_KIND, record.model_dump_json().encode())


def drill_records(repo: Repository) -> tuple[list[tuple[str, DrillRecord]], list[str]]:
    """Every readable drill record, oldest first, with one warning per record that cannot be read."""
    out: list[tuple[str, DrillRecord]] = []
    warnings: list[str] = []
    for record_id in repo.record_ids(RECORD_KIND):
        try:
            out.append((record_id, DrillRecord.model_validate_json(repo.load_record(RECORD_KIND, record_id))))
        except (RepositoryError, ValueError) as exc:
            warnings.append(f"{RECORD_KIND}/{record_id}: cannot be read ({' '.join(str(exc).split())[:200]}); skipped")
    return sorted(out, key=lambda pair: (pair[1].started, pair[0])), warnings
