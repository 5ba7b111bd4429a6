"""DynamoDB items as stored: canonical JSON lines in batches whose boundaries depend on the items' keys.

A batch ends after an item whose key hashes to a boundary (about one in BATCH_ITEMS) or at
BATCH_BYTES; items inside a batch are sorted by key. A table that did not change yields the same
batches (so they deduplicate to nothing), and one changed item changes one batch, not every batch
after it. Binary attribute values (B, BS) travel as base64.
"""

from __future__ import annotations

import base64
import hashlib
import json
import tempfile
from collections.abc import Iterable, Iterator
from typing import Any

BATCH_ITEMS = 256  # average items per batch
BATCH_BYTES = 4 * 1024 * 1024


def encode(value: Any) -> Any:
    """A low-level item or attribute value with bytes as base64 text, for JSON."""
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode()
    if isinstance(value, dict):
        return {k: encode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [encode(v) for v in value]
    return value


def decode(value: Any) -> Any:
    """The inverse of `encode`. A type tag B or BS holds text (or a list of it) where an attribute
    named B or BS holds an attribute value (a dict): that is what tells them apart."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for k, v in value.items():
            if k == "B" and isinstance(v, str):
                out[k] = base64.b64decode(v)
            elif k == "BS" and isinstance(v, list) and all(isinstance(x, str) for x in v):
                out[k] = [base64.b64decode(x) for x in v]
            else:
                out[k] = decode(v)
        return out
    if isinstance(value, list):
        return [decode(v) for v in value]
    return value


def key_of(item: dict[str, Any], key_names: list[str]) -> str:
    return json.dumps({k: encode(item[k]) for k in key_names}, sort_keys=True, separators=(",", ":"))


def line(item: dict[str, Any]) -> str:
    return json.dumps(encode(item), sort_keys=True, separators=(",", ":"))


def batches(items: Iterable[dict[str, Any]], key_names: list[str]) -> Iterator[bytes]:
    """Batches of JSON lines, cut where the keys say (see the module docstring)."""
    batch: list[tuple[str, str]] = []
    size = 0
    for item in items:
        key = key_of(item, key_names)
        text = line(item)
        batch.append((key, text))
        size += len(text) + 1
        if size >= BATCH_BYTES or int(hashlib.sha256(key.encode()).hexdigest()[:8], 16) % BATCH_ITEMS == 0:
            yield _render(batch)
            batch, size = [], 0
    if batch:
        yield _render(batch)


def _render(batch: list[tuple[str, str]]) -> bytes:
    return "".join(text + "\n" for _, text in sorted(batch)).encode()


def read_batch(data: bytes) -> list[dict[str, Any]]:
    return [decode(json.loads(text)) for text in data.decode().splitlines() if text]


def group_count(items: int) -> int:
    """Groups for `grouped_batches`: a power of two near items / BATCH_ITEMS, so it moves only when the
    table doubles or halves (and with it every batch)."""
    groups = 1
    while groups * BATCH_ITEMS < items:
        groups *= 2
    return groups


def grouped_batches(items: Iterable[dict[str, Any]], key_names: list[str], groups: int) -> Iterator[bytes]:
    """Batches by key hash (group = hash % groups), each sorted by key: the same batches whatever order
    the items come in (an export's files have none). Items wait in temporary files, one per group, so
    memory holds one group at a time."""
    with tempfile.TemporaryDirectory(prefix="lambda-ark-items-") as tmp:
        files = [open(f"{tmp}/{n}", "w+", encoding="utf-8") for n in range(groups)]  # noqa: SIM115 - closed below
        try:
            for item in items:
                key = key_of(item, key_names)
                group = int(hashlib.sha256(key.encode()).hexdigest()[:8], 16) % groups
                files[group].write(json.dumps([key, line(item)]) + "\n")
            for f in files:
                f.seek(0)
                pairs = [tuple(json.loads(x)) for x in f if x.strip()]
                if pairs:
                    yield "".join(text + "\n" for _, text in sorted(pairs)).encode()
        finally:
            for f in files:
                f.close()
