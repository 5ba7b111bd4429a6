"""Applying a restore plan: exactly the planned changes, in dependency order.

Kinds run kind-major (all layers, then all functions, then all versions, ...) so a trigger that names
another restored function finds it already there. Within a kind, functions are independent where the
kind says so (PARALLEL) and run at once: restore time is the slowest function's, not the sum. A change
that fails is reported as failed and the rest go on; after a failure in a kind the function cannot do
without (BLOCKING), that function's later changes are skipped. Re-planning after an apply reports only
"unchanged": that is how a restore is verified.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from dataclasses import dataclass, field
from itertools import groupby
from typing import Any

from ..aws import Aws
from ..errors import describe
from ..kinds.base import Change
from ..parallel import parallel_map
from ..repository import Repository, Snapshot
from .plan import BLOCKING, ChangeCallback, Plan, RestoreOptions, Step, build_mapper, plan_restore, validate_options

__all__ = [
    "RestoreOptions",
    "RestoreResult",
    "apply_plan",
    "build_mapper",
    "plan_restore",
    "run_restore",
    "validate_options",
]


@dataclass
class RestoreResult:
    snapshot_id: str
    dry_run: bool
    changes: list[Change] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    duration: float = 0.0

    @property
    def failed(self) -> list[Change]:
        return [c for c in self.changes if c.action == "failed"]

    @property
    def partial(self) -> bool:
        return bool(self.failed)

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for c in self.changes:
            out[c.action] = out.get(c.action, 0) + 1
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "snapshot": self.snapshot_id,
            "dry_run": self.dry_run,
            "counts": self.counts(),
            "duration_seconds": round(self.duration, 3),
            "warnings": self.warnings,
            "changes": [c.as_dict() for c in self.changes],
        }


def plan_result(plan: Plan) -> RestoreResult:
    """A plan shown as a result (a dry run)."""
    return RestoreResult(plan.snapshot_id, True, plan.changes, plan.warnings, plan.duration)


def apply_plan(plan: Plan, *, on_change: ChangeCallback | None = None) -> RestoreResult:
    """Execute the plan's changes; returns what was done (failed changes say why)."""
    started = time.monotonic()
    broken: set[str] = set()
    lock = threading.Lock()
    done: dict[int, list[Change]] = {}

    def one(index: int, step: Step) -> None:
        blocking = step.kind.NAME in BLOCKING
        out: list[Change] = []
        for planned in step.changes:
            # after a failure in a kind the function needs (a version not republished), the step's
            # later changes would build on what is not there (later version numbers would shift)
            stop = step.record.key in broken or (blocking and any(c.action == "failed" for c in out))
            out.append(_apply_change(planned, stop))
        with lock:
            if blocking and any(c.action == "failed" for c in out):
                broken.add(step.record.key)
            done[index] = out
            if on_change:
                for c in out:
                    on_change(c)

    # Event-source resources and data first: functions' mappings and triggers need them there.
    data = [_apply_change(c, False) for c in plan.data]
    if on_change:
        for c in data:
            on_change(c)
    indexed = list(enumerate(plan.steps))
    for _, group in groupby(indexed, key=lambda pair: pair[1].kind.NAME):
        steps = list(group)
        if getattr(steps[0][1].kind, "PARALLEL", False):
            parallel_map(lambda pair: one(*pair), steps, plan.ctx.aws.max_workers)
        else:
            for pair in steps:
                one(*pair)
    changes = data + [c for i in range(len(plan.steps)) for c in done[i]]
    return RestoreResult(plan.snapshot_id, False, changes, plan.warnings, time.monotonic() - started)


def _apply_change(planned: Change, skip: bool) -> Change:
    change = dataclasses.replace(planned)
    if change.apply is None or change.action not in ("create", "update"):
        return change
    if skip:
        return dataclasses.replace(change, action="skipped", detail="an earlier step of this function failed")
    try:
        detail = change.apply()
    except Exception as exc:  # noqa: BLE001 - one change's failure is data; the rest are applied
        return dataclasses.replace(change, action="failed", detail=describe(exc))
    return dataclasses.replace(change, detail=detail) if detail else change


def run_restore(
    aws: Aws,
    repo: Repository,
    snapshot: Snapshot,
    options: RestoreOptions,
    *,
    dry_run: bool,
    on_change: ChangeCallback | None = None,
) -> RestoreResult:
    """Plan, then (unless `dry_run`) apply that plan."""
    plan = plan_restore(aws, repo, snapshot, options, on_change=None if not dry_run else on_change)
    if dry_run:
        return plan_result(plan)
    result = apply_plan(plan, on_change=on_change)
    result.duration += plan.duration
    return result

