"""One run of one job: back up each account (one snapshot per account, tagged `job:<name>`), apply
the job's retention with `forget`, then `copy` its snapshots to the policy's copies.

Every step's failure is data: an account that cannot be assumed or read fails alone; a retention or
copy that fails is the job's error, after the backups it follows are safely written.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ..backup import BackupOptions, BackupResult, run_backup
from ..backup_guard import covered, parse_max_deleted
from ..data import parse_sources
from ..errors import describe
from ..model import BackupBody
from ..parallel import parallel_map
from ..policy.models import Job
from ..policy.values import recapture
from ..repository import Repository, Rules, copy, forget
from ..repository.policy import DEFAULT_GROUP_BY, parse_duration
from .accounts import Accounts, Target, resolve_accounts
from .context import Context

OK, PARTIAL, ANOMALY, FAILED = "ok", "partial", "anomaly", "failed"


def job_tag(name: str) -> str:
    return f"job:{name}"


@dataclass
class RegionCounts:
    protected: int = 0  # functions in the snapshot
    captured: int = 0  # read from AWS in this run
    deleted: int = 0  # in the previous snapshot of the scope, gone now


@dataclass
class AccountRun:
    account: str
    via: str  # how it was reached: a role ARN or "the current credentials"
    status: str = FAILED
    error: str = ""  # why it failed, when it did
    result: BackupResult | None = None
    regions: dict[str, RegionCounts] = field(default_factory=dict)
    deleted: int = 0

    @property
    def snapshot(self) -> str:
        return self.result.snapshot_id if self.result else ""

    @property
    def errors(self) -> list[str]:
        return [self.error] if self.error else list(self.result.errors if self.result else [])

    @property
    def failed(self) -> list[str]:
        """What to retry: keys of functions and regions that failed, or the account itself."""
        if self.result is None:
            return [self.account]
        return list(self.result.failed)

    def as_dict(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"account": self.account, "via": self.via, "status": self.status,
                               "snapshot": self.snapshot, "errors": self.errors, "failed": self.failed,
                               "deleted_functions": self.deleted}
        if self.result is not None:
            r = self.result
            doc |= {"functions": r.functions, "captured": r.captured, "unchanged": r.unchanged,
                    "bytes_added": r.bytes_added, "regions": r.regions, "warnings": r.warnings,
                    "anomaly": r.anomaly}
        return doc


@dataclass
class JobRun:
    job: str
    trigger: str  # schedule | manual | retry
    slot: datetime | None
    started: datetime
    finished: datetime | None = None
    duration: float = 0.0
    accounts: list[AccountRun] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # the job's own: accounts not listed, forget, copy
    warnings: list[str] = field(default_factory=list)
    forgotten: int = 0
    copied: dict[str, int] = field(default_factory=dict)  # copy repository URL -> snapshots copied

    @property
    def status(self) -> str:
        written = [a for a in self.accounts if a.status != FAILED]
        if not written:
            return FAILED
        if self.errors or any(a.status != OK for a in self.accounts):
            return PARTIAL
        return OK

    @property
    def failures(self) -> int:
        return len(self.errors) + sum(1 for a in self.accounts if a.status in (FAILED, PARTIAL))

    def as_dict(self) -> dict[str, Any]:
        return {
            "job": self.job, "trigger": self.trigger, "status": self.status,
            "slot": self.slot.isoformat() if self.slot else None, "started": self.started.isoformat(),
            "finished": self.finished.isoformat() if self.finished else None,
            "duration_seconds": round(self.duration, 3), "accounts": [a.as_dict() for a in self.accounts],
            "errors": self.errors, "warnings": self.warnings, "forgotten": self.forgotten, "copied": self.copied,
        }


def backup_options(name: str, job: Job, recapture_keys: Collection[str] = ()) -> BackupOptions:
    return BackupOptions(
        regions=None if job.select.regions == "all" else list(job.select.regions),
        functions=list(job.select.names),
        tags=dict(job.select.tags),
        include_roles="roles" in job.include,
        kinds=job.kinds(),
        snapshot_tags=[job_tag(name), *job.tags],
        max_deleted=parse_max_deleted(str(job.max_deleted)),
        recapture_after=recapture(job.recapture_days),
        recapture=frozenset(recapture_keys),
        allow_empty=job.allow_empty,
        data=parse_sources(list(job.data)),
        data_buckets=list(job.data_buckets),
        data_export_bucket=job.data_export_bucket,
        data_s3_versions=job.data_s3_versions,
    )


def run_job(ctx: Context, name: str, trigger: str, slot: datetime | None, *,
            only: dict[str, set[str]] | None = None) -> JobRun:
    """Run `name` once. `only` (a retry) limits it to these accounts, each with the keys to read again."""
    job = ctx.policy.jobs[name]
    run = JobRun(job=name, trigger=trigger, slot=slot, started=ctx.clock())
    began = datetime.now(UTC)
    repo = ctx.primary()
    try:
        accounts = resolve_accounts(ctx.aws, ctx.policy.accounts)
    except Exception as exc:  # noqa: BLE001 - e.g. the running credentials themselves are refused
        accounts = Accounts(errors=[f"accounts: {describe(exc)}"])
    run.errors += accounts.errors
    targets = [t for t in accounts.targets if only is None or t.account in only]
    if only is not None:
        missing = sorted(set(only) - {t.account for t in targets})
        run.errors += [f"account {a}: no longer covered by the policy; not retried" for a in missing]

    def one(target: Target) -> AccountRun:
        keys = (only or {}).get(target.account, set())
        return backup_account(ctx, repo, name, job, target, keys)

    run.accounts = parallel_map(one, targets, job.parallel_accounts)
    if any(a.status != FAILED for a in run.accounts):
        retain_and_copy(ctx, repo, name, job, run)
    run.finished = ctx.clock()
    run.duration = (datetime.now(UTC) - began).total_seconds()
    return run


def backup_account(ctx: Context, repo: Repository, name: str, job: Job, target: Target,
                   recapture_keys: Collection[str] = (), options: BackupOptions | None = None) -> AccountRun:
    """One account's backup for the job (`options`: the job's, narrowed, e.g. to one shard of a region)."""
    out = AccountRun(account=target.account, via=target.via)
    try:
        aws = target.connect(ctx.aws)
    except Exception as exc:  # noqa: BLE001 - this account fails; the others go on
        out.error = f"account {target.account}: cannot assume {target.via}: {describe(exc)}"
        return out
    started = datetime.now(UTC)
    try:
        result = run_backup(aws, repo, options or backup_options(name, job, recapture_keys))
    except Exception as exc:  # noqa: BLE001
        out.error = f"account {target.account}: {describe(exc)}"
        return out
    out.result = result
    out.status = PARTIAL if result.errors else ANOMALY if result.anomaly else OK
    try:
        shard = options.shard if options else None
        out.regions, out.deleted = _counts(repo, result, target.account, started, job, shard)
    except Exception as exc:  # noqa: BLE001 - the counts feed metrics only; the backup stands
        result.warnings.append(f"per-region counts unavailable: {describe(exc)}")
    return out


def _counts(repo: Repository, result: BackupResult, account: str, started: datetime, job: Job,
            shard: tuple[int, int] | None = None) -> tuple[dict[str, RegionCounts], int]:
    """Per region: functions protected, captured in this run, and gone since the previous snapshot."""
    snap = repo.load_snapshot(result.snapshot_id)
    records = BackupBody.model_validate(snap.body).functions
    counts = {region: RegionCounts() for region in result.regions}
    for r in records:
        c = counts.setdefault(r.region, RegionCounts())
        c.protected += 1
        c.captured += bool(r.captured_at and r.captured_at >= started)
    if not snap.parent:
        return counts, 0
    prev = BackupBody.model_validate(repo.load_snapshot(snap.parent).body).functions
    had = covered(prev, account, result.regions, list(job.select.names), shard, dict(job.select.tags))
    gone = had - {r.key for r in records}
    for key in gone:
        counts.setdefault(key.split("/")[1], RegionCounts()).deleted += 1
    return counts, len(gone)


def retain_and_copy(ctx: Context, repo: Repository, name: str, job: Job, run: JobRun) -> None:
    tag = job_tag(name)
    if job.retention is not None:
        r = job.retention
        rules = Rules(last=r.keep_last, hourly=r.keep_hourly, daily=r.keep_daily, weekly=r.keep_weekly,
                      monthly=r.keep_monthly, yearly=r.keep_yearly,
                      within=parse_duration(r.keep_within) if r.keep_within else None)
    else:
        rules = None
    if rules is not None:
        try:
            run.forgotten = len(forget(repo, rules, tags=[tag], group_by=DEFAULT_GROUP_BY).removed)
        except Exception as exc:  # noqa: BLE001
            run.errors.append(f"retention in {repo.url}: {describe(exc)}")
    if not job.copy_to_copies:
        return
    ids = [s.id for s in repo.snapshots() if tag in s.tags]
    for ref in ctx.policy.repositories.copies:
        try:
            dst = ctx.repository(ref)
            done = copy(repo, dst, ids)
            run.copied[ref.url] = len(done.copied)
            if rules is not None:
                forget(dst, rules, tags=[tag], group_by=DEFAULT_GROUP_BY)
        except Exception as exc:  # noqa: BLE001 - one copy failing leaves the others and the primary
            run.errors.append(f"copy to {ref.url}: {describe(exc)}")

