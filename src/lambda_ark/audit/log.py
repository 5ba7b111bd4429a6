"""Appending to and reading the audit log: one hash chain per writing process under `audit/`.

A process appends only to its own chain (its writer id is random per process), so concurrent
writers never race for a name; each event also names the other chains' newest events it saw
(`after`), which ties the chains together. Objects are written once (Object Lock retains them
like snapshots) and never deleted by lambda-ark.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from pydantic import ValidationError

from ..errors import IntegrityError
from ..parallel import parallel_map
from ..repository.auditnames import EventName, chain_heads, list_events
from ..repository.backends import NotFound
from .events import AAD, AuditEvent, Draft, now, whoami

if TYPE_CHECKING:
    from collections.abc import Callable

    from ..repository import Repository

WRITER = secrets.token_hex(8)  # this process's chain
_append_lock = threading.Lock()  # threads of one process share its chain: one append at a time


def _ms(t: datetime) -> int:
    return int(t.timestamp() * 1000)


def append(repo: Repository, draft: Draft, *, writer: str = WRITER,
           clock: Callable[[], datetime] = now) -> AuditEvent:
    """Seal `draft` as the next event of `writer`'s chain and store it (one list, one put)."""
    with _append_lock:
        names, _ = list_events(repo.backend)
        own = [n for n in names if n.writer == writer]
        head = max(own, key=lambda n: n.seq, default=None)
        others = chain_heads([n for n in names if n.writer != writer])
        t = clock()
        if head is not None and _ms(t) < head.ms:  # a clock stepped back: keep the chain's times in order
            t = datetime.fromtimestamp(head.ms / 1000, UTC)
        host, user = whoami()
        event = AuditEvent(
            writer=writer, seq=head.seq + 1 if head else 1, prev=head.id if head else None,
            after=sorted(h.name for h in others.values()), time=t, host=host, user=user,
            **draft.model_dump(),
        )
        plain = event.model_dump_json().encode()
        name = EventName(writer, event.seq, _ms(t), repo.key.id(plain))
        repo.backend.put(name.name, repo.key.seal(plain, AAD))
        return event


@dataclass
class Entry:
    """One stored event: its name, and the event if it opened (else what is wrong with it)."""

    name: EventName
    event: AuditEvent | None
    problem: str | None = None


def read(repo: Repository) -> tuple[list[Entry], list[str]]:
    """Every event under `audit/` in name order, opened and checked against its id; and the
    objects there that are not event names."""
    names, strange = list_events(repo.backend)

    def load(n: EventName) -> Entry | None:
        try:
            sealed = repo.backend.get(n.name)
        except NotFound:
            return None  # gone while we listed: whoever looks next sees the gap
        try:
            plain = repo.key.open(sealed, AAD, n.name)
        except IntegrityError:
            return Entry(n, None, "altered: it fails to authenticate")
        if repo.key.id(plain) != n.id:
            return Entry(n, None, "altered: its content does not match its id")
        try:
            return Entry(n, AuditEvent.model_validate_json(plain))
        except ValidationError:
            return Entry(n, None, "altered: not a valid event")

    entries = [e for e in parallel_map(load, names, 8) if e is not None]
    return entries, strange


def events(repo: Repository, since: datetime | None = None) -> tuple[list[AuditEvent], list[str]]:
    """The readable events, oldest first (chains merged by time), and one warning per unreadable one."""
    entries, _ = read(repo)
    good = [e.event for e in entries if e.event is not None]
    warnings = [f"{e.name.name}: {e.problem} (see `lambda-ark audit verify`)" for e in entries if e.problem]
    if since is not None:
        good = [e for e in good if e.time >= since]
    return sorted(good, key=lambda e: (e.time, e.writer, e.seq)), warnings


def parse_since(text: str, clock: Callable[[], datetime] = now) -> datetime:
    """`--since`: an ISO date or time (UTC unless it says), or an age like 7d, 12h, 30m."""
    from ..errors import UsageError

    units = {"d": "days", "h": "hours", "m": "minutes"}
    if text and text[-1] in units and text[:-1].isdigit():
        return clock() - timedelta(**{units[text[-1]]: int(text[:-1])})
    try:
        t = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--since {text!r}: give an ISO date/time (2026-01-31, 2026-01-31T12:00Z) or an age "
                         "(7d, 12h, 30m)") from None
    return t if t.tzinfo else t.replace(tzinfo=UTC)
