"""Capture, one region at a time: select functions, read region-wide listings once, capture each
function whose fingerprint changed and carry the rest forward.

Failures stay as small as they can: a region-scoped kind whose listing fails costs that kind (its
previous capture is kept), a function-scoped kind failing for one function costs that function
(its previous capture is kept), and everything else is still captured.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from .aws import Aws, error_code
from .errors import AwsError, describe
from .kinds import KINDS
from .kinds.base import RegionContext
from .kinds.common import pages, stable_hash
from .kinds.coverage import not_captured
from .model import FunctionRecord
from .parallel import parallel_map
from .selection import in_shard, name_matches

if TYPE_CHECKING:
    from .backup import BackupOptions

Progress = Callable[[str, str, int], None]  # (event "total"|"advance", region, n)


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


def select_functions(aws: Aws, region: str, options: BackupOptions) -> list[dict[str, Any]]:
    """The region's functions this run covers (names, shard, tags), as list_functions describes them."""
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


@dataclass
class Previous:
    """What the previous snapshot offers this run: its records, and which of its files are gone."""

    records: dict[str, FunctionRecord] = field(default_factory=dict)
    missing: set[str] = field(default_factory=set)  # file keys whose data the repository lost

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
) -> RegionOutcome:
    out = RegionOutcome()
    if not fns:
        return out
    region = ctx.region
    # One listing per region for region-scoped kinds, however many functions there are; the services
    # are independent, so their listings run side by side (a run costs the slowest, not the sum). A
    # listing that fails costs that kind only: each function keeps the kind's previous capture.
    indexes: dict[str, Any] = {}
    failed_kinds: set[str] = set()

    def discover(kind: Any) -> tuple[Any, Exception | None]:
        try:
            return kind.discover(ctx), None
        except Exception as exc:  # noqa: BLE001 - one service's failure must not cost the region
            return None, exc

    region_kinds = [kind for kind in KINDS if kind.SCOPE == "region" and wanted(kind, options)]
    for kind, (index, exc) in zip(region_kinds, parallel_map(discover, region_kinds, _DISCOVERY_WORKERS),
                                  strict=True):
        if exc is None:
            indexes[kind.NAME] = index
        else:
            failed_kinds.add(kind.NAME)
            out.failed_region = True
            out.errors.append(f"{kind.NAME} in {region}: {describe(exc)} (its previous capture was kept)")
    lock = threading.Lock()
    kind_failures: list[tuple[str, str, Exception]] = []

    def one(fn: dict[str, Any]) -> None:
        name = fn["FunctionName"]

        def kind_failed(kind: str, exc: Exception) -> None:
            with lock:
                kind_failures.append((kind, name, exc))

        try:
            record, captured = _capture_function(ctx, fn, indexes, failed_kinds, prev, options, kind_failed)
        except Exception as exc:  # noqa: BLE001 - one function's failure is data, not the end of the run
            with lock:
                _function_failed(out, prev, ctx, name, exc)
        else:
            with lock:
                out.records.append(record)
                out.captured += captured
                out.unchanged += not captured
        if progress:
            progress("advance", region, 1)

    parallel_map(one, fns, options.workers)
    out.failed.extend(name for _, name, _ in kind_failures)
    out.warnings.extend(ctx.warnings)
    out.errors.extend(_grouped(kind_failures, region))
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
    indexes: dict[str, Any],
    failed_kinds: set[str],
    prev: Previous,
    options: BackupOptions,
    kind_failed: Callable[[str, Exception], None],
) -> tuple[FunctionRecord, bool]:
    fp = fingerprint(fn)
    key = f"{ctx.account}/{ctx.region}/{fn['FunctionName']}"
    old = prev.records.get(key)
    now = datetime.now(UTC)
    captured = (
        options.full
        or key in options.recapture
        or old is None
        or old.fingerprint != fp
        or not prev.usable(old)  # its stored data is gone: read it from AWS again
        or recapture_due(old, now, options.recapture_after)
    )
    items: dict[str, Any] = {}
    for kind in KINDS:
        if not wanted(kind, options):
            continue
        if kind.NAME in failed_kinds or (kind.SCOPE == "function" and not captured):
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
        fingerprint=fp,
        captured_at=now if captured or old is None else old.captured_at,
        items=items,
    )
    # nothing invisible: an invoker the policy lets in that no kind captured is said, every run
    record.not_captured = not_captured({"account": ctx.account, "region": ctx.region, "arn": fn["FunctionArn"],
                                        "items": items}, KINDS)
    ctx.warnings.extend(f"function {fn['FunctionName']} in {ctx.region}: {line}" for line in record.not_captured)
    return record, captured
