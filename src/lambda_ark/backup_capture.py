"""Capture, one region at a time: list again the region-scoped kinds that need it, read each function
as `capture_plan` decides (in full, only the kinds the change feed names, or not at all) and carry
the rest forward from the previous snapshot.

Failures stay as small as they can: a region-scoped kind whose listing fails costs that kind (its
previous capture is kept), a function-scoped kind failing for one function costs that function
(its previous capture is kept), and everything else is still captured.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from .aws import error_code
from .backup_select import published_versions, worth_listing_versions
from .capture_plan import FunctionPlan, fingerprint, plan_function, plan_region, recapture_due
from .change_feed import Change, FeedIndex
from .errors import AwsError, LambdaArkError, describe
from .kinds import KINDS
from .kinds.base import RegionContext
from .kinds.common import seed_versions
from .kinds.coverage import not_captured
from .kinds.mappings import discover as mapping_index
from .model import FunctionRecord
from .parallel import parallel_map
from .repository import FileRef

if TYPE_CHECKING:
    from .backup import BackupOptions

Progress = Callable[[str, str, int], None]  # (event "total"|"advance", region, n)


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


@dataclass
class Previous:
    """What the previous snapshot offers this run: its records, and which of its files are gone."""

    records: dict[str, FunctionRecord] = field(default_factory=dict)
    missing: set[str] = field(default_factory=set)  # file keys whose data the repository lost
    # "account/region" -> region-scoped kind -> when it was last listed
    listed: dict[str, dict[str, datetime]] = field(default_factory=dict)
    covered: datetime | None = None  # every change before this time is reflected in it (backup_feed)

    def usable(self, record: FunctionRecord) -> bool:
        """Whether `record` can be carried forward: every file it names is still stored."""
        return not self.missing or not any(k in self.missing for k in file_keys(record.items))

    def item(self, key: str, kind: str) -> Any:
        """The previous capture of one kind of one function, if it can be carried forward."""
        old = self.records.get(key)
        data = old.items.get(kind) if old else None
        return None if data is None or any(k in self.missing for k in file_keys(data)) else data


@dataclass
class RegionOutcome:
    records: list[FunctionRecord] = field(default_factory=list)
    captured: int = 0
    unchanged: int = 0
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)  # names of functions an error is about
    failed_region: bool = False  # the region, or a region-wide listing, failed
    listed: dict[str, datetime] = field(default_factory=dict)  # region-scoped kinds listed now, and when
    acted_on: list[Change] = field(default_factory=list)  # the feed's changes this run read again


@dataclass
class RegionFeed:
    """What the change feed says about one region, and what the previous snapshot knows of it."""

    index: FeedIndex = field(default_factory=lambda: FeedIndex([]))
    complete: bool = False
    last_listed: dict[str, datetime] = field(default_factory=dict)  # region-scoped kind -> last listing


def wanted(kind: Any, options: BackupOptions) -> bool:
    """Whether this run records `kind` (BackupOptions.kinds narrows; the function is always recorded)."""
    return options.kinds is None or kind.NAME == "function" or kind.NAME in options.kinds


# Region-scoped listings run this many at a time per region (each is a different service).
_DISCOVERY_WORKERS = 4

# Kinds without which nothing else of the function makes sense: their failure falls the whole
# function back to its previous capture. Any other kind failing keeps only its own previous capture.
_WHOLE_FUNCTION = frozenset({"function", "versions"})


def _gone(exc: Exception) -> bool:
    """The function was deleted while being captured (handled as a warning for the whole function)."""
    return isinstance(exc, AwsError) and error_code(exc) == "ResourceNotFoundException"


class _KindFailed(Exception):
    """One kind's capture of one function failed; says which kind, keeps AWS's error as the cause."""

    def __init__(self, kind: str, cause: Exception) -> None:
        super().__init__(kind, cause)
        self.kind, self.cause = kind, cause


def backup_region(
    ctx: RegionContext,
    fns: list[dict[str, Any]],
    prev: Previous,
    options: BackupOptions,
    progress: Progress | None,
    feed: RegionFeed | None = None,
) -> RegionOutcome:
    out = RegionOutcome()
    if not fns:
        return out
    feed = feed or RegionFeed()
    region = ctx.region
    now = datetime.now(UTC)
    plans = _plans(ctx, fns, prev, options, feed, now)
    fresh = sum(p.fresh for p in plans.values())
    ctx.cache.setdefault("planned", {})[region] = fresh  # kinds choose bulk listings when many are read
    known = sum(len(prev.item(_key(ctx, fn), "versions") or []) for fn in fns)
    if worth_listing_versions(len(fns), known, fresh):
        seed_versions(ctx.cache, region, published_versions(ctx.client("lambda"), {f["FunctionName"] for f in fns}))
    # One listing per region for region-scoped kinds, however many functions there are; the services
    # are independent, so their listings run side by side (a run costs the slowest, not the sum). A
    # listing that fails costs that kind only: each function keeps the kind's previous capture.
    named = feed.index.regional(region)
    to_list = plan_region(
        feed_complete=feed.complete, full=options.full, named=named, last_listed=feed.last_listed,
        unknown_functions=any(prev.records.get(_key(ctx, fn)) is None for fn in fns), now=now,
        every=options.recapture_after,
    )
    indexes: dict[str, Any] = {}
    failed_kinds: set[str] = set()

    def discover(kind: Any) -> tuple[Any, datetime, Exception | None]:
        started = datetime.now(UTC)
        try:
            return kind.discover(ctx), started, None
        except Exception as exc:  # noqa: BLE001 - one service's failure must not cost the region
            return None, started, exc

    region_kinds = [k for k in KINDS if k.SCOPE == "region" and wanted(k, options) and k.NAME in to_list]
    for kind, (index, started, exc) in zip(
        region_kinds, parallel_map(discover, region_kinds, _DISCOVERY_WORKERS), strict=True
    ):
        if exc is None:
            indexes[kind.NAME] = index
            out.listed[kind.NAME] = started
        else:
            failed_kinds.add(kind.NAME)
            out.failed_region = True
            out.errors.append(f"{kind.NAME} in {region}: {describe(exc)} (its previous capture was kept)")
    out.acted_on.extend(c for c in named if c.kind in out.listed)
    lock = threading.Lock()
    kind_failures: list[tuple[str, str, Exception]] = []

    def one(fn: dict[str, Any]) -> None:
        name = fn["FunctionName"]
        plan = plans[name]

        def kind_failed(kind: str, exc: Exception) -> None:
            with lock:
                kind_failures.append((kind, name, exc))

        try:
            record = _capture_function(ctx, fn, plan, indexes, failed_kinds, prev, options, kind_failed)
        except Exception as exc:  # noqa: BLE001 - one function's failure is data, not the end of the run
            with lock:
                _function_failed(out, prev, ctx, name, exc)
        else:
            with lock:
                out.records.append(record)
                out.captured += plan.reads
                out.unchanged += not plan.reads
                out.acted_on.extend(plan.why)
        if progress:
            progress("advance", region, 1)

    parallel_map(one, fns, options.workers)
    out.warnings.extend(ctx.warnings)
    out.errors.extend(_grouped(kind_failures, region))
    out.failed.extend(name for _, name, _ in kind_failures)
    return out


def _key(ctx: RegionContext, fn: dict[str, Any]) -> str:
    return f"{ctx.account}/{ctx.region}/{fn['FunctionName']}"


def _plans(
    ctx: RegionContext, fns: list[dict[str, Any]], prev: Previous, options: BackupOptions, feed: RegionFeed,
    now: datetime,
) -> dict[str, FunctionPlan]:
    """Each function's plan, decided before any capture (kinds pick bulk listings by the count)."""
    uuids = _mapping_uuids(ctx, feed.index)
    plans = {}
    for fn in fns:
        old = prev.records.get(_key(ctx, fn))
        signing = ((old.items.get("code_signing") or {}).get("arn") if old else None) or ""
        resources = {"mapping_tags": uuids.get(fn["FunctionArn"], set()), "code_signing": {signing} - {""}}
        named = feed.index.for_function(ctx.region, fn["FunctionName"], str(fn.get("Role", "")), resources)
        plans[fn["FunctionName"]] = plan_function(
            old, fingerprint(fn), usable=old is None or prev.usable(old),
            full=options.full or _key(ctx, fn) in options.recapture,
            due=old is not None and recapture_due(old, now, options.recapture_after), named=named,
        )
    return plans


def _mapping_uuids(ctx: RegionContext, index: FeedIndex) -> dict[str, set[str]]:
    """Event source mapping UUIDs by function ARN, when the feed names a mapping only by its UUID (a
    tag change); one listing per region, shared with the mappings kind."""
    if not any(c.kind == "mapping_tags" and c.region == ctx.region for c in index.by_resource):
        return {}
    out: dict[str, set[str]] = {}
    for fn_arn, found in mapping_index(ctx).items():
        out.setdefault(fn_arn, set()).update(str(m.get("UUID", "")) for m in found)
    return out


def _grouped(failures: list[tuple[str, str, Exception]], region: str) -> list[str]:
    """One line per kind and AWS error code: a permission missing for one call fails it for every
    function, and a thousand lines would hide the one thing to fix."""
    groups: dict[tuple[str, str], list[tuple[str, Exception]]] = {}
    for kind, name, exc in failures:
        groups.setdefault((kind, error_code(exc)), []).append((name, exc))
    out = []
    for (kind, _), items in groups.items():
        names = sorted(n for n, _ in items)
        who = names[0] if len(names) == 1 else f"{names[0]} and {len(names) - 1} more functions"
        out.append(f"{kind} of {who} in {region}: {describe(items[0][1])} (previous capture of {kind} kept)")
    return out


def _function_failed(out: RegionOutcome, prev: Previous, ctx: RegionContext, name: str, exc: Exception) -> None:
    region = ctx.region
    kind = ""
    if isinstance(exc, _KindFailed):
        kind, exc = f"{exc.kind}: ", exc.cause
    if isinstance(exc, AwsError) and error_code(exc) == "ResourceNotFoundException":
        out.warnings.append(f"function {name} in {region} was deleted during backup ({exc})")
        return
    error = f"function {name} in {region}: {kind}{describe(exc)}"
    out.failed.append(name)
    stale = prev.records.get(f"{ctx.account}/{region}/{name}")
    if stale is not None and prev.usable(stale):  # keep the last good capture rather than lose the function
        out.records.append(stale)
        out.unchanged += 1
        out.warnings.append(f"function {name} in {region}: previous capture kept")
    elif stale is not None:
        error += " (its previous capture names data missing from the repository: left out of this snapshot)"
    out.errors.append(error)


def _capture_function(
    ctx: RegionContext,
    fn: dict[str, Any],
    plan: FunctionPlan,
    indexes: dict[str, Any],
    failed_kinds: set[str],
    prev: Previous,
    options: BackupOptions,
    kind_failed: Callable[[str, Exception], None],
) -> FunctionRecord:
    key = _key(ctx, fn)
    old = prev.records.get(key)
    now = datetime.now(UTC)
    items: dict[str, Any] = {}
    for kind in KINDS:
        if not wanted(kind, options):
            continue
        read = kind.NAME in plan.kinds if kind.SCOPE == "function" else kind.NAME in indexes
        if kind.NAME in failed_kinds or not read:
            data = prev.item(key, kind.NAME)
        else:
            try:
                data = kind.capture(ctx, indexes.get(kind.NAME), fn)
            except Exception as exc:  # noqa: BLE001 - named by kind, handled per function by the caller
                if kind.NAME in _WHOLE_FUNCTION or _gone(exc):
                    raise _KindFailed(kind.NAME, exc) from exc
                # one service (one permission) failing costs that kind, not the function's capture
                kind_failed(kind.NAME, exc)
                data = prev.item(key, kind.NAME)
        if data is not None:
            items[kind.NAME] = data
    record = FunctionRecord(
        account=ctx.account,
        region=ctx.region,
        name=fn["FunctionName"],
        arn=fn["FunctionArn"],
        fingerprint=fingerprint(fn),
        captured_at=now if plan.fresh or old is None else old.captured_at,
        items=items,
    )
    # nothing invisible: an invoker the policy lets in that no kind captured is said, every run
    record.not_captured = not_captured({"account": ctx.account, "region": ctx.region, "arn": fn["FunctionArn"],
                                        "items": items}, KINDS)
    ctx.warnings.extend(f"function {fn['FunctionName']} in {ctx.region}: {line}" for line in record.not_captured)
    return record


def known_layers(prev: Previous) -> dict[str, dict[str, Any]]:
    """Layer versions the previous snapshot holds with their content, by ARN (they never change)."""
    out: dict[str, dict[str, Any]] = {}
    for key in prev.records:
        for layer in prev.item(key, "layers") or []:
            if not layer.get("external"):
                out[layer["arn"]] = layer
    return out


def files_of(
    records: list[FunctionRecord], new_files: dict[str, FileRef], available: dict[str, FileRef]
) -> dict[str, FileRef]:
    """The snapshot's file table. Every key a record names was stored by this run or is still in the
    repository; anything else would be a snapshot that cannot be restored, so none is written."""
    files: dict[str, FileRef] = {}
    for rec in records:
        for key in file_keys(rec.items):
            ref = new_files.get(key) or available.get(key)
            if ref is None:
                raise LambdaArkError(
                    f"no snapshot written: function {rec.key} names file {key}, which this run did not store "
                    "and the repository does not have"
                )
            files[key] = ref
    return files
