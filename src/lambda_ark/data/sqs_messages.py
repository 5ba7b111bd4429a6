"""Dead-letter queue contents (`--data sqs-dlq`): read without consuming, re-queued visibly.

A DLQ's messages are received in batches of 10, each hidden for VISIBILITY seconds while the queue is
read (so no message is received twice in one read), then made visible again at once
(ChangeMessageVisibilityBatch with 0), whatever happened meanwhile: the queue is left as it was,
but for each message's ApproximateReceiveCount, which grows by one (a DLQ with a redrive policy of
its own could move a message on: such queues are read too; mind their maxReceiveCount). Only queues
that are some queue's dead-letter queue (ListDeadLetterSourceQueues) are read: the messages of a
queue a function consumes are the function's to take.

Restore sends them with SendMessageBatch (body, message attributes; FIFO group and deduplication
ids), resending what a batch reports failed. A target queue holding messages is refused unless
--data-mode merge (send ours too) or overwrite (PurgeQueue first); a queue holding exactly as many
messages as the snapshot is taken as restored (SQS cannot be compared message by message without
receiving).
"""

from __future__ import annotations

import base64
import json
import time
from typing import Any

from ..aws import call
from ..errors import AwsError
from ..kinds.base import Change
from .base import DataContext, DataRestoreContext
from .items import encode
from .models import Resource

VISIBILITY = 300  # seconds a received message stays hidden while the queue is read
MAX_RECEIVES = 10000  # ReceiveMessage calls per queue and run
MAX_ROUNDS = 8
PAUSE = 0.05


def is_dead_letter_queue(client: Any, url: str) -> bool:
    return bool(call(client, "list_dead_letter_source_queues", QueueUrl=url).get("queueUrls"))


def capture(ctx: DataContext, client: Any, url: str) -> tuple[list[str], int]:
    """The queue's messages as one stored JSON-lines batch (file keys, count); every one visible again after."""
    found: dict[str, dict[str, Any]] = {}
    handles: list[str] = []
    try:
        for _ in range(MAX_RECEIVES):
            got = call(client, "receive_message", QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=VISIBILITY,
                       WaitTimeSeconds=1, AttributeNames=["All"], MessageAttributeNames=["All"]).get("Messages", [])
            if not got:
                break
            for m in got:
                handles.append(m["ReceiptHandle"])
                attrs = m.get("Attributes", {})
                found.setdefault(m["MessageId"], {
                    "id": m["MessageId"], "body": m["Body"], "sent": attrs.get("SentTimestamp", ""),
                    "group": attrs.get("MessageGroupId"), "dedup": attrs.get("MessageDeduplicationId"),
                    "attributes": encode(m.get("MessageAttributes", {}))})
    finally:
        _requeue(client, url, handles)
    if not found:
        return [], 0
    lines = sorted(json.dumps(m, sort_keys=True) for m in sorted(found.values(), key=lambda m: (m["sent"], m["id"])))
    return [ctx.put_file("".join(x + "\n" for x in lines).encode())], len(found)


def _requeue(client: Any, url: str, handles: list[str]) -> None:
    for i in range(0, len(handles), 10):
        entries = [{"Id": str(n), "ReceiptHandle": h, "VisibilityTimeout": 0} for n, h in enumerate(handles[i:i + 10])]
        call(client, "change_message_visibility_batch", QueueUrl=url, Entries=entries)


def messages(dctx: DataRestoreContext, rec: Resource) -> list[dict[str, Any]]:
    out = []
    for key in rec.batches:
        for text in dctx.read_file(key).decode().splitlines():
            if text:
                m = json.loads(text)
                m["attributes"] = _decoded(m["attributes"])
                out.append(m)
    return sorted(out, key=lambda m: (m["sent"], m["id"]))


def plan(dctx: DataRestoreContext, rec: Resource, client: Any, url: str | None, label: str) -> list[Change]:
    """The messages' change; `url` None: the queue is created by an earlier change of this plan."""
    if not rec.batches:
        return []
    label = f"{label} messages"
    detail = f"{rec.items} messages"
    if url is None:
        return [Change("data:sqs", label, "create", detail, apply=lambda: _send_all(dctx, rec, client, None))]
    attrs = call(client, "get_queue_attributes", QueueUrl=url, AttributeNames=[
        "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
    held = sum(int(v) for v in attrs.values())
    if held == rec.items:
        return [Change("data:sqs", label, "unchanged", f"{detail} (compared by count)")]
    if held and dctx.mode is None:
        return [Change("data:sqs", label, "failed", f"the queue holds {held} messages: pass --data-mode merge "
                       "(send the snapshot's too) or --data-mode overwrite (purge the queue first)")]
    purge = held > 0 and dctx.mode == "overwrite"
    return [Change("data:sqs", label, "update" if held else "create", detail + (", purge first" if purge else ""),
                   apply=lambda: _send_all(dctx, rec, client, url, purge))]


def _send_all(dctx: DataRestoreContext, rec: Resource, client: Any, url: str | None, purge: bool = False) -> None:
    url = url or call(client, "get_queue_url", QueueName=rec.name)["QueueUrl"]
    if purge:
        call(client, "purge_queue", QueueUrl=url)
    todo = messages(dctx, rec)
    for i in range(0, len(todo), 10):
        batch = {str(n): m for n, m in enumerate(todo[i:i + 10])}
        for round_ in range(MAX_ROUNDS):
            answer = call(client, "send_message_batch", QueueUrl=url, Entries=[_entry(n, m) for n, m in batch.items()])
            batch = {f["Id"]: batch[f["Id"]] for f in answer.get("Failed", []) if not f.get("SenderFault")}
            if not batch:
                break
            time.sleep(PAUSE * 2**round_)
        else:
            raise AwsError(f"SendMessageBatch on {rec.name}: {len(batch)} messages still failing after "
                           f"{MAX_ROUNDS} tries")


def _decoded(attributes: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Message attributes as stored (binary values in base64) back to what SendMessage takes."""
    out = {}
    for name, value in attributes.items():
        value = dict(value)
        if isinstance(value.get("BinaryValue"), str):
            value["BinaryValue"] = base64.b64decode(value["BinaryValue"])
        if value.get("BinaryListValues"):
            value["BinaryListValues"] = [base64.b64decode(v) for v in value["BinaryListValues"]]
        out[name] = value
    return out


def _entry(n: str, m: dict[str, Any]) -> dict[str, Any]:
    entry: dict[str, Any] = {"Id": n, "MessageBody": m["body"]}
    if m["attributes"]:
        entry["MessageAttributes"] = m["attributes"]
    if m.get("group"):
        entry["MessageGroupId"] = m["group"]
    if m.get("dedup"):
        entry["MessageDeduplicationId"] = m["dedup"]
    return entry
