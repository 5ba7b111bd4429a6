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
# Named in the issue and on the command line, not captured yet: said so rather than silently skipped.
NOT_YET = {"sqs-dlq": "SQS dead-letter contents"}


def parse_sources(text: str | list[str] | None) -> frozenset[str]:
    """`--data s3,dynamodb` (or a policy's list) as a set; an unknown or unsupported name is a UsageError."""
    if text is None:
        return frozenset()
    names = [n.strip() for part in ([text] if isinstance(text, str) else text) for n in part.split(",") if n.strip()]
    for name in names:
        if name in NOT_YET:
            raise UsageError(f"--data {name}: {NOT_YET[name]} are not backed up yet (supported: "
                             f"{', '.join(sorted(SOURCES))}); see docs/data.md")
        if name not in SOURCES:
            raise UsageError(f"--data {name}: unknown source (supported: {', '.join(sorted(SOURCES))})")
    return frozenset(names)


__all__ = ["NOT_YET", "SOURCES", "parse_sources"]
