"""Restore a snapshot into the same or another region/account, in dependency order.

Planning and applying are one walk: every kind compares the snapshot with the live target and
either reports the change (plan, dry run) or makes it (apply). Kinds run kind-major (all layers,
then all functions, then all versions, ...) so a trigger that names another restored function finds
it already there. A second apply of the same snapshot reports only "unchanged": that is also how a
restore is verified.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from ..aws import Aws
from ..errors import UsageError, describe
from ..kinds import KINDS
from ..kinds.base import Change, RestoreContext
from ..model import BackupBody, FunctionRecord
from ..repository import Repository, Snapshot
from ..selection import name_matches
from .arns import ArnMapper


@dataclass
class RestoreOptions:
    functions: list[str] = field(default_factory=list)  # name globs; empty: all
    regions: list[str] = field(default_factory=list)  # source regions to restore; empty: all
    region_map: dict[str, str] = field(default_factory=dict)
    to_region: str | None = None  # every source region -> this one
    to_account: str | None = None
    name_prefix: str = ""
    name_suffix: str = ""
    arn_map: dict[str, str] = field(default_factory=dict)  # explicit whole-ARN overrides


@dataclass
class RestoreResult:
    snapshot_id: str
    dry_run: bool
    changes: list[Change] = field(default_factory=list)
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
            "changes": [c.as_dict() for c in self.changes],
        }


def select_records(body: BackupBody, options: RestoreOptions) -> list[FunctionRecord]:
    return [
        r
        for r in body.functions
        if name_matches(r.name, options.functions) and (not options.regions or r.region in options.regions)
    ]


def validate_options(aws: Aws, options: RestoreOptions) -> None:
    """Reject bad targets before anything is read or written."""
    known = aws.known_regions()
    for region in [*options.region_map.values(), *([options.to_region] if options.to_region else [])]:
        if region not in known:
            raise UsageError(f"unknown target region {region!r}")
    if options.to_account and not (options.to_account.isdigit() and len(options.to_account) == 12):
        raise UsageError(f"malformed account id {options.to_account!r}: expected 12 digits")


def build_mapper(aws: Aws, records: list[FunctionRecord], options: RestoreOptions) -> ArnMapper:
    validate_options(aws, options)
    region_map = dict(options.region_map)
    if options.to_region:
        region_map = {r.region: options.to_region for r in records} | region_map
    account_map = {r.account: options.to_account for r in records} if options.to_account else {}
    return ArnMapper(
        region_map=region_map,
        account_map=account_map,
        name_prefix=options.name_prefix,
        name_suffix=options.name_suffix,
        renamed_functions={r.name for r in records},
        explicit=dict(options.arn_map),
    )


ChangeCallback = Callable[[Change], None]


def run_restore(
    aws: Aws,
    repo: Repository,
    snapshot: Snapshot,
    options: RestoreOptions,
    *,
    dry_run: bool,
    on_change: ChangeCallback | None = None,
) -> RestoreResult:
    started = time.monotonic()
    body = BackupBody.model_validate(snapshot.body)
    records = select_records(body, options)
    mapper = build_mapper(aws, records, options)

    # A function's package is read for create, for each version published from it and to reset
    # $LATEST afterwards: keep the last few rebuilt (a package is at most 50 MB zipped).
    @functools.lru_cache(maxsize=4)
    def read_file(key: str) -> bytes:
        return repo.read_file(snapshot.files[key])

    ctx = RestoreContext(aws=aws, mapper=mapper, read_file=read_file, dry_run=dry_run)
    result = RestoreResult(snapshot_id=snapshot.id, dry_run=dry_run)
    broken: set[str] = set()  # functions whose earlier kind failed: later kinds would only fail again
    lock = threading.Lock()

    def one(kind: ModuleType, rec: FunctionRecord) -> list[Change]:
        target = f"{mapper.function_name(rec.name)} ({mapper.region(rec.region)})"
        if rec.key in broken:
            return [Change(kind.NAME, target, "skipped", "an earlier step of this function failed")]
        try:
            changes: list[Change] = _plan_or_restore(kind, ctx, rec.model_dump(mode="json"), rec.items[kind.NAME])
        except Exception as exc:  # noqa: BLE001 - one item's failure is reported, the rest restored
            changes = [Change(kind.NAME, target, "failed", describe(exc))]
        if any(c.action == "failed" for c in changes) and kind.NAME in _BLOCKING:
            with lock:
                broken.add(rec.key)
        if on_change:
            with lock:
                for c in changes:
                    on_change(c)
        return changes

    with ThreadPoolExecutor(max_workers=max(1, aws.max_workers)) as pool:
        for kind in KINDS:
            todo = [rec for rec in records if rec.items.get(kind.NAME) is not None]
            if getattr(kind, "PARALLEL", False):
                # functions are independent at this step: restore time is the slowest function's,
                # not the sum (the recovery time objective is what a restore is judged by)
                outcomes = list(pool.map(lambda rec, k=kind: one(k, rec), todo))
            else:  # kinds that share state across functions (a layer, an API) go one by one
                outcomes = [one(kind, rec) for rec in todo]
            for changes in outcomes:
                result.changes.extend(changes)
    result.duration = time.monotonic() - started
    return result


def _plan_or_restore(kind: ModuleType, ctx: RestoreContext, record: dict[str, Any], data: Any) -> list[Change]:
    """Kinds written as plan-then-apply (`plan`) and kinds still written as one walk (`restore`)."""
    if not hasattr(kind, "plan"):
        return kind.restore(ctx, record, data)  # type: ignore[no-any-return]
    changes: list[Change] = kind.plan(ctx, record, data)
    if ctx.dry_run:
        return changes
    for c in changes:
        if c.apply is not None:
            try:
                detail = c.apply()
            except Exception as exc:  # noqa: BLE001 - this change failed; the rest are still tried
                c.action, c.detail = "failed", describe(exc)
                continue
            if detail:
                c.detail = detail
    return changes


# Kinds without which the rest of a function's restore cannot work.
_BLOCKING = {"role", "layers", "function", "versions"}
