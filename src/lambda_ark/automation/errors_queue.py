"""Failed items to an SQS queue, and `retry --from-queue` reading them back.

Each account a run could not fully back up becomes one message: the job, the account, and the
keys of what failed (`account/region/name` for a function, `account/region` for a region or a
region-wide listing, the account id when the whole account failed). A retry runs that job for
exactly those accounts, reading the named functions from AWS again whatever their fingerprints say;
its snapshot belongs to the job's series like any other run's. A message is deleted once its retry
ran (what still fails is queued again as a new message); one whose retry could not start (the job
is running, or gone from the policy) stays and comes back after the queue's visibility timeout.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ..aws import Aws, call
from ..errors import describe
from ..policy.values import queue_region
from .job import ANOMALY, OK, JobRun

MESSAGE_VERSION = 1
_MAX_BODY = 250_000  # SQS allows 256 KiB per message


def failure_messages(run: JobRun) -> list[dict[str, Any]]:
    out = []
    for acct in run.accounts:
        if acct.status in (OK, ANOMALY):
            continue
        failed = acct.failed or [acct.account]
        out.append({"source": "lambda-ark", "version": MESSAGE_VERSION, "job": run.job, "account": acct.account,
                    "via": acct.via, "slot": run.slot.isoformat() if run.slot else None,
                    "started": run.started.isoformat(), "failed": failed, "errors": acct.errors[:20]})
    return out


def _client(aws: Aws, url: str) -> Any:
    return aws.client("sqs", queue_region(url))


def send_failures(aws: Aws, url: str, run: JobRun) -> list[str]:
    warnings = []
    for doc in failure_messages(run):
        body = json.dumps(doc, sort_keys=True)
        if len(body) > _MAX_BODY:  # keep what a retry needs; drop error texts first
            doc["errors"] = doc["errors"][:1]
            body = json.dumps(doc, sort_keys=True)
        try:
            call(_client(aws, url), "send_message", QueueUrl=url, MessageBody=body)
        except Exception as exc:  # noqa: BLE001 - the errors queue never fails the run
            warnings.append(f"errors queue {url}: item of account {doc['account']} not sent: {describe(exc)}")
    return warnings


@dataclass
class Received:
    receipt: str
    job: str
    account: str
    failed: list[str]


@dataclass
class Batch:
    messages: list[Received] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)  # messages that are not lambda-ark's (left alone)


def receive(aws: Aws, url: str, limit: int) -> Batch:
    """Up to `limit` messages, received (hidden for the queue's visibility timeout) but not deleted."""
    client, out = _client(aws, url), Batch()
    while (room := limit - len(out.messages) - len(out.ignored)) > 0:
        page = call(client, "receive_message", QueueUrl=url, MaxNumberOfMessages=min(10, room),
                    WaitTimeSeconds=0).get("Messages", [])
        if not page:
            break
        for m in page:
            try:
                doc = json.loads(m["Body"])
                if doc.get("source") != "lambda-ark" or doc.get("version") != MESSAGE_VERSION:
                    raise ValueError("not a lambda-ark failure item")
                out.messages.append(Received(m["ReceiptHandle"], str(doc["job"]), str(doc["account"]),
                                             [str(k) for k in doc.get("failed", [])]))
            except (ValueError, KeyError, TypeError) as exc:
                out.ignored.append(f"message {m.get('MessageId', '?')}: {exc}")
    return out


def delete(aws: Aws, url: str, receipts: list[str]) -> list[str]:
    warnings = []
    client = _client(aws, url)
    for i in range(0, len(receipts), 10):
        entries = [{"Id": str(n), "ReceiptHandle": r} for n, r in enumerate(receipts[i:i + 10])]
        try:
            failed = call(client, "delete_message_batch", QueueUrl=url, Entries=entries).get("Failed", [])
        except Exception as exc:  # noqa: BLE001
            warnings.append(f"errors queue {url}: retried messages not deleted: {describe(exc)}")
            continue
        warnings += [f"errors queue {url}: a retried message was not deleted: {f.get('Message', f.get('Code'))}"
                     for f in failed]
    return warnings


def retry_scope(messages: list[Received]) -> dict[str, dict[str, set[str]]]:
    """job -> account -> function keys to read again (pure)."""
    out: dict[str, dict[str, set[str]]] = {}
    for m in messages:
        keys = out.setdefault(m.job, {}).setdefault(m.account, set())
        keys.update(k for k in m.failed if k.count("/") == 2)
    return out
