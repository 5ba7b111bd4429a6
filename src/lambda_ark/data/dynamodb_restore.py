"""Restoring DynamoDB tables: create a missing table as captured, then write its items back.

Items go in BatchWriteItem calls of 25; UnprocessedItems (what AWS leaves undone when throttled)
are sent again with growing pauses, and an item still unprocessed after MAX_ROUNDS fails the change.
A target item equal to the snapshot's is left alone; one that differs, or an item the snapshot does
not have, is "other data": refused unless the mode says merge (write ours, keep theirs) or overwrite
(write ours, delete theirs). A new table with a stream gets a new stream ARN: the mappings kind
wires the table's current stream.
"""

from __future__ import annotations

import json
import time
from functools import partial
from typing import Any

from ..aws import call
from ..errors import AwsError
from ..kinds.base import Change
from ..kinds.common import maybe, pages
from ..parallel import parallel_map
from . import dynamodb_import
from .base import DataRestoreContext
from .dynamodb import key_names, table_config
from .items import decode, key_of, line, read_batch
from .models import Resource

NAME = "dynamodb"
MAX_ROUNDS = 8  # BatchWriteItem rounds for one batch before its unprocessed items fail the change
PAUSE = 0.05  # seconds before the second round; doubled each round after (AWS: back off exponentially)
WORKERS = 4  # BatchWriteItem calls at once
_CREATE = ("KeySchema", "AttributeDefinitions", "BillingMode", "ProvisionedThroughput", "GlobalSecondaryIndexes",
           "LocalSecondaryIndexes", "StreamSpecification", "SSESpecification", "Tags")


def plan(dctx: DataRestoreContext, rec: Resource) -> list[Change]:
    region = dctx.region(rec.region)
    label = f"dynamodb table {rec.name} ({region})"
    client = dctx.client("dynamodb", region)
    exists = maybe(client, "describe_table", TableName=rec.name) is not None
    changes = []
    if not exists and dctx.import_bucket and dynamodb_import.usable(rec):
        return [Change("data:dynamodb", label, "create", f"{rec.config['BillingMode']} table with {rec.items} items "
                       f"by ImportTable through s3://{dctx.import_bucket}",
                       apply=lambda: dynamodb_import.restore(dctx, client, rec, str(dctx.import_bucket)))]
    if not exists:
        changes.append(Change("data:dynamodb", label, "create", f"{rec.config['BillingMode']} table",
                              apply=lambda: _create(dctx, client, rec)))
        live: dict[str, str] = {}
    else:
        have = table_config(client, rec.name)
        differ = sorted(k for k in ("KeySchema", "BillingMode", "StreamSpecification", "TimeToLive",
                                    "PointInTimeRecovery") if have.get(k) != rec.config.get(k))
        detail = "exists; differs in " + ", ".join(differ) + " (not changed by restore)" if differ else "configuration"
        changes.append(Change("data:dynamodb", label, "unchanged", detail, fields=differ))
        if have["KeySchema"] != rec.config["KeySchema"]:
            return changes + [Change("data:dynamodb", f"{label} items", "failed",
                                     "the target table has another key schema: its items cannot be restored into it")]
        live = _live(client, rec.name, key_names(rec.config))
    return changes + _plan_items(dctx, client, label, rec, live)


def _live(client: Any, table: str, keys: list[str]) -> dict[str, str]:
    """The target's items as key -> canonical line (the comparison restore needs; bounded by item count)."""
    return {key_of(item, keys): line(item) for item in pages(client, "scan", "Items", TableName=table)}


def _plan_items(dctx: DataRestoreContext, client: Any, label: str, rec: Resource, live: dict[str, str]) -> list[Change]:
    keys = key_names(rec.config)
    todo, differing = 0, 0
    ours: set[str] = set()
    for batch in rec.batches:
        for item in read_batch(dctx.read_file(batch)):
            key = key_of(item, keys)
            ours.add(key)
            if live.get(key) != line(item):
                todo += 1
                differing += key in live
    extra = sorted(k for k in live if k not in ours)
    if (differing or extra) and dctx.mode is None:
        return [Change("data:dynamodb", f"{label} items", "failed",
                       f"the table holds other data ({differing} items differ, {len(extra)} not in the snapshot): "
                       "pass --data-mode merge or --data-mode overwrite")]
    doomed = extra if dctx.mode == "overwrite" else []
    if not todo and not doomed:
        return [Change("data:dynamodb", f"{label} items", "unchanged", f"{rec.items} items")]
    detail = f"{todo} items" + (f", delete {len(doomed)}" if doomed else "")

    def apply() -> str | None:
        for batch in rec.batches:  # read again at apply: a plan holds no item bytes
            items = [i for i in read_batch(dctx.read_file(batch)) if live.get(key_of(i, keys)) != line(i)]
            write(client, rec.name, [{"PutRequest": {"Item": i}} for i in items])
        write(client, rec.name, [{"DeleteRequest": {"Key": decode(json.loads(k))}} for k in doomed])
        return None

    return [Change("data:dynamodb", f"{label} items", "create" if not live else "update", detail, apply=apply)]


def write(client: Any, table: str, requests: list[dict[str, Any]]) -> None:
    """BatchWriteItem in 25s, WORKERS at once (each request names other keys: order does not matter),
    sending UnprocessedItems again with growing pauses (AwsError when they stay)."""
    parallel_map(partial(_write_batch, client, table), [requests[i : i + 25] for i in range(0, len(requests), 25)],
                 WORKERS)


def _write_batch(client: Any, table: str, pending: list[dict[str, Any]]) -> None:
    if pending:
        for round_ in range(MAX_ROUNDS):
            answer = call(client, "batch_write_item", RequestItems={table: pending})
            pending = answer.get("UnprocessedItems", {}).get(table, [])
            if not pending:
                return
            time.sleep(PAUSE * 2**round_)
        raise AwsError(f"BatchWriteItem on {table}: {len(pending)} items still unprocessed after "
                       f"{MAX_ROUNDS} tries (the table is throttled; run the restore again)")


def _create(dctx: DataRestoreContext, client: Any, rec: Resource) -> str | None:
    args: dict[str, Any] = {k: rec.config[k] for k in _CREATE if k in rec.config}
    tags = dctx.ctx.drill_tags()
    if tags:
        args["Tags"] = [*args.get("Tags", []), *({"Key": k, "Value": v} for k, v in tags.items())]
    call(client, "create_table", TableName=rec.name, **args)
    client.get_waiter("table_exists").wait(TableName=rec.name, WaiterConfig={"Delay": 1, "MaxAttempts": 120})
    if rec.config.get("TimeToLive"):
        call(client, "update_time_to_live", TableName=rec.name,
             TimeToLiveSpecification={"Enabled": True, "AttributeName": rec.config["TimeToLive"]})
    if rec.config.get("PointInTimeRecovery"):
        call(client, "update_continuous_backups", TableName=rec.name,
             PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
    return None
