"""`lambda-ark history FUNCTION`: a function's changes across snapshots, joined with the CloudTrail
events that made them (who, when, from where).

Changes are field names only (`repository.diff.changed_fields`: never values, never inside
environment variables). CloudTrail events are reduced to their name, time, caller, source address
and user agent: their request parameters (which hold environment values) never leave here. An
event is joined to the first snapshot taken after it; events newer than the newest snapshot are
`pending` (not backed up yet). CloudTrail's times are whole seconds and a snapshot reflects what
its capture read after the backup started, so an event goes with the first snapshot whose backup
started at least a second after the event's time: an event during a backup goes with the next one.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from ..change_feed import (
    RETENTION,
    changes_of,
    lookup_events,  # the change feed's listing (per event source when long)
)
from ..errors import AwsError, UsageError, describe
from ..model import BackupBody, FunctionRecord
from ..repository.diff import changed_fields

if TYPE_CHECKING:
    from ..aws import Aws
    from ..repository import Repository
    from ..repository.models import SnapshotInfo

Lookup = Callable[[str, datetime, datetime], Iterable[dict[str, Any]]]  # (region, since, until) -> events


@dataclass
class TrailEvent:
    time: datetime
    event: str
    who: str
    source_ip: str
    user_agent: str

    def as_dict(self) -> dict[str, Any]:
        return {"time": self.time.isoformat(), "event": self.event, "who": self.who, "from": self.source_ip,
                "user_agent": self.user_agent}


@dataclass
class HistoryEntry:
    key: str  # account/region/name
    snapshot: str
    time: datetime
    change: str  # recorded (first seen) | changed | gone | back
    started: datetime | None = None  # when its backup started reading (summary["started"]); else `time`
    kinds: list[str] = field(default_factory=list)
    fields: list[str] = field(default_factory=list)
    events: list[TrailEvent] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"function": self.key, "snapshot": self.snapshot, "time": self.time.isoformat(),
                "change": self.change, "kinds": self.kinds, "fields": self.fields,
                "events": [e.as_dict() for e in self.events]}


@dataclass
class History:
    function: str
    entries: list[HistoryEntry] = field(default_factory=list)
    pending: list[TrailEvent] = field(default_factory=list)  # after the newest snapshot
    cloudtrail: str = "not asked"  # asked | not asked | the reason it could not be
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"function": self.function, "cloudtrail": self.cloudtrail,
                "changes": [e.as_dict() for e in self.entries], "pending": [e.as_dict() for e in self.pending],
                "warnings": self.warnings}


def _record(info: SnapshotInfo, repo: Repository, function: str) -> dict[str, FunctionRecord]:
    try:
        body = BackupBody.model_validate(repo.load_snapshot(info.id).body)
    except ValidationError:
        return {}
    return {f.key: f for f in body.functions if function in (f.name, f.key)}


def changes(repo: Repository, function: str, since: datetime | None = None) -> History:
    """The function's changes, snapshot by snapshot of each scope (no CloudTrail yet)."""
    history = History(function)
    last: dict[str, FunctionRecord | None] = {}  # key -> its newest record (None: gone)
    members: dict[str, set[str]] = {}  # scope -> the keys its previous snapshot held
    for info in repo.snapshots():
        try:
            found = _record(info, repo, function)
        except Exception as exc:  # noqa: BLE001 - one unreadable snapshot costs only its own step
            history.warnings.append(f"snapshot {info.id[:8]}: {describe(exc)}")
            continue
        scope = str(info.summary.get("scope", ""))
        steps = [_step(key, info, last.get(key), rec, seen=key in last) for key, rec in sorted(found.items())]
        vanished = sorted(members.get(scope, set()) - set(found))
        steps += [_step(key, info, last.get(key), None, seen=True) for key in vanished]
        last.update(found)
        last.update(dict.fromkeys(vanished))
        members[scope] = set(found)
        history.entries += [e for e in steps if e is not None and (since is None or e.time >= since)]
    if not last:
        raise UsageError(f"no snapshot holds a function {function!r} (give its name or account/region/name)")
    return history


def _started(info: SnapshotInfo) -> datetime:
    try:
        return datetime.fromisoformat(str(info.summary["started"]))
    except (KeyError, ValueError):
        return info.time


def _step(key: str, info: SnapshotInfo, before: FunctionRecord | None, now: FunctionRecord | None,
          seen: bool) -> HistoryEntry | None:
    entry = _change(key, info, before, now, seen)
    if entry is not None:
        entry.started = _started(info)
    return entry


def _change(key: str, info: SnapshotInfo, before: FunctionRecord | None, now: FunctionRecord | None,
            seen: bool) -> HistoryEntry | None:
    if now is None:
        return HistoryEntry(key, info.id, info.time, "gone") if before is not None else None
    if before is None:
        return HistoryEntry(key, info.id, info.time, "back" if seen else "recorded", kinds=sorted(now.items))
    kinds = sorted(k for k in before.items.keys() | now.items.keys() if before.items.get(k) != now.items.get(k))
    if not kinds and before.fingerprint == now.fingerprint:
        return None
    return HistoryEntry(key, info.id, info.time, "changed", kinds=kinds, fields=changed_fields(before.items, now.items))


def _trail_event(record: dict[str, Any]) -> TrailEvent:
    who = record.get("userIdentity") or {}
    return TrailEvent(
        time=datetime.strptime(str(record["eventTime"]), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC),
        event=str(record.get("eventName", "")),
        who=str(who.get("arn") or who.get("invokedBy") or who.get("principalId") or who.get("type") or "?"),
        source_ip=str(record.get("sourceIPAddress", "")), user_agent=str(record.get("userAgent", "")),
    )


def events_for(raw: Iterable[dict[str, Any]], name: str) -> list[TrailEvent]:
    """The CloudTrail events (LookupEvents items) that change function `name`, oldest first."""
    out = []
    for item in raw:
        try:
            record = json.loads(item.get("CloudTrailEvent") or "")
            if any(c.function == name for c in changes_of(record)):
                out.append(_trail_event(record))
        except (ValueError, TypeError, KeyError):
            continue  # not a record we can read: it cannot be joined
    return sorted(out, key=lambda e: e.time)


def join(history: History, events: dict[str, list[TrailEvent]]) -> None:
    """Attach each key's events to the first of its entries whose backup started a second or more
    after the event (its time is a whole second); later ones are pending (pure)."""
    for key, found in events.items():
        mine = sorted((e for e in history.entries if e.key == key), key=lambda e: e.time)
        for ev in found:
            entry = next((e for e in mine if (e.started or e.time) >= ev.time + timedelta(seconds=1)), None)
            if entry is None:
                history.pending.append(ev)
            else:
                entry.events.append(ev)


def with_cloudtrail(history: History, aws: Aws, clock: Callable[[], datetime] = lambda: datetime.now(UTC),
                    lookup: Lookup | None = None) -> History:
    """Ask CloudTrail (each region the function lives in, the last 90 days at most) and join."""
    now = clock()
    ask: Lookup = lookup or (lambda region, since, until: lookup_events(aws, region, since, until))
    keys = sorted({e.key for e in history.entries})
    first = min((e.time for e in history.entries), default=now) - timedelta(days=1)
    since = max(first, now - RETENTION + timedelta(minutes=1)).replace(microsecond=0)
    found: dict[str, list[TrailEvent]] = {}
    for key in keys:
        _, region, name = key.split("/", 2)
        try:
            found[key] = events_for(ask(region, since, now), name)
        except AwsError as exc:
            history.cloudtrail = f"CloudTrail LookupEvents in {region}: {describe(exc)}"
            return history
    history.cloudtrail = "asked"
    join(history, found)
    return history
