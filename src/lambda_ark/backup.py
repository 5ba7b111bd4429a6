"""Backup: discover -> fingerprint -> capture what changed -> store -> manifest.

Cost follows change, not estate size: a function whose fingerprint (from list_functions) equals the
previous snapshot's is carried forward without get_function or download; region-wide listings
(event source mappings, triggers) are read once per region and matched in memory.
"""

from __future__ import annotations

import hashlib
import socket
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from .aws import Aws, error_code
from .errors import AwsError, LambdaArkError, SnapshotNotFound, describe
from .kinds import KINDS
from .kinds.base import RegionContext
from .kinds.common import code_sha256, pages, stable_hash
from .model import BackupBody, FunctionRecord
from .repository import FileRef, Repository, Snapshot
from .selection import in_shard, name_matches

Progress = Callable[[str, str, int], None]  # (event "total"|"advance", region, n)


@dataclass
class BackupOptions:
    regions: list[str] | None = None  # None or ["all"]: every enabled region
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


@dataclass
class BackupResult:
    snapshot_id: str = ""
    regions: list[str] = field(default_factory=list)
    functions: int = 0
    changed: int = 0
    carried_forward: int = 0
    bytes_added: int = 0
    duration: float = 0.0
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def partial(self) -> bool:
        return bool(self.errors)

    def as_dict(self) -> dict[str, Any]:
        return {
            "snapshot": self.snapshot_id,
            "regions": self.regions,
            "functions": self.functions,
            "changed": self.changed,
            "carried_forward": self.carried_forward,
            "bytes_added": self.bytes_added,
            "duration_seconds": round(self.duration, 3),
            "warnings": self.warnings,
            "errors": self.errors,
        }


def fingerprint(listed: dict[str, Any]) -> str:
    """What list_functions says about a function; equal fingerprints mean nothing to capture again."""
    return stable_hash({"code": listed.get("CodeSha256"), "revision": listed.get("RevisionId"), "listed": listed})


def file_keys(obj: Any) -> Iterator[str]:
    """Every stored-file key a captured record names (kinds store them under "file")."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k == "file" and isinstance(v, str):
                yield v
            else:
                yield from file_keys(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from file_keys(v)


def scope_key(account: str, regions: list[str], options: BackupOptions) -> str:
    """What a backup covers. The previous snapshot of the same scope is the one to compare with:
    shards or region subsets backed up in turn must not make each other look new."""
    return stable_hash(
        {
            "account": account,
            "regions": sorted(regions),
            "functions": sorted(options.functions),
            "tags": options.tags,
            "shard": list(options.shard) if options.shard else None,
        }
    )[:16]


def previous_snapshot(repo: Repository, scope: str) -> Snapshot | None:
    """The newest snapshot of this scope; else the newest of any (its records still match by key)."""
    infos = repo.snapshots()
    if not infos:
        return None
    same = [i for i in infos if i.summary.get("scope") == scope]
    try:
        return repo.load_snapshot((same or infos)[-1].id)
    except SnapshotNotFound:
        return None


def run_backup(aws: Aws, repo: Repository, options: BackupOptions, progress: Progress | None = None) -> BackupResult:
    started = time.monotonic()
    result = BackupResult()
    account = aws.account_id()
    regions = aws.resolve_regions(options.regions)
    result.regions = regions
    scope = scope_key(account, regions, options)
    prev = previous_snapshot(repo, scope)
    prev_body = BackupBody.model_validate(prev.body) if prev else BackupBody()
    prev_records = {r.key: r for r in prev_body.functions}
    prev_files: dict[str, FileRef] = prev.files if prev else {}
    cache: dict[str, Any] = {"known_files": set(prev_files), "include_roles": options.include_roles}
    new_files: dict[str, FileRef] = {}
    lock = threading.Lock()
    records: list[FunctionRecord] = []

    with repo.writer() as writer:

        def put_file(data: bytes) -> str:
            ref = writer.put_file(data)
            key = code_sha256(data)
            with lock:
                new_files[key] = ref
            return key

        def one_region(region: str) -> None:
            try:
                outcome = _backup_region(aws, account, region, options, prev_records, put_file, cache, progress)
            except Exception as exc:  # noqa: BLE001 - one region's failure must not lose the others
                stale = [r for r in prev_records.values() if r.account == account and r.region == region]
                with lock:
                    result.errors.append(f"region {region}: {describe(exc)}")
                    records.extend(stale)  # a failed read must not drop functions from the latest snapshot
                    result.carried_forward += len(stale)
                return
            with lock:
                records.extend(outcome.records)
                result.changed += outcome.changed
                result.carried_forward += outcome.carried
                result.warnings.extend(outcome.warnings)
                result.errors.extend(outcome.errors)

        with ThreadPoolExecutor(max_workers=max(1, min(4, len(regions)))) as pool:
            list(pool.map(one_region, regions))

        records.sort(key=lambda r: (r.account, r.region, r.name))
        files: dict[str, FileRef] = {}
        for rec in records:
            for key in file_keys(rec.items):
                ref = new_files.get(key) or prev_files.get(key)
                if ref is None:  # cannot happen unless a kind names a file it never stored
                    raise LambdaArkError(f"function {rec.key} names file {key} that was not stored")
                files[key] = ref
        body = BackupBody(regions={account: regions}, functions=records, notes=sorted(set(result.warnings)))
        result.functions = len(records)
        writer.flush()  # so the summary can say what this run added
        summary = {
            "scope": scope,
            "bytes_added": writer.bytes_added,
            "functions": result.functions,
            "changed": result.changed,
            "carried_forward": result.carried_forward,
            "regions": len(regions),
            "errors": len(result.errors),
        }
        snapshot = Snapshot(
            time=datetime.now(UTC),
            host=socket.gethostname(),
            tags=[
                *options.snapshot_tags,
                # shards are separate series: retention (forget groups by tags) keeps each one's history
                *([f"shard-{options.shard[0]}-of-{options.shard[1]}"] if options.shard else []),
                *(["partial"] if result.errors else []),
            ],
            parent=prev.id if prev else None,
            summary=summary,
            body=body.model_dump(mode="json"),
            files=files,
        )
        result.snapshot_id = writer.commit(snapshot)
        result.bytes_added = writer.bytes_added
    result.duration = time.monotonic() - started
    return result


@dataclass
class _RegionOutcome:
    records: list[FunctionRecord] = field(default_factory=list)
    changed: int = 0
    carried: int = 0
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _selected_functions(aws: Aws, region: str, options: BackupOptions) -> list[dict[str, Any]]:
    client = aws.client("lambda", region)
    fns = [
        f
        for f in pages(client, "list_functions", "Functions")
        if name_matches(f["FunctionName"], options.functions) and in_shard(f["FunctionArn"], options.shard)
    ]
    if options.tags:
        tagged = _tagged_function_arns(aws, region, options.tags)
        fns = [f for f in fns if f["FunctionArn"] in tagged]
    return fns


def _tagged_function_arns(aws: Aws, region: str, tags: dict[str, str]) -> set[str]:
    """Functions carrying all `tags`, from one paged Resource Groups Tagging API listing per region
    (not one ListTags call per function)."""
    filters = [{"Key": k, "Values": [v]} for k, v in tags.items()]
    client = aws.client("resourcegroupstaggingapi", region)
    listed = pages(
        client, "get_resources", "ResourceTagMappingList", ResourceTypeFilters=["lambda:function"], TagFilters=filters
    )
    return {m["ResourceARN"] for m in listed}


def _backup_region(
    aws: Aws,
    account: str,
    region: str,
    options: BackupOptions,
    prev: dict[str, FunctionRecord],
    put_file: Callable[[bytes], str],
    cache: dict[str, Any],
    progress: Progress | None,
) -> _RegionOutcome:
    out = _RegionOutcome()
    fns = _selected_functions(aws, region, options)
    if progress:
        progress("total", region, len(fns))
    if not fns:
        return out
    ctx = RegionContext(aws=aws, account=account, region=region, put_file=put_file, cache=cache)
    # One listing per region for region-scoped kinds, however many functions there are.
    indexes = {k.NAME: k.discover(ctx) for k in KINDS if k.SCOPE == "region"}
    lock = threading.Lock()

    def one(fn: dict[str, Any]) -> None:
        try:
            record, changed = _capture_function(ctx, fn, indexes, prev, options, account, region)
        except Exception as exc:  # noqa: BLE001 - one function's failure is data, not the end of the run
            with lock:
                if isinstance(exc, AwsError) and error_code(exc) == "ResourceNotFoundException":
                    out.warnings.append(f"function {fn['FunctionName']} in {region} was deleted during backup ({exc})")
                else:
                    out.errors.append(f"function {fn['FunctionName']} in {region}: {describe(exc)}")
                    stale = prev.get(f"{account}/{region}/{fn['FunctionName']}")
                    if stale is not None:  # keep the last good capture rather than lose the function
                        out.records.append(stale)
                        out.carried += 1
                        out.warnings.append(f"function {fn['FunctionName']} in {region}: previous capture kept")
        else:
            with lock:
                out.records.append(record)
                out.changed += changed
                out.carried += not changed
        if progress:
            progress("advance", region, 1)

    with ThreadPoolExecutor(max_workers=max(1, options.workers)) as pool:
        list(pool.map(one, fns))
    out.warnings.extend(ctx.warnings)
    return out


def recapture_due(old: FunctionRecord, now: datetime, after: timedelta | None) -> bool:
    """Whether an unchanged function's capture is old enough to read again.

    Each function comes due somewhere in [after/2, after] (fixed by its ARN), so an estate first
    captured in one run is re-read over several runs rather than all at once.
    """
    if after is None:
        return False
    if old.captured_at is None:
        return True
    share = 0.5 + (int.from_bytes(hashlib.sha256(old.arn.encode()).digest()[:2], "big") % 501) / 1000
    return now - old.captured_at >= after * share


def _capture_function(
    ctx: RegionContext,
    fn: dict[str, Any],
    indexes: dict[str, Any],
    prev: dict[str, FunctionRecord],
    options: BackupOptions,
    account: str,
    region: str,
) -> tuple[FunctionRecord, bool]:
    fp = fingerprint(fn)
    key = f"{account}/{region}/{fn['FunctionName']}"
    old = prev.get(key)
    now = datetime.now(UTC)
    changed = options.full or old is None or old.fingerprint != fp or recapture_due(old, now, options.recapture_after)
    items: dict[str, Any] = {}
    for kind in KINDS:
        if kind.SCOPE == "region":
            data = kind.capture(ctx, indexes[kind.NAME], fn)
        elif changed:
            data = kind.capture(ctx, None, fn)
        else:
            data = old.items.get(kind.NAME) if old else None
        if data is not None:
            items[kind.NAME] = data
    record = FunctionRecord(
        account=account,
        region=region,
        name=fn["FunctionName"],
        arn=fn["FunctionArn"],
        fingerprint=fp,
        captured_at=now if changed or old is None else old.captured_at,
        items=items,
    )
    return record, changed
