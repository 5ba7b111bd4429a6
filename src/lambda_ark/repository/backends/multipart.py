"""Multipart uploads of large objects: each part retried on its own, an interrupted upload resumed.

A backend that can (S3) offers the verbs below; `put_multipart` drives them from the transport
wrapper, so retries stay outside the backend. Pack names are the SHA-256 of their bytes, so an
unfinished upload under a pack's name can only ever hold that pack's bytes: the next run asks for
the parts already stored, keeps each whose size and MD5 match, and sends only the rest. Parts are
invisible until `complete_upload`, so nothing partial is ever listed; uploads left unfinished
(a run killed for good) are removed by `prune` once they are a day old.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from . import NotFound, OnBytes

Run = Callable[[str, Callable[[], Any]], Any]  # (what, fn) -> fn(), with retries


@dataclass(frozen=True)
class Upload:
    name: str
    upload_id: str
    initiated: datetime


@dataclass(frozen=True)
class Part:
    size: int
    etag: str  # as the server reports it, quotes removed


@runtime_checkable
class Multipart(Protocol):
    multipart_threshold: int
    part_size: int

    def list_uploads(self, prefix: str) -> list[Upload]: ...

    def list_parts(self, name: str, upload_id: str) -> dict[int, Part]: ...

    def start_upload(self, name: str) -> str: ...

    def put_part(self, name: str, upload_id: str, number: int, data: bytes | memoryview,
                 on_bytes: OnBytes | None = None) -> str: ...

    def complete_upload(self, name: str, upload_id: str, etags: dict[int, str]) -> None: ...

    def abort_upload(self, name: str, upload_id: str) -> None: ...


@dataclass
class Outcome:
    parts: int = 0
    resumed: int = 0  # parts found already stored by an earlier, interrupted run


def put_multipart(backend: Multipart, name: str, data: bytes, run: Run,
                  unfinished: dict[str, str], on_bytes: OnBytes | None) -> Outcome:
    """Upload `data` as `name` in parts of `backend.part_size`, resuming the unfinished upload
    `unfinished` names for it (name -> upload id, listed once per run by the caller)."""
    size = backend.part_size
    pieces = {n + 1: memoryview(data)[off : off + size] for n, off in enumerate(range(0, len(data), size))}
    outcome = Outcome(parts=len(pieces))
    stored: dict[int, Part] = {}
    upload_id = unfinished.pop(name, None)
    if upload_id is not None:
        try:
            stored = run(f"list parts of {name}", lambda: backend.list_parts(name, str(upload_id)))
        except NotFound:  # aborted meanwhile (prune, a lifecycle rule): start afresh
            upload_id = None
    if upload_id is None:
        upload_id = str(run(f"start upload of {name}", lambda: backend.start_upload(name)))
    etags: dict[int, str] = {}
    for number, piece in pieces.items():
        md5 = hashlib.md5(piece, usedforsecurity=False).hexdigest()
        if stored.get(number) == Part(len(piece), md5):
            etags[number] = md5
            outcome.resumed += 1
            continue
        etags[number] = str(run(f"upload part {number} of {name}", _part(backend, name, str(upload_id), number,
                                                                         piece, on_bytes)))
    run(f"complete upload of {name}", lambda: backend.complete_upload(name, str(upload_id), etags))
    return outcome


def _part(backend: Multipart, name: str, upload_id: str, number: int, piece: memoryview,
          on_bytes: OnBytes | None) -> Callable[[], str]:
    return lambda: backend.put_part(name, upload_id, number, piece, on_bytes)
