"""The audit log, function history and the report (docs/audit.md).

    Draft, AuditEvent            an operation's event (events.py)
    record(repo, draft, aws)     append it at the end of an operation; a warning, never an exception
    append / events / read       one hash chain per writing process under audit/ (log.py)
    verify(repo) -> VerifyResult name every missing, reordered or altered event (verify.py)
"""

from __future__ import annotations

from .events import AuditEvent, Draft, Outcome
from .log import WRITER, append, events, parse_since, read
from .record import principal, record
from .verify import VerifyResult, find_problems, verify

__all__ = [
    "WRITER",
    "AuditEvent",
    "Draft",
    "Outcome",
    "VerifyResult",
    "append",
    "events",
    "find_problems",
    "parse_since",
    "principal",
    "read",
    "record",
    "verify",
]
