"""Backup: select -> lock -> previous snapshot -> change feed -> capture what changed -> check -> manifest.

Cost follows change, not estate size: a function whose fingerprint (from list_functions) equals the
previous snapshot's is carried forward without get_function or download; region-wide listings
(event source mappings, triggers) are read once per region and matched in memory
(`backup_capture`). What the fingerprint cannot see (aliases, tags, concurrency, permissions,
triggers...) the change feed names (`change_feed`: CloudTrail since the previous snapshot's
coverage, or events pushed by `watch`); without a complete feed, region listings are read on every
run and unchanged functions are re-read periodically (`capture_plan`), and the snapshot says
`change_feed: none`.

Never success over nothing (`backup_guard`): a run with nothing to record writes nothing; a scope
that lost too many functions is recorded but flagged; the previous snapshot is read under the
writer lock and trusted only for data the repository still has, and the new snapshot names no file
that is neither written by this run nor present.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from .aws import Aws
from .backup_capture import (
    Previous,
    Progress,
    RegionFeed,
    RegionOutcome,
    backup_region,
    file_keys,
    files_of,
    known_layers,
)
from .backup_feed import RPO_KEPT, choose_feed, coverage, listed_times, region_feeds, rpo
from .backup_guard import DEFAULT_MAX_DELETED, covered, mass_deletion, nothing_captured, refusal
from .backup_select import Listed, select_functions
from .capture_plan import fingerprint, recapture_due
from .change_feed import DEFAULT_DELAY, Feed
from .data.capture import backup_data, data_files
from .errors import AwsError, IntegrityError, LambdaArkError, SnapshotNotFound, describe
from .kinds import KINDS
from .kinds.base import RegionContext
from .kinds.common import code_sha256, stable_hash
from .model import BackupBody, FunctionRecord
from .parallel import parallel_map
from .repository import FileRef, Repository, Snapshot
from .repository.models import ANOMALY_TAG, PARTIAL_TAG

__all__ = [
    "BackupOptions",
    "BackupResult",
    "Progress",
    "file_keys",
    "fingerprint",
    "previous_snapshot",
    "recapture_due",
    "run_backup",
    "scope_key",
]


@dataclass
class BackupOptions:
    regions: list[str] | None = None  # None or ["all"]: every enabled region; [] is an error
    functions: list[str] = field(default_factory=list)  # name globs; empty: all
    tags: dict[str, str] = field(default_factory=dict)  # functions must carry all of these
    full: bool = False  # ignore fingerprints, capture everything
    # Re-read a function at least this often even when its fingerprint is unchanged: some changes
    # (an alias moved, on AWS) need not show in list_functions. None: trust fingerprints for ever.
    recapture_after: timedelta | None = timedelta(days=7)
    include_roles: bool = False
    shard: tuple[int, int] | None = None
    workers: int = 8  # concurrent functions per region
    snapshot_tags: list[str] = field(default_factory=list)
    allow_empty: bool = False  # write a snapshot even when the selection matches no function
    max_deleted: float = DEFAULT_MAX_DELETED  # percent of the scope's functions that may vanish quietly
    kinds: frozenset[str] | None = None  # only these recorded kinds (None: all); "function" is always captured
    # Function keys (account/region/name) to read from AWS whatever their fingerprint: retrying what failed.
    recapture: frozenset[str] = frozenset()
    change_feed: bool = True  # ask CloudTrail what changed since the previous snapshot
    feed_delay: timedelta = DEFAULT_DELAY  # how late CloudTrail may show an event
    feed: Feed | None = None  # changes already known (watch mode); None: ask CloudTrail
    data: frozenset[str] = frozenset()  # event-source data to capture (lambda_ark.data.SOURCES names)
    data_buckets: list[str] = field(default_factory=list)  # buckets whose data to capture, wired or not
    data_consistent_read: bool = False  # DynamoDB scans with ConsistentRead
    data_export_bucket: str | None = None  # export DynamoDB tables with PITR through this bucket (else Scan)
    data_s3_versions: bool = False  # every version of versioned buckets' objects (else the current ones)


@dataclass
class BackupResult:
    snapshot_id: str = ""
    regions: list[str] = field(default_factory=list)
    functions: int = 0
    captured: int = 0  # read from AWS in this run
    unchanged: int = 0  # carried forward from the previous snapshot
    bytes_added: int = 0  # what this run stored, as the snapshot's summary records it
    duration: float = 0.0
    tags: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    anomaly: str = ""  # why the snapshot is tagged ANOMALY_TAG (a mass deletion), "" if it is not
    # What the errors are about, as keys: account/region/name for a function, account/region for a region
    # (or a region-wide listing) that failed. What `BackupOptions.recapture` retries.
    failed: list[str] = field(default_factory=list)
    change_feed: str = "none"  # none | cloudtrail | events: how this run learnt what changed
    changes: int = 0  # the feed's changes in this run's window
    # per change read again: what, the event, its time, and seconds from the event to the snapshot
    rpo: list[dict[str, Any]] = field(default_factory=list)

    @property
    def partial(self) -> bool:
        return bool(self.errors)

    @property
    def ok(self) -> bool:
        """Everything asked for is safely done and nothing looks wrong (the CLI exits 0)."""
        return not self.errors and not self.anomaly

    def as_dict(self) -> dict[str, Any]:
        return {
            "snapshot": self.snapshot_id,
            "regions": self.regions,
            "functions": self.functions,
            "captured": self.captured,
            "unchanged": self.unchanged,
            "bytes_added": self.bytes_added,
            "duration_seconds": round(self.duration, 3),
            "tags": self.tags,
            "warnings": self.warnings,
            "errors": self.errors,
            "anomaly": self.anomaly,
            "failed": self.failed,
            "change_feed": self.change_feed,
            "changes": self.changes,
            "rpo": self.rpo,
        }


def scope_key(account: str, regions: list[str], options: BackupOptions) -> str:
    """What a backup covers. The previous snapshot of the same scope is the one to compare with:
    shards or region subsets backed up in turn must not make each other look new."""
    scope: dict[str, Any] = {
        "account": account,
        "regions": sorted(regions),
        "functions": sorted(options.functions),
        "tags": options.tags,
        "shard": list(options.shard) if options.shard else None,
    }
    if options.kinds is not None:  # a narrower capture is another series (unset: the key as it always was)
        scope["kinds"] = sorted(options.kinds | {"function"})
    if options.data or options.data_buckets:  # so is a capture with data: its previous run holds the checkpoints
        scope["data"] = sorted(options.data) + sorted(f"bucket:{b}" for b in options.data_buckets)
    return stable_hash(scope)[:16]


def previous_snapshot(repo: Repository, scope: str, kinds: frozenset[str] | None = None) -> Snapshot | None:
    """The newest snapshot of this scope; else the newest of any that recorded every kind this run
    records (its records still match by key, and an unchanged function's kinds are carried from it)."""
    infos = repo.snapshots()
    if not infos:
        return None
    same = [i for i in infos if i.summary.get("scope") == scope]
    candidates = same or [i for i in infos if _records_all(i.summary.get("kinds"), kinds)]
    if not candidates:
        return None
    try:
        return repo.load_snapshot(candidates[-1].id)
    except SnapshotNotFound:
        return None


def _records_all(recorded: list[str] | None, wanted: frozenset[str] | None) -> bool:
    """Whether a snapshot that recorded `recorded` kinds (None: every kind) has all `wanted` (None: every)."""
    if recorded is None:
        return True
    return wanted is not None and wanted <= set(recorded) | {"function"}


def run_backup(aws: Aws, repo: Repository, options: BackupOptions, progress: Progress | None = None) -> BackupResult:
    started = time.monotonic()
    began = datetime.now(UTC)
    result = BackupResult()
    account = aws.account_id()
    result.regions = regions = aws.resolve_regions(options.regions)
    scope = scope_key(account, regions, options)
    listed, failed = _list_regions(aws, regions, options)
    # Decided before the lock is taken: a run with nothing to record leaves the repository untouched.
    if reason := refusal(regions, failed, sum(len(x.functions) for x in listed.values()), options.allow_empty):
        raise (AwsError if failed else LambdaArkError)(reason)
    if progress:
        for region, found in listed.items():
            progress("total", region, len(found.functions))
    result.errors.extend(f"region {region}: {error}" for region, error in sorted(failed.items()))
    result.failed.extend(f"{account}/{region}" for region in sorted(failed))

    # The previous snapshot is read, and its data checked, under a lock held until the commit: a prune
    # that finished before cannot leave us referencing data it deleted, and none can start meanwhile.
    # (A lock of our own rather than the writer's: checking the data reloads the repository's index,
    # which must happen before the writer loads the index it goes on adding to.)
    with _shared_lock(repo):
        try:
            prev_snap = previous_snapshot(repo, scope, options.kinds)
        except IntegrityError as exc:  # trust nothing of it: read everything from AWS again
            prev_snap = None
            result.warnings.append(f"previous snapshot unreadable, every function captured again: {exc}")
        prev = _previous(repo, prev_snap, scope)
        feed = choose_feed(aws, regions, prev, options, datetime.now(UTC))
        result.change_feed, result.changes = feed.source, len(feed.changes)
        if feed.reason and prev_snap is not None and not options.full:
            result.warnings.append(f"change feed: {feed.reason}; unchanged functions are trusted by their "
                                   "fingerprint and re-read periodically, trigger listings are read again")
        with repo.writer() as writer:
            new_files: dict[str, FileRef] = {}
            lock = threading.Lock()

            def put_file(data: bytes) -> str:
                ref = writer.put_file(data)
                key = code_sha256(data)
                with lock:
                    new_files[key] = ref
                return key

            # Files the kinds may name without storing them again: those the repository still has.
            available = {k: v for k, v in (prev_snap.files if prev_snap else {}).items() if k not in prev.missing}
            cache: dict[str, Any] = {"known_files": set(available), "include_roles": options.include_roles,
                                     "known_layers": known_layers(prev)}
            contexts = {r: RegionContext(aws=aws, account=account, region=r, put_file=put_file, cache=cache)
                        for r in listed}
            feeds = region_feeds(feed, prev, account, listed)
            records, outcomes = _capture(account, contexts, listed, failed, prev, options, progress, result, feeds)
            for kind in KINDS:  # kinds that complete a capture from the whole snapshot (referenced_by)
                if hasattr(kind, "link"):
                    kind.link(records, cache)
            if not records and not options.allow_empty:
                raise LambdaArkError(nothing_captured(result.errors))
            data = None
            if options.data or options.data_buckets:
                data = backup_data(aws, account, records, options.data, options.data_buckets, put_file,
                                   prev_snap.body if prev_snap else None, set(available), options.data_consistent_read,
                                   options.data_export_bucket, options.data_s3_versions)
                result.warnings.extend(data.warnings)
                result.errors.extend(data.errors)
            files = files_of(records, new_files, available) | (data_files(data.section, new_files, available)
                                                               if data else {})
            if prev_snap is not None:
                had = covered(prev.records.values(), account, regions, options.functions, options.shard, options.tags)
                if deletion := mass_deletion(had, {r.key for r in records}, options.max_deleted):
                    result.anomaly = deletion.message()
            result.functions = len(records)
            result.tags = _tags(options, result)
            writer.flush()  # so the summary can say what this run added
            result.bytes_added = writer.bytes_added  # the summary's figure: `snapshots` shows the same
            now = datetime.now(UTC)
            listed_at = listed_times(prev, account, outcomes)
            covers = coverage(prev, feed, records, listed_at, account, regions, bool(result.errors))
            result.rpo = rpo([c for o in outcomes.values() for c in o.acted_on], now)
            snapshot = Snapshot(
                time=now,
                host=socket.gethostname(),
                tags=result.tags,
                parent=prev_snap.id if prev_snap else None,
                summary=_summary(scope, result, regions, began, covers, options),
                body=BackupBody(
                    regions={account: regions}, functions=records, notes=sorted(set(result.warnings)),
                    listed=listed_at, data=data.section.model_dump(mode="json") if data else None,
                ).model_dump(mode="json"),
                files=files,
            )
            result.snapshot_id = writer.commit(snapshot)
    result.duration = time.monotonic() - started
    return result


def _summary(
    scope: str, result: BackupResult, regions: list[str], began: datetime, covers: datetime | None,
    options: BackupOptions,
) -> dict[str, Any]:
    seconds = [r["rpo_seconds"] for r in result.rpo if r["rpo_seconds"] is not None]
    return {
        # a narrower capture says what it recorded: no run that records more carries from it
        **({"kinds": sorted(options.kinds | {"function"})} if options.kinds is not None else {}),
        "scope": scope,
        "bytes_added": result.bytes_added,
        "functions": result.functions,
        "captured": result.captured,
        "unchanged": result.unchanged,
        "regions": len(regions),
        "errors": len(result.errors),
        "started": began.isoformat(),
        "covered": covers.isoformat() if covers else None,
        "change_feed": result.change_feed,
        "changes": result.changes,
        "rpo_max_seconds": max(seconds) if seconds else None,
        "rpo": result.rpo[:RPO_KEPT],
    }


def _capture(
    account: str,
    contexts: dict[str, RegionContext],
    listed: dict[str, Listed],
    failed: dict[str, str],
    prev: Previous,
    options: BackupOptions,
    progress: Progress | None,
    result: BackupResult,
    feeds: dict[str, RegionFeed],
) -> tuple[list[FunctionRecord], dict[str, RegionOutcome]]:
    """Every region's records (sorted): captured or carried forward; counts and problems go to `result`."""

    def one_region(region: str) -> RegionOutcome:
        try:
            return backup_region(contexts[region], listed[region].functions, prev, options, progress, feeds[region])
        except Exception as exc:  # noqa: BLE001 - one region's failure must not lose the others
            outcome = _carried(prev, account, region, f"region {region}: {describe(exc)}")
            outcome.failed_region = True
            return outcome

    regions = sorted(listed)
    outcomes = dict(zip(regions, parallel_map(one_region, regions, max(1, min(4, len(listed)))), strict=True))
    outcomes |= {region: _carried(prev, account, region, "") for region in sorted(failed)}  # their error is known
    records: list[FunctionRecord] = []
    for region, outcome in outcomes.items():
        result.failed += [f"{account}/{region}"] if outcome.failed_region else []
        result.failed += sorted(f"{account}/{region}/{name}" for name in set(outcome.failed))
        records.extend(outcome.records)
        result.captured += outcome.captured
        result.unchanged += outcome.unchanged
        result.warnings.extend(outcome.warnings)
        result.errors.extend(outcome.errors)
    return sorted(records, key=lambda r: (r.account, r.region, r.name)), outcomes


def _carried(prev: Previous, account: str, region: str, error: str) -> RegionOutcome:
    """A region that could not be read keeps its functions' last good capture, where the data is there."""
    out = RegionOutcome(errors=[error] if error else [])
    for r in prev.records.values():
        if r.region != region or r.account != account:
            continue
        if prev.usable(r):
            out.records.append(r)
            out.unchanged += 1
        else:
            out.errors.append(f"function {r.name} in {region}: not read, and its previous capture names data "
                              "missing from the repository: left out of this snapshot")
    return out


def _tags(options: BackupOptions, result: BackupResult) -> list[str]:
    return [
        *options.snapshot_tags,
        # shards are separate series: retention (forget groups by tags) keeps each one's history
        *([f"shard-{options.shard[0]}-of-{options.shard[1]}"] if options.shard else []),
        *([PARTIAL_TAG] if result.errors else []),
        *([ANOMALY_TAG] if result.anomaly else []),
    ]


@contextmanager
def _shared_lock(repo: Repository) -> Iterator[None]:
    lock = repo.lock()
    try:
        yield
    finally:
        lock.release()


def _list_regions(
    aws: Aws, regions: list[str], options: BackupOptions
) -> tuple[dict[str, Listed], dict[str, str]]:
    """Each region's selected functions, and the error of each region that could not be listed."""

    def one(region: str) -> tuple[Listed | None, str]:
        try:
            return select_functions(aws, region, options), ""
        except Exception as exc:  # noqa: BLE001 - one region's failure must not lose the others
            return None, describe(exc)

    listed: dict[str, Listed] = {}
    failed: dict[str, str] = {}
    for region, (fns, error) in zip(regions, parallel_map(one, regions, max(1, min(4, len(regions)))), strict=True):
        if fns is None:
            failed[region] = error
        else:
            listed[region] = fns
    return listed, failed


def _previous(repo: Repository, snap: Snapshot | None, scope: str) -> Previous:
    """The previous snapshot's records, and which of its files the repository no longer has all data
    of (a lost pack, a damaged index): functions naming those are captured again, never carried.
    Its coverage counts only for a snapshot of the same scope (another scope's covers other functions)."""
    if snap is None:
        return Previous()
    body = BackupBody.model_validate(snap.body)
    same = snap.summary.get("scope") == scope
    covered_at = snap.summary.get("covered") if same else None
    return Previous(
        records={r.key: r for r in body.functions},
        missing=repo.missing_files(snap.files) if snap.files else set(),
        listed=dict(body.listed) if same else {},
        covered=datetime.fromisoformat(covered_at) if isinstance(covered_at, str) else None,
    )
