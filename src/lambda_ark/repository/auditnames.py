"""Names of audit events and the chain heads a snapshot header records (docs/repository-format.md).

An event is `audit/<writer>/<seq>-<ms>-<id>`: `writer` one process's chain, `seq` its place in that
chain (from 1), `ms` its time (Unix milliseconds), `id` the keyed hash of its plaintext. The name
repeats what the sealed event says, so chain heads are found by listing alone; `audit verify`
checks the name against the content. The event model and verification live in `lambda_ark.audit`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .backends import Backend

PREFIX = "audit/"
# Chains whose newest event is within this long of the newest event anywhere are linked by a new
# event and recorded by a snapshot: concurrent writers (and hosts' clocks a little apart) are all
# covered, older heads were linked by the first event written after them.
LINK_WINDOW_MS = 3600 * 1000
_NAME = re.compile(r"^audit/([0-9a-f]{4,64})/(\d{8})-(\d{13})-([0-9a-f]{64})$")


@dataclass(frozen=True, order=True)
class EventName:
    writer: str
    seq: int
    ms: int
    id: str

    @property
    def name(self) -> str:
        return f"{PREFIX}{self.writer}/{self.seq:08d}-{self.ms:013d}-{self.id}"

    @classmethod
    def parse(cls, name: str) -> EventName | None:
        m = _NAME.match(name)
        return cls(m[1], int(m[2]), int(m[3]), m[4]) if m else None


def list_events(backend: Backend) -> tuple[list[EventName], list[str]]:
    """Every event name, and the names under `audit/` that are not event names."""
    names, strange = [], []
    for obj in backend.list(PREFIX):
        parsed = EventName.parse(obj.name)
        if parsed is None:
            strange.append(obj.name)
        else:
            names.append(parsed)
    return sorted(names), strange


def chain_heads(names: list[EventName], window_ms: int = LINK_WINDOW_MS) -> dict[str, EventName]:
    """Each chain's newest event (highest seq), for the chains active within `window_ms` of the newest event."""
    heads: dict[str, EventName] = {}
    for n in names:
        if n.writer not in heads or n.seq > heads[n.writer].seq:
            heads[n.writer] = n
    if not heads:
        return {}
    newest = max(h.ms for h in heads.values())
    return {w: h for w, h in heads.items() if h.ms >= newest - window_ms}


def audit_heads(backend: Backend) -> dict[str, str]:
    """What a snapshot header records at commit: writer -> its head event's name."""
    return {w: h.name for w, h in chain_heads(list_events(backend)[0]).items()}
