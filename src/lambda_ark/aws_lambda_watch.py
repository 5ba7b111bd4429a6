"""Watch mode inside AWS Lambda: an SQS event source mapping hands the watcher batches of CloudTrail
events (EventBridge rule -> the stack's watch queue), and it writes one snapshot of exactly what
they changed — the same `run_backup` with an "events" feed that `lambda-ark watch` writes.

    watcher(event)   {"Records": [SQS messages]}  ->  {"batchItemFailures": [...]}

What SQS sees (the mapping runs with ReportBatchItemFailures):
- a message that is not a CloudTrail event of this account is reported failed: SQS delivers it
  again, and after the queue's maxReceiveCount its redrive policy moves it to the dead-letter
  queue (as `lambda-ark watch` moves such messages itself);
- a snapshot that cannot be written raises: the whole batch becomes visible again and is retried;
- otherwise the batch is done and SQS deletes it.

The job whose selection, kinds and repository apply is LAMBDA_ARK_WATCH_JOB (the template sets it).
Only the regions whose queues deliver the batch are backed up: the events feed knows nothing of
the others. Changes made before the queue existed are asked of CloudTrail (`backup_feed`), from the
queue's creation time.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from .automation.job import backup_options
from .aws import Aws, call
from .backup import run_backup
from .change_feed import ALL, Change, Feed, MalformedEvent
from .errors import UsageError
from .watch import Foreign, changes_in

WATCH_JOB_ENV = "LAMBDA_ARK_WATCH_JOB"
_log = logging.getLogger(__name__)
_created: dict[str, datetime] = {}  # queue ARN -> its creation time, per execution environment
_created_lock = threading.Lock()


def watcher(event: dict[str, Any], context_: Any = None) -> dict[str, Any]:
    """One batch of the watch queue: see the module's docstring."""
    from .aws_lambda import context  # the handlers' shared context: one policy and session per environment

    ctx = context()
    name = os.environ.get(WATCH_JOB_ENV) or ""
    if name not in ctx.policy.jobs:
        raise UsageError(f"{WATCH_JOB_ENV}={name!r}: no such job in {ctx.loaded.file} "
                         f"(jobs: {', '.join(ctx.policy.jobs)})")
    job = ctx.policy.jobs[name]
    account = ctx.aws.account_id()
    changes: list[Change] = []
    failures: list[dict[str, str]] = []
    queues: set[str] = set()
    for record in event.get("Records") or []:
        try:
            changes += changes_in(str(record.get("body") or ""), account)
        except (MalformedEvent, Foreign) as exc:
            _log.warning("message %s is not a CloudTrail event of account %s (%s): left to the dead-letter queue",
                         record.get("messageId"), account, exc)
            failures.append({"itemIdentifier": str(record.get("messageId"))})
            continue
        queues.add(str(record.get("eventSourceARN") or ""))
    regions = sorted({_arn_part(q, 3) for q in queues if q})
    options = backup_options(name, job)
    if options.regions is not None:
        regions = [r for r in regions if r in options.regions]
    changes = [c for c in changes if c.region in (ALL, *regions)]
    if not changes or not regions:  # events of nothing this job records (another region's): the batch is done
        return {"batchItemFailures": failures}
    since = min(_queue_created(ctx.aws, q) for q in queues if _arn_part(q, 3) in regions)
    feed = Feed(source="events", complete=True, changes=changes, until=datetime.now(UTC), delay=options.feed_delay,
                events_since=since)
    result = run_backup(ctx.aws, ctx.primary(), replace(options, regions=regions, feed=feed))
    _log.info("snapshot %s of %d changes in %s: %d errors, %d warnings", result.snapshot_id, len(changes),
              ",".join(regions), len(result.errors), len(result.warnings))
    return {"batchItemFailures": failures}


def _arn_part(arn: str, n: int) -> str:
    parts = arn.split(":")
    return parts[n] if len(parts) > n else ""


def _queue_created(aws: Aws, arn: str) -> datetime:
    """When the queue was created (the events feed holds nothing older); asked once per environment."""
    with _created_lock:
        if arn in _created:
            return _created[arn]
    region, owner, queue = _arn_part(arn, 3), _arn_part(arn, 4), _arn_part(arn, 5)
    sqs = aws.client("sqs", region)
    url = call(sqs, "get_queue_url", QueueName=queue, QueueOwnerAWSAccountId=owner)["QueueUrl"]
    attrs = call(sqs, "get_queue_attributes", QueueUrl=url, AttributeNames=["CreatedTimestamp"])["Attributes"]
    created = datetime.fromtimestamp(float(attrs["CreatedTimestamp"]), UTC)
    with _created_lock:
        _created[arn] = created
    return created
