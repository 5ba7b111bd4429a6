"""The change feed inside one backup run: which feed to trust, what each region needs to know of it,
what the new snapshot covers for the next run, and the RPO of every change it reads again.

Coverage is the time before which every change is reflected in a snapshot. The next run asks
CloudTrail from there. A snapshot covers at least what its predecessor covered; with a complete
feed, also everything up to its lookup minus CloudTrail's delivery delay; and when every function
and every region listing was read afresh, everything up to the oldest of those reads. A run with
errors (some kind kept an older capture) claims no more than its predecessor.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from .aws import Aws
from .backup_capture import Previous, RegionFeed, RegionOutcome
from .capture_plan import REGION_KINDS
from .change_feed import Change, Feed, from_cloudtrail
from .model import FunctionRecord

if TYPE_CHECKING:
    from .backup import BackupOptions

RPO_KEPT = 100  # changes listed in a snapshot's summary (the count says how many there were)


def choose_feed(aws: Aws, regions: list[str], prev: Previous, options: BackupOptions, now: datetime) -> Feed:
    """The feed this run trusts: watch's events, CloudTrail since the previous coverage, or none."""
    if options.feed is not None:
        return _events(aws, regions, prev, options, options.feed, now)
    if not prev.records and prev.covered is None:
        return Feed.none("no previous snapshot of this scope: everything is read")
    if options.full:
        return Feed.none("--full: everything is read")
    if not options.change_feed:
        return Feed.none("--no-change-feed")
    if prev.covered is None:
        return Feed.none("the previous snapshot does not say what it covers (written without a change feed)")
    return from_cloudtrail(aws, regions, prev.covered, now, include_iam=options.include_roles,
                           delay=options.feed_delay)


def _events(aws: Aws, regions: list[str], prev: Previous, options: BackupOptions, feed: Feed, now: datetime) -> Feed:
    """Watch's events are every change since its queues exist; what came before them and after the
    previous snapshot's coverage is asked of CloudTrail (one lookup, while a new queue fills)."""
    if feed.events_since is None or (prev.covered is not None and prev.covered >= feed.events_since):
        return feed
    if prev.covered is None:
        why = "the previous snapshot does not say what it covers" if prev.records else "no previous snapshot"
        return replace(feed, complete=False, reason=f"{why}: changes from before the watch's queues may be missing")
    gap = from_cloudtrail(aws, regions, prev.covered, now, include_iam=options.include_roles, delay=feed.delay)
    if not gap.complete:
        return replace(feed, complete=False, reason=f"changes from before the watch's queues: {gap.reason}")
    return replace(feed, changes=[*feed.changes, *gap.changes])


def region_feeds(feed: Feed, prev: Previous, account: str, regions: Iterable[str]) -> dict[str, RegionFeed]:
    index = feed.index()
    return {
        r: RegionFeed(index=index, complete=feed.complete, last_listed=dict(prev.listed.get(f"{account}/{r}", {})))
        for r in regions
    }


def listed_times(prev: Previous, account: str, outcomes: dict[str, RegionOutcome]) -> dict[str, dict[str, datetime]]:
    """When each region-scoped kind was last listed, per "account/region": now where it was, else as
    the previous snapshot had it (regions this run did not reach keep theirs)."""
    out = {k: dict(v) for k, v in prev.listed.items()}
    for region, outcome in outcomes.items():
        out.setdefault(f"{account}/{region}", {}).update(outcome.listed)
    return out


def coverage(
    prev: Previous,
    feed: Feed,
    records: list[FunctionRecord],
    listed: dict[str, dict[str, datetime]],
    account: str,
    regions: list[str],
    errors: bool,
) -> datetime | None:
    """What the new snapshot covers (see the module's docstring)."""
    if errors:
        return prev.covered
    candidates = [t for t in (prev.covered, feed.covered(), _oldest_read(records, listed, account, regions)) if t]
    return max(candidates) if candidates else None


def _oldest_read(
    records: list[FunctionRecord], listed: dict[str, dict[str, datetime]], account: str, regions: list[str]
) -> datetime | None:
    times: list[datetime | None] = [r.captured_at for r in records]
    for region in regions:
        kinds = listed.get(f"{account}/{region}", {})
        times.extend(kinds.get(k) for k in REGION_KINDS)
    if not times or any(t is None for t in times):
        return None
    return min(t for t in times if t is not None)


def rpo(changes: Iterable[Change], committed: datetime) -> list[dict[str, Any]]:
    """One line per change read again: what, which event, when, and how long until this snapshot."""
    seen: set[tuple[str, str, str]] = set()
    out: list[dict[str, Any]] = []
    for c in sorted(changes, key=lambda c: (c.time or committed, c.target())):
        key = (c.target(), c.event, c.time.isoformat() if c.time else "")
        if key in seen:
            continue
        seen.add(key)
        out.append({
            "change": c.target(),
            "event": c.event,
            "event_time": c.time.astimezone(UTC).isoformat() if c.time else None,
            "rpo_seconds": round((committed - c.time).total_seconds(), 3) if c.time else None,
        })
    return out
