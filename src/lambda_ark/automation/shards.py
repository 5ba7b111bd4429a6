"""A job split into shards, for the state machine `deploy` creates: plan, run one shard, finish.

    plan_job(ctx, name, ...)   -> JobPlan     claim the slot; one Shard per account × region (× split)
    run_shard(ctx, name, shard) -> AccountRun  one shard's backup, as `run` backs up an account
    finish_job(ctx, plan, runs) -> JobRun      retention, copies, the job's state, metrics, notifications

`run` does the same in one process (`run_job`); both go through `backup_account`, `retain_and_copy`,
`record` and `after_run`, so a job behaves alike wherever it runs. A large region is split with the
backup's `--shard i/n` (functions by a hash of their ARN): the planner sizes each region from the
functions its shards held last time (`JobState.shards`), so splitting needs no extra listing.
Shards of one region share its API quota, so each runs with a share of the workers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ..backup import BackupOptions, BackupResult
from ..errors import describe
from ..parallel import parallel_map
from .accounts import Accounts, Target, resolve_accounts
from .audit_hook import audit_run
from .context import Context
from .job import FAILED, AccountRun, JobRun, RegionCounts, backup_account, backup_options, retain_and_copy
from .run import after_run, claim, record
from .state import JobRunning, ShardLayout, job_lock, load_state, save_state

MAX_SHARDS = 32
DEFAULT_FUNCTIONS_PER_SHARD = 400  # about 10 minutes of a full capture at the default API share
DEFAULT_WORKERS = 8  # a region's concurrent functions (BackupOptions.workers), shared by its shards


def shard_count(previous_functions: int | None, previous_count: int, per_shard: int) -> int:
    """How many shards a region gets (pure: table-tested). Unknown size: as last time. Grows as soon
    as the region outgrows its shards; shrinks only below half (a change of count is a new series
    whose first run captures everything again, so it must not flap)."""
    previous_count = max(1, previous_count)
    if previous_functions is None:
        return min(previous_count, MAX_SHARDS)
    wanted = max(1, math.ceil(previous_functions / max(1, per_shard)))
    if wanted > previous_count or wanted <= previous_count // 2:
        return min(wanted, MAX_SHARDS)
    return min(previous_count, MAX_SHARDS)


@dataclass(frozen=True)
class Shard:
    account: str
    region: str
    index: int = 0
    count: int = 1
    role_arn: str | None = None
    external_id: str | None = None

    @property
    def key(self) -> str:
        return f"{self.account}/{self.region}"

    @property
    def target(self) -> Target:
        return Target(self.account, self.role_arn, self.external_id)

    def as_dict(self) -> dict[str, Any]:
        return {"account": self.account, "region": self.region, "index": self.index, "count": self.count,
                "role_arn": self.role_arn, "external_id": self.external_id}

    @classmethod
    def of(cls, doc: dict[str, Any]) -> Shard:
        return cls(account=str(doc["account"]), region=str(doc["region"]), index=int(doc.get("index", 0)),
                   count=int(doc.get("count", 1)), role_arn=doc.get("role_arn"), external_id=doc.get("external_id"))


@dataclass
class JobPlan:
    job: str
    trigger: str
    slot: datetime | None
    started: datetime
    shards: list[Shard] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # the job's own: an organization that could not be listed
    warnings: list[str] = field(default_factory=list)
    unreached: list[dict[str, str]] = field(default_factory=list)  # {account, via, error}: no shard could run
    skipped: str = ""  # why nothing runs ("not due", "running elsewhere"), "" when it runs

    def as_dict(self) -> dict[str, Any]:
        return {"job": self.job, "trigger": self.trigger, "slot": self.slot.isoformat() if self.slot else None,
                "started": self.started.isoformat(), "shards": [s.as_dict() for s in self.shards],
                "errors": self.errors, "warnings": self.warnings, "unreached": self.unreached,
                "skipped": self.skipped}

    @classmethod
    def of(cls, doc: dict[str, Any]) -> JobPlan:
        return cls(job=str(doc["job"]), trigger=str(doc.get("trigger") or "schedule"),
                   slot=datetime.fromisoformat(doc["slot"]) if doc.get("slot") else None,
                   started=datetime.fromisoformat(doc["started"]),
                   shards=[Shard.of(s) for s in doc.get("shards", [])], errors=list(doc.get("errors", [])),
                   warnings=list(doc.get("warnings", [])), unreached=list(doc.get("unreached", [])),
                   skipped=str(doc.get("skipped", "")))


def plan_job(ctx: Context, name: str, *, forced: bool = False, runner: str | None = None,
             alive_for: timedelta = timedelta(hours=24),
             per_shard: int = DEFAULT_FUNCTIONS_PER_SHARD) -> JobPlan:
    """Claim the job's slot (as `run` does) and list its shards; a plan with `skipped` set runs nothing."""
    now = ctx.clock()
    repo = ctx.primary()
    plan = JobPlan(job=name, trigger="manual" if forced else "schedule", slot=None, started=now)
    try:
        with job_lock(repo, name):
            claimed = claim(ctx, name, forced, runner=runner, alive_for=alive_for)
    except JobRunning as exc:
        plan.skipped = str(exc)
        return plan
    if claimed is None:
        plan.skipped = "not due"
        return plan
    plan.slot, plan.trigger, plan.warnings = claimed.slot, claimed.trigger, list(claimed.warnings)
    try:
        accounts = resolve_accounts(ctx.aws, ctx.policy.accounts)
    except Exception as exc:  # noqa: BLE001 - the running credentials refused: the finish step reports it
        accounts = Accounts(errors=[f"accounts: {describe(exc)}"])
    plan.errors += accounts.errors
    layouts = claimed.state.shards
    job = ctx.policy.jobs[name]
    requested = None if job.select.regions == "all" else list(job.select.regions)

    def regions_of(target: Target) -> tuple[Target, list[str], str]:
        try:
            return target, target.connect(ctx.aws).resolve_regions(requested), ""
        except Exception as exc:  # noqa: BLE001 - this account fails alone
            return target, [], f"account {target.account}: cannot list its regions ({target.via}): {describe(exc)}"

    for target, regions, error in parallel_map(regions_of, accounts.targets, 8):
        if error:  # the account fails alone, as in `run`: its state, metrics and errors queue say so
            plan.unreached.append({"account": target.account, "via": target.via, "error": error})
        for region in regions:
            layout = layouts.get(f"{target.account}/{region}")
            n = shard_count(layout.functions if layout else None, layout.count if layout else 1, per_shard)
            plan.shards += [Shard(target.account, region, i, n, target.role_arn, target.external_id)
                            for i in range(n)]
    return plan


def shard_options(name: str, ctx: Context, shard: Shard, workers: int = DEFAULT_WORKERS) -> BackupOptions:
    options = backup_options(name, ctx.policy.jobs[name])
    options.regions = [shard.region]
    options.shard = (shard.index, shard.count) if shard.count > 1 else None
    options.workers = max(1, workers // shard.count)  # the shards of a region share its API quota
    if shard.count > 1:
        options.allow_empty = True  # a shard the hash leaves empty is no failure: its series goes on
    return options


def run_shard(ctx: Context, name: str, shard: Shard) -> AccountRun:
    """One shard's backup: one snapshot of one account's region (or a share of it)."""
    job = ctx.policy.jobs[name]
    return backup_account(ctx, ctx.primary(), name, job, shard.target, options=shard_options(name, ctx, shard))


def account_run_doc(run: AccountRun, shard: Shard) -> dict[str, Any]:
    """What the worker hands the finish step (JSON): the shard and how its backup went."""
    return {"shard": shard.as_dict(), **run.as_dict(),
            "region_counts": {r: vars(c) for r, c in run.regions.items()}}


def account_run_of(doc: dict[str, Any]) -> AccountRun:
    run = AccountRun(account=str(doc["account"]), via=str(doc.get("via", "")), status=str(doc.get("status", FAILED)))
    if doc.get("snapshot"):
        run.result = BackupResult(
            snapshot_id=str(doc["snapshot"]), regions=list(doc.get("regions", [])),
            functions=int(doc.get("functions", 0)), captured=int(doc.get("captured", 0)),
            unchanged=int(doc.get("unchanged", 0)), bytes_added=int(doc.get("bytes_added", 0)),
            warnings=list(doc.get("warnings", [])), errors=list(doc.get("errors", [])),
            anomaly=str(doc.get("anomaly", "")), failed=list(doc.get("failed", [])))
    else:
        run.error = "; ".join(doc.get("errors") or []) or "the shard did not finish"
    run.regions = {r: RegionCounts(**c) for r, c in (doc.get("region_counts") or {}).items()}
    run.deleted = int(doc.get("deleted_functions", 0))
    return run


def failed_shard_doc(shard: dict[str, Any], error: dict[str, Any] | str) -> dict[str, Any]:
    """A shard whose worker failed every attempt (the state machine's Catch hands over its error)."""
    if isinstance(error, dict):
        error = f"{error.get('Error', 'error')}: {error.get('Cause', '')}".strip(": ")
    s = Shard.of(shard)
    return {"shard": s.as_dict(), "account": s.account, "via": s.target.via, "status": FAILED,
            "errors": [f"account {s.account}: region {s.region} shard {s.index}/{s.count}: {error}"],
            "failed": [s.key]}


def finish_job(ctx: Context, plan: JobPlan, docs: list[dict[str, Any]]) -> JobRun:
    """The job's last step: shard results as one run (an AccountRun per shard), retention and copies
    when anything was written, the job's state (claim released, shard layouts), metrics,
    notifications and the errors queue."""
    repo = ctx.primary()
    run = JobRun(job=plan.job, trigger=plan.trigger, slot=plan.slot, started=plan.started,
                 errors=list(plan.errors), warnings=list(plan.warnings))
    run.accounts = [account_run_of(d) for d in docs]
    run.accounts += [AccountRun(account=u["account"], via=u["via"], error=u["error"]) for u in plan.unreached]
    if any(a.status != FAILED for a in run.accounts):
        retain_and_copy(ctx, repo, plan.job, ctx.policy.jobs[plan.job], run)
    run.finished = ctx.clock()
    run.duration = (run.finished - plan.started).total_seconds()
    state, _ = load_state(repo, plan.job)
    with job_lock(repo, plan.job):
        record(repo, state, run, ctx.loaded.digest, plan.started)
        _remember_layouts(repo, plan.job, docs)
    if (unaudited := audit_run(repo, plan.job, plan.trigger, run, ctx)) is not None:
        run.warnings.append(unaudited)
    run.warnings += after_run(ctx, run)
    return run


def _remember_layouts(repo: Any, job: str, docs: list[dict[str, Any]]) -> None:
    """How many functions each region's shards held: the next plan sizes the region from it. A
    region with a failed shard keeps its previous layout (its size is not known)."""
    state, _ = load_state(repo, job)
    totals: dict[str, ShardLayout] = {}
    broken: set[str] = set()
    for doc in docs:
        shard = Shard.of(doc["shard"])
        if not doc.get("snapshot"):
            broken.add(shard.key)
            continue
        layout = totals.setdefault(shard.key, ShardLayout(count=shard.count, functions=0))
        layout.functions += int(doc.get("functions", 0))
    state.shards.update({k: v for k, v in totals.items() if k not in broken})
    save_state(repo, state)
