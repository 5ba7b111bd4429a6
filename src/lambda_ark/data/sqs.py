"""SQS queues: configuration (attributes, redrive policy, tags), their dead-letter queues with them.

Messages are not read (receiving consumes them from the functions the queue feeds), but for a
dead-letter queue's with `--data sqs-dlq` (`sqs_messages`: read and re-queued visibly). A queue's
dead-letter queue (its RedrivePolicy target) is captured too, and restored first, so the redrive
policy names a queue that exists; ARNs inside the redrive and access policies are mapped to the target.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from ..aws import call
from ..kinds.base import Change
from ..kinds.common import maybe
from . import sqs_messages
from .base import DataContext, DataRestoreContext, Wired
from .models import Resource

NAME = "sqs"
SERVICE = "sqs"
PERMISSIONS = ("sqs:GetQueueUrl", "sqs:GetQueueAttributes", "sqs:ListQueueTags",
               # --data sqs-dlq
               "sqs:ListDeadLetterSourceQueues", "sqs:ReceiveMessage", "sqs:ChangeMessageVisibility",
               # restore
               "sqs:CreateQueue", "sqs:SetQueueAttributes", "sqs:TagQueue", "sqs:SendMessage", "sqs:PurgeQueue")
# What CreateQueue/SetQueueAttributes take back (the rest are counters and read-only facts)
ATTRIBUTES = ("DelaySeconds", "MaximumMessageSize", "MessageRetentionPeriod", "ReceiveMessageWaitTimeSeconds",
              "VisibilityTimeout", "RedrivePolicy", "RedriveAllowPolicy", "Policy", "FifoQueue",
              "ContentBasedDeduplication", "DeduplicationScope", "FifoThroughputLimit", "KmsMasterKeyId",
              "KmsDataKeyReusePeriodSeconds", "SqsManagedSseEnabled")
_CREATE_ONLY = ("FifoQueue",)


def queue_config(client: Any, url: str) -> dict[str, Any]:
    attrs = call(client, "get_queue_attributes", QueueUrl=url, AttributeNames=["All"]).get("Attributes", {})
    conf: dict[str, Any] = {"attributes": {k: v for k, v in sorted(attrs.items()) if k in ATTRIBUTES}}
    tags = call(client, "list_queue_tags", QueueUrl=url).get("Tags", {})
    if tags:
        conf["tags"] = dict(sorted(tags.items()))
    return conf


def capture(ctx: DataContext, wired: Wired) -> Resource:
    client = ctx.client("sqs", wired.region)
    url = call(client, "get_queue_url", QueueName=wired.name, QueueOwnerAWSAccountId=wired.account)["QueueUrl"]
    config = queue_config(client, url)
    batches: list[str] = []
    count = 0
    if "sqs-dlq" in ctx.sources and sqs_messages.is_dead_letter_queue(client, url):
        batches, count = sqs_messages.capture(ctx, client, url)
    return Resource(source=NAME, account=wired.account, region=wired.region, name=wired.name, arn=wired.arn,
                    captured_at=datetime.now(UTC), config=config, batches=batches, items=count)


def related(resource: Resource) -> list[Wired]:
    """The queue's dead-letter queue: captured with it (a redrive policy names it)."""
    policy = resource.config.get("attributes", {}).get("RedrivePolicy")
    if not policy:
        return []
    arn = str(json.loads(policy).get("deadLetterTargetArn", ""))
    parts = arn.split(":")
    return [Wired(NAME, parts[4], parts[3], parts[5], arn)] if len(parts) == 6 else []


def _wanted(dctx: DataRestoreContext, rec: Resource) -> dict[str, str]:
    return {k: dctx.ctx.mapper.map_text(v) if k in ("RedrivePolicy", "Policy", "RedriveAllowPolicy") else v
            for k, v in rec.config.get("attributes", {}).items()}


def plan(dctx: DataRestoreContext, rec: Resource) -> list[Change]:
    region = dctx.region(rec.region)
    label = f"sqs queue {rec.name} ({region})"
    client = dctx.client("sqs", region)
    want = _wanted(dctx, rec)
    found = maybe(client, "get_queue_url", QueueName=rec.name)
    if found is None:
        what = "queue" + (" with its redrive policy" if "RedrivePolicy" in want else "")
        return [Change("data:sqs", label, "create", what, apply=lambda: _create(dctx, client, rec)),
                *sqs_messages.plan(dctx, rec, client, None, label)]
    url = found["QueueUrl"]
    have = queue_config(client, url)["attributes"]
    differ = sorted(k for k, v in want.items() if k not in _CREATE_ONLY and _norm(k, have.get(k)) != _norm(k, v))
    held = sqs_messages.plan(dctx, rec, client, url, label)
    if not differ:
        return [Change("data:sqs", label, "unchanged", "configuration"), *held]

    def update() -> str | None:
        call(client, "set_queue_attributes", QueueUrl=url, Attributes={k: _wanted(dctx, rec)[k] for k in differ})
        return None

    return [Change("data:sqs", label, "update", "configuration", fields=differ, apply=update), *held]


def _norm(key: str, value: Any) -> Any:
    if key in ("RedrivePolicy", "Policy", "RedriveAllowPolicy") and isinstance(value, str):
        return json.loads(value)  # AWS may answer with other spacing or key order
    return value


def _create(dctx: DataRestoreContext, client: Any, rec: Resource) -> str | None:
    tags = {**rec.config.get("tags", {}), **dctx.ctx.drill_tags()}
    call(client, "create_queue", QueueName=rec.name, Attributes=_wanted(dctx, rec), **({"tags": tags} if tags else {}))
    return None
