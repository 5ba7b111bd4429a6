"""Event-source data: the resources selected functions are wired to, their configuration and data.

One module per source (`s3`, `dynamodb`, `kinesis`, `sqs`), following `data.base`; `capture.capture_data` runs them in a
backup, `restore.plan_data` plans their restore ahead of the functions'. The section they write is
`models.DataSection`, stored in the snapshot body under `data` (docs/data.md, docs/repository-format.md).
"""

from __future__ import annotations

from types import ModuleType

from ..errors import UsageError
from . import dynamodb, kinesis, s3, sqs

SOURCES: dict[str, ModuleType] = {m.NAME: m for m in (s3, dynamodb, kinesis, sqs)}
# Names that are not a source of their own: what they add to one (messages of the queues' DLQs)
MODIFIERS = {"sqs-dlq": "sqs"}


def parse_sources(text: str | list[str] | None) -> frozenset[str]:
    """`--data s3,dynamodb` (or a policy's list) as a set (with what a modifier needs); an unknown name is a
    UsageError."""
    if text is None:
        return frozenset()
    names = [n.strip() for part in ([text] if isinstance(text, str) else text) for n in part.split(",") if n.strip()]
    for name in names:
        if name not in SOURCES and name not in MODIFIERS:
            raise UsageError(f"--data {name}: unknown source (supported: {', '.join(sorted([*SOURCES, *MODIFIERS]))})")
    return frozenset(names) | {MODIFIERS[n] for n in names if n in MODIFIERS}


__all__ = ["MODIFIERS", "SOURCES", "parse_sources"]
