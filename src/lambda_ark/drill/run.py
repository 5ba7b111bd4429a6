"""A drill: restore a snapshot into isolation, prove it works, measure the RTO, clean up, record it.

    plan (restore options with `drill=<id>`: renamed functions, mappings disabled, production's
    triggers skipped, everything created tagged) -> refuse if a target function already exists ->
    apply -> verify by re-planning (all unchanged/skipped) -> invoke each function (alias `live`,
    else $LATEST) with its test event -> delete everything created (also on failure or Ctrl-C)
    -> store the record (`drills/<id>` in the repository).

RTO per function: from the drill's start until its invoke passed (the restore is applied
kind-major, so every function is restored when the last kind has applied). In total: until every
function passed. The repository is read under a shared lock, held until the record is written.
"""

from __future__ import annotations

import secrets
import socket
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import boto3

from ..aws import Aws, call
from ..errors import LambdaArkError, UsageError, describe
from ..kinds.base import Change
from ..model import FunctionRecord
from ..parallel import Cancelled, parallel_map
from ..repository import Repository, Snapshot
from ..restore.apply import apply_plan
from ..restore.arns import ArnMapper, FunctionId
from ..restore.plan import BLOCKING, Plan, RestoreOptions, plan_restore
from . import record as record_mod
from . import verify
from .cleanup import cleanup as cleanup_drill
from .events import EventRule, event_for, s3_reader
from .record import DrillRecord, FunctionOutcome

Progress = Callable[[str], None]
LIVE_ALIAS = "live"


@dataclass
class DrillOptions:
    snapshot: str = "latest"
    functions: list[str] = field(default_factory=list)  # name globs; empty: all
    regions: list[str] = field(default_factory=list)  # source regions; empty: all
    to_region: str | None = None  # restore every source region into this one (default: each its own)
    role_arn: str | None = None  # a scratch account to restore into, through this role
    name_template: str = "{name}-drill"  # the drill's copies' names ({name}, {region}, {account})
    keep: bool = False  # leave what the drill created (to look at it); `drill --cleanup` removes it later
    events: list[EventRule] = field(default_factory=list)  # test events by name glob (events.load_rules)


@dataclass
class DrillResult:
    record: DrillRecord
    record_id: str | None  # where the record is stored; None when it could not be stored

    @property
    def passed(self) -> bool:
        return self.record.passed

    def as_dict(self) -> dict[str, Any]:
        return {"record_id": self.record_id, **self.record.model_dump(mode="json")}


def run_drill(aws: Aws, repo: Repository, options: DrillOptions, *, progress: Progress | None = None,
              record_to: Repository | None = None, canonical: str | None = None) -> DrillResult:
    """Run one drill (see the module docstring). Raises before anything is created when the snapshot,
    the selection or the target is unusable; afterwards failures are the record's data, and an
    interrupt (KeyboardInterrupt) is re-raised once cleanup has run and the record is stored.
    `record_to`: where the record goes when `repo` is a replica read for speed (the primary);
    default `repo`. `canonical`: the snapshot's id there (copies give snapshots ids of their own)."""
    say = progress or (lambda _: None)
    t0 = time.monotonic()
    drill = _Drill(aws, repo, options, say, secrets.token_hex(4))
    drill.record_to, drill.canonical = record_to, canonical
    with repo.lock():  # shared, as restore: prune must not delete what the drill reads
        snap = repo.load_snapshot(options.snapshot)
        plan = drill.plan(snap)
        drill.refuse_existing(plan)
        try:
            drill.run(snap, plan, t0)
        except (KeyboardInterrupt, Cancelled):
            drill.record.status = "interrupted"
            raise
        except Exception as exc:
            drill.record.status = "error"
            drill.record.errors.append(describe(exc))
            raise
        finally:
            drill.finish(plan)
            record_id = drill.store()
    return DrillResult(drill.record, record_id)


class _Drill:
    def __init__(self, aws: Aws, repo: Repository, options: DrillOptions, say: Progress, drill_id: str) -> None:
        self.aws, self.repo, self.options, self.say = aws, repo, options, say
        self.target = assume(aws, options.role_arn) if options.role_arn else aws
        now = datetime.now(UTC)
        self.record = DrillRecord(drill_id=drill_id, started=now, finished=now, host=socket.gethostname(),
                                  snapshot="", status="error")
        self.restore_options = RestoreOptions(
            functions=list(options.functions), regions=list(options.regions), to_region=options.to_region,
            to_account=self.target.account_id() if options.role_arn else None,
            name_template=options.name_template, drill=drill_id,
        )
        self.regions: list[str] = []
        self.record_to: Repository | None = None
        self.canonical: str | None = None
        self.created_roles = False
        self.applying = False  # from here on, something may have been created: clean up, record
        self._lock = threading.Lock()

    def plan(self, snap: Snapshot) -> Plan:
        self.record.snapshot, self.record.snapshot_time = self.canonical or snap.id, snap.time
        plan = plan_restore(self.target, self.repo, snap, self.restore_options)
        self.regions = sorted({plan.ctx.mapper.region(step.record.region) for step in plan.steps})
        self.record.target = {
            "account": self.restore_options.to_account or "same as the source",
            "regions": self.regions,
            "name_template": self.options.name_template,
            **({"role_arn": self.options.role_arn} if self.options.role_arn else {}),
        }
        return plan

    def refuse_existing(self, plan: Plan) -> None:
        """A drill creates; it never changes a function that exists (production's, or a leftover)."""
        existing = [c.target for s in plan.steps if s.kind.NAME == "function" for c in s.changes if c.action != "create"
                    and c.action != "failed"]
        if existing:
            shown = ", ".join(existing[:5]) + (f" and {len(existing) - 5} more" if len(existing) > 5 else "")
            raise UsageError(
                f"the drill's copies would replace functions that exist: {shown}; choose another --name-template "
                "or --to-region (leftovers of an earlier drill: `lambda-ark drill --cleanup`)"
            )

    def run(self, snap: Snapshot, plan: Plan, t0: float) -> None:
        functions = [s.record for s in plan.steps if s.kind.NAME == "function"]
        self.say(f"drill {self.record.drill_id}: restoring {len(functions)} functions of snapshot {snap.id[:8]} "
                 f"into {', '.join(self.regions)} as {self.options.name_template}")
        self.created_roles = any(s.kind.NAME == "role" and c.action == "create" for s in plan.steps for c in s.changes)
        self.record.status = "failed"  # until proven otherwise
        self.applying = True
        applied = apply_plan(plan)
        restored = time.monotonic() - t0
        self.record.restore = applied.counts()
        self.record.warnings += [*plan.warnings, *self.repo.warnings]
        self.say(f"restored in {restored:.1f}s: " + _counts(applied.counts()))
        outcome = _per_function(plan, applied.changes)
        again = plan_restore(self.target, self.repo, snap, self.restore_options)
        self.record.verification = _count(again.changes)
        differences = _per_function(again, again.changes)
        self.say("verified by re-planning: " + _counts(self.record.verification))
        self.invoke_all(functions, plan.ctx.mapper, outcome, differences, restored, t0)

    def invoke_all(self, functions: list[FunctionRecord], mapper: ArnMapper, applied: dict[str, list[Change]],
                   again: dict[str, list[Change]], restored: float, t0: float) -> None:
        read_s3 = s3_reader(self.aws)

        def one(rec: FunctionRecord) -> FunctionOutcome:
            changes = applied.get(rec.key, [])
            target_region, name = mapper.region(rec.region), mapper.function_name(FunctionId.of(rec))
            qualifier = LIVE_ALIAS if any(a.get("name") == LIVE_ALIAS for a in rec.items.get("aliases") or []) \
                else "$LATEST"
            out = FunctionOutcome(source=rec.key, target=f"{name} ({target_region})", qualifier=qualifier,
                                  status="passed", restored_seconds=round(restored, 3))
            with self._lock:
                self.record.skipped += [f"{c.kind} {c.target}: {c.detail}" for c in changes
                                        if c.action == "skipped" and c.detail.startswith("drill:")]
            failed = [c for c in changes if c.action == "failed" or (c.action == "skipped"
                                                                       and not c.detail.startswith("drill:"))]
            if any(c.kind in BLOCKING for c in failed):
                first = next(c for c in failed if c.kind in BLOCKING)
                return out.model_copy(update={"status": "not-restored", "restored_seconds": None,
                                              "detail": f"{first.kind} {first.target}: {first.detail}"})
            problems = [f"{c.kind} {c.target}: {c.detail}" for c in failed]
            problems += [f"not restored exactly: {c.kind} {c.target} ({c.action} {', '.join(c.fields)})".strip()
                         for c in again.get(rec.key, []) if c.action not in ("unchanged", "skipped")]
            with self._lock:
                self.record.problems += problems
            try:
                event = event_for(rec.name, (rec.items.get("function") or {}).get("tags") or {},
                                  self.options.events, read_s3)
            except LambdaArkError as exc:
                return out.model_copy(update={"status": "failed", "detail": f"test event: {exc}"})
            verdict = verify.invoke(self.target, target_region, name, qualifier, event)
            update: dict[str, Any] = {"event": event.source, "invoke_seconds": round(verdict.seconds, 3),
                                      "status": verdict.status, "detail": verdict.detail}
            if problems:
                update.update(status="failed", detail=problems[0] + (f"; {verdict.detail}" if verdict.detail else ""))
            elif verdict.status == "passed":
                update["rto_seconds"] = round(time.monotonic() - t0, 3)
            return out.model_copy(update=update)

        outcomes = parallel_map(one, functions, self.target.max_workers)
        self.record.functions = outcomes
        self.record.skipped = sorted(set(self.record.skipped))
        for o in outcomes:
            self.say(f"{o.target}: {o.status}" + (f" in {o.rto_seconds:.1f}s" if o.rto_seconds is not None else "")
                     + (f" ({o.detail})" if o.detail else ""))
        bad = [o for o in outcomes if o.status in ("failed", "not-restored")]
        self.record.status = "failed" if bad or self.record.problems else "passed"
        passed = [o.rto_seconds for o in outcomes if o.rto_seconds is not None]
        if not bad and passed:
            self.record.rto_seconds = max(passed)

    def finish(self, plan: Plan) -> None:
        if not self.applying:
            return
        if self.options.keep:
            self.record.cleanup.kept = True
            self.say(f"kept what the drill created (remove it with `lambda-ark drill --cleanup --drill-id "
                     f"{self.record.drill_id}`)")
        else:
            result = cleanup_drill(self.target, self.regions, self.record.drill_id, roles=self.created_roles)
            self.record.cleanup.deleted, self.record.cleanup.failed = result.deleted, result.failed
            self.say(f"cleaned up: {len(result.deleted)} deleted" +
                     (f", {len(result.failed)} could not be deleted" if result.failed else ""))
        self.record.finished = datetime.now(UTC)

    def store(self) -> str | None:
        if not self.applying:
            return None  # nothing was created: nothing to record
        try:
            if self.record_to is None or self.record_to is self.repo:
                return record_mod.save(self.repo, self.record)  # under the lock run_drill holds
            with self.record_to.lock():
                return record_mod.save(self.record_to, self.record)
        except LambdaArkError as exc:
            self.record.errors.append(f"the drill record could not be stored: {exc}")
            return None


def assume(aws: Aws, role_arn: str) -> Aws:
    """An Aws in a scratch account, through `role_arn` (the drill restores there)."""
    creds = call(aws.client("sts"), "assume_role", RoleArn=role_arn, RoleSessionName="lambda-ark-drill")["Credentials"]
    session = boto3.Session(aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                            aws_session_token=creds["SessionToken"], region_name=aws.session.region_name)
    return Aws(session=session, endpoint_url=aws.endpoint_url, max_workers=aws.max_workers, embedded=aws.embedded)


def _per_function(plan: Plan, changes: list[Change]) -> dict[str, list[Change]]:
    """`changes` (the plan's, or what applying it returned: one per planned change, in order) by
    the function they belong to."""
    out: dict[str, list[Change]] = defaultdict(list)
    i = 0
    for step in plan.steps:
        out[step.record.key].extend(changes[i : i + len(step.changes)])
        i += len(step.changes)
    return out


def _count(changes: list[Change]) -> dict[str, int]:
    out: dict[str, int] = {}
    for c in changes:
        out[c.action] = out.get(c.action, 0) + 1
    return out


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {a}" for a, n in sorted(counts.items())) or "nothing"
