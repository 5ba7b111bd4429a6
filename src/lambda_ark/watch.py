"""Watch mode: CloudTrail events pushed through EventBridge to SQS, a snapshot soon after each burst.

The loop drains each region's queue (`watch_channel`), turns every message into the changes it
names (`change_feed.changes_of`), waits until no new message has come for `debounce` seconds (at
most `max_wait` after the first), then writes a snapshot that reads exactly those changes again
(`run_backup` with an "events" feed) and deletes the messages only once that snapshot is committed:
a crash before that leaves them in the queue, and they come back. `once` drains what is pending,
writes at most one snapshot and returns (for cron and tests).

A message that is not a CloudTrail event of this account (malformed JSON, another detail type,
another account's event) goes to the dead-letter queue with a warning; the loop goes on. Changes
made before a queue existed are not in it: the backup then asks CloudTrail for the gap
(`backup_feed.choose_feed`).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from .aws import Aws, call
from .backup import BackupOptions, BackupResult, run_backup
from .change_feed import ALL, Change, Feed, MalformedEvent, changes_of
from .errors import AwsError, describe
from .repository import Repository
from .watch_channel import DETAIL_TYPE, QUEUE, Channel, ensure


@dataclass
class WatchOptions:
    backup: BackupOptions
    debounce: float = 10.0  # seconds without a new change before a snapshot is written
    max_wait: float = 60.0  # seconds after the first change at most, however busy the estate
    once: bool = False
    queue: str = QUEUE
    poll: float = 20.0  # SQS long poll, seconds (one region); shorter when several queues take turns


@dataclass
class WatchResult:
    snapshots: list[BackupResult] = field(default_factory=list)
    dead_lettered: int = 0
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors and all(s.ok for s in self.snapshots)

    def as_dict(self) -> dict[str, Any]:
        return {
            "snapshots": [s.as_dict() for s in self.snapshots],
            "dead_lettered": self.dead_lettered,
            "warnings": self.warnings,
            "errors": self.errors,
        }


RETRY_AFTER = 60  # seconds before the changes of a failed snapshot are received again


class Foreign(ValueError):
    """A well-formed message that is not a CloudTrail event for this account."""


def changes_in(body: str, account: str) -> list[Change]:
    """The changes one SQS message (an EventBridge event) names; raises MalformedEvent or Foreign."""
    try:
        event = json.loads(body)
    except ValueError as exc:
        raise MalformedEvent(f"not JSON: {exc}") from exc
    if not isinstance(event, dict) or not isinstance(event.get("detail"), dict):
        raise MalformedEvent("not an EventBridge event with a detail")
    if event.get("detail-type") != DETAIL_TYPE:
        raise Foreign(f"detail-type {event.get('detail-type')!r} is not {DETAIL_TYPE!r}")
    detail = event["detail"]
    owner = event.get("account") or detail.get("recipientAccountId")
    if owner != account:
        raise Foreign(f"an event of account {owner}, not {account}")
    return changes_of(detail)


@dataclass
class _Batch:
    changes: list[Change] = field(default_factory=list)
    receipts: dict[str, list[str]] = field(default_factory=dict)  # region -> receipt handles
    received_at: datetime | None = None

    def __bool__(self) -> bool:
        return any(self.receipts.values())

    def changes_anything(self) -> bool:
        return bool(self.changes)


class Watcher:
    def __init__(self, aws: Aws, repo: Repository, options: WatchOptions, stop: threading.Event,
                 on_snapshot: Callable[[BackupResult], None] | None = None,
                 on_warning: Callable[[str], None] | None = None) -> None:
        self.aws, self.repo, self.options, self.stop = aws, repo, options, stop
        self.on_snapshot = on_snapshot or (lambda _: None)
        self.on_warning = on_warning or (lambda _: None)
        self.result = WatchResult()
        self.account = aws.account_id()
        self.regions = aws.resolve_regions(options.backup.regions)
        self.channels: dict[str, Channel] = {}

    def run(self) -> WatchResult:
        self.channels = ensure(self.aws, self.regions, self.options.queue)
        since = max(c.created for c in self.channels.values())
        while not self.stop.is_set():
            try:
                batch = self._collect()
            except AwsError as exc:  # SQS unreachable for a moment: say so, wait, go on (once: stop)
                self.result.errors.append(f"receiving changes: {exc}")
                self.on_warning(f"receiving changes: {exc}")
                if self.options.once or self.stop.wait(RETRY_AFTER / 4):
                    break
                continue
            if batch.changes_anything():
                self._snapshot(batch, since)
            elif batch:  # events of nothing lambda-ark records (another region, the watch's own rule)
                self._delete(batch)
            if self.options.once:
                break
        return self.result

    def _collect(self) -> _Batch:
        """Receive until the burst is over (or, with `once`, until the queues are empty)."""
        batch = _Batch()
        first = last = 0.0
        wait = 1 if (self.options.once or len(self.channels) > 1) else int(self.options.poll)
        while not self.stop.is_set():
            got = sum(self._receive(channel, batch, wait) for channel in self.channels.values())
            now = time.monotonic()
            if got:
                last = now
                first = first or now
            if self.options.once and not got:
                return batch
            if not self.options.once and first and (
                now - last >= self.options.debounce or now - first >= self.options.max_wait
            ):
                return batch
        return batch

    def _receive(self, channel: Channel, batch: _Batch, wait: int) -> int:
        sqs = self.aws.client("sqs", channel.region)
        got = call(sqs, "receive_message", QueueUrl=channel.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=wait)
        messages = got.get("Messages", [])
        for message in messages:
            try:
                found = changes_in(message.get("Body", ""), self.account)
            except (MalformedEvent, Foreign) as exc:
                self._dead_letter(channel, message, exc)
                continue
            batch.changes.extend(c for c in found if c.region in (ALL, *self.regions))
            batch.receipts.setdefault(channel.region, []).append(message["ReceiptHandle"])
        if messages:
            batch.received_at = datetime.now(UTC)
        return len(messages)

    def _dead_letter(self, channel: Channel, message: dict[str, Any], why: Exception) -> None:
        sqs = self.aws.client("sqs", channel.region)
        reason = f"{type(why).__name__}: {why}"
        call(sqs, "send_message", QueueUrl=channel.dlq_url, MessageBody=message.get("Body") or "(empty)",
             MessageAttributes={"lambda-ark-reason": {"DataType": "String", "StringValue": reason[:256]}})
        call(sqs, "delete_message", QueueUrl=channel.queue_url, ReceiptHandle=message["ReceiptHandle"])
        self.result.dead_lettered += 1
        warning = (f"message {message.get('MessageId', '?')} in {channel.region} is not a CloudTrail event of this "
                   f"account ({reason}): moved to {channel.dlq_url.rsplit('/', 1)[-1]}")
        self.result.warnings.append(warning)
        self.on_warning(warning)

    def _snapshot(self, batch: _Batch, since: datetime) -> None:
        feed = Feed(source="events", complete=True, changes=batch.changes, until=batch.received_at,
                    delay=self.options.backup.feed_delay, events_since=since)
        try:
            result = run_backup(self.aws, self.repo, replace(self.options.backup, feed=feed))
        except Exception as exc:  # noqa: BLE001 - the messages stay queued: the next turn tries again
            error = f"no snapshot written: {describe(exc)} (the changes stay queued)"
            self.result.errors.append(error)
            self.on_warning(error)
            self._release(batch, RETRY_AFTER)
            return
        self._delete(batch)
        self.result.snapshots.append(result)
        self.on_snapshot(result)

    def _delete(self, batch: _Batch) -> None:
        for region, receipts in batch.receipts.items():
            sqs = self.aws.client("sqs", region)
            for i in range(0, len(receipts), 10):
                entries = [{"Id": str(n), "ReceiptHandle": r} for n, r in enumerate(receipts[i : i + 10])]
                call(sqs, "delete_message_batch", QueueUrl=self.channels[region].queue_url, Entries=entries)


    def _release(self, batch: _Batch, seconds: int) -> None:
        """Let the messages be received again after `seconds` (a failed snapshot is retried)."""
        for region, receipts in batch.receipts.items():
            sqs = self.aws.client("sqs", region)
            for i in range(0, len(receipts), 10):
                entries = [{"Id": str(n), "ReceiptHandle": r, "VisibilityTimeout": seconds}
                           for n, r in enumerate(receipts[i : i + 10])]
                call(sqs, "change_message_visibility_batch", QueueUrl=self.channels[region].queue_url,
                     Entries=entries)


def run_watch(
    aws: Aws,
    repo: Repository,
    options: WatchOptions,
    stop: threading.Event | None = None,
    on_snapshot: Callable[[BackupResult], None] | None = None,
    on_warning: Callable[[str], None] | None = None,
) -> WatchResult:
    """Watch until `stop` is set (or once, with `options.once`); see the module's docstring."""
    return Watcher(aws, repo, options, stop or threading.Event(), on_snapshot, on_warning).run()
