"""One audit event: what a repository operation did, sealed and chained to the events before it."""

from __future__ import annotations

import getpass
import os
import socket
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

Outcome = Literal["ok", "partial", "error", "interrupted"]
AAD = "audit"  # sealed like a snapshot header: aad = the kind, id = HMAC of the plaintext


class AuditEvent(BaseModel):
    """What `audit/<writer>/<seq>-<ms>-<id>` holds (the name repeats writer, seq and time)."""

    version: int = 1
    writer: str  # one process's chain
    seq: int  # 1, 2, ... within the chain
    prev: str | None = None  # the id of this chain's event seq-1 (None for seq 1)
    # Other chains' newest events when this one was written (their names): deleting any of them, or a
    # whole chain, breaks a link that a later event holds.
    after: list[str] = Field(default_factory=list)
    time: datetime
    host: str
    user: str  # the operating-system user
    principal: str | None = None  # the AWS caller (user or role ARN) when the operation reached AWS
    command: str  # init, key add, backup, restore, drill, forget, prune, copy, repair index, policy run ...
    scope: dict[str, Any] = Field(default_factory=dict)  # what the command was asked to cover
    outcome: Outcome
    error: str | None = None
    snapshots: list[str] = Field(default_factory=list)  # snapshot ids written, restored or removed
    counts: dict[str, int] = Field(default_factory=dict)


class Draft(BaseModel):
    """What a caller knows about an operation; `append` adds the chain fields, time and identity."""

    command: str
    outcome: Outcome = "ok"
    scope: dict[str, Any] = Field(default_factory=dict)
    error: str | None = None
    snapshots: list[str] = Field(default_factory=list)
    counts: dict[str, int] = Field(default_factory=dict)
    principal: str | None = None


def now() -> datetime:
    # Millisecond precision: the time is also in the event's name (Unix milliseconds).
    t = datetime.now(UTC)
    return t.replace(microsecond=t.microsecond // 1000 * 1000)


def whoami() -> tuple[str, str]:
    """(host, user) of this process; a user the system cannot name is its uid."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = f"uid {os.getuid()}"
    return socket.gethostname(), user
