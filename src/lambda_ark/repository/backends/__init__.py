"""Where repository objects live: one small protocol, one module per backend.

A backend stores opaque byte strings under slash-separated names (`data/ab/ab12…`). It knows
nothing about encryption, packs or snapshots; retries and crypto sit above it. `put` is atomic: a
reader sees the whole object or nothing. Adding a backend is one module with a class that
satisfies `Backend` plus one line in `_SCHEMES`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from ...errors import RepositoryError

if TYPE_CHECKING:
    from ...aws import Aws


class NotFound(RepositoryError):
    """No object under that name."""


@dataclass(frozen=True)
class ObjectInfo:
    name: str
    size: int


class Backend(Protocol):
    url: str

    def put(self, name: str, data: bytes) -> None:
        """Store `data` under `name` atomically, replacing any previous object."""

    def get(self, name: str, offset: int = 0, length: int | None = None) -> bytes:
        """The object's bytes (or `length` bytes from `offset`); `NotFound` if absent."""

    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        """Every object whose name starts with `prefix`, in no particular order."""

    def exists(self, name: str) -> bool: ...

    def delete(self, name: str) -> None:
        """Remove `name`; deleting a missing object is not an error."""

    def retained_until(self, name: str) -> datetime | None:
        """When write-once retention (S3 Object Lock) on `name` ends; None if it can go now."""


def open_backend(url: str, aws: Aws | None = None) -> Backend:
    """The backend a repository URL names: /path, file:///path, s3://bucket/prefix, memory://name."""
    scheme = url.split("://", 1)[0] if "://" in url else "file"
    if scheme == "file":
        from .local import LocalBackend

        return LocalBackend(url)
    if scheme == "s3":
        from .s3 import S3Backend

        return S3Backend(url, aws)
    if scheme == "memory":
        from .memory import MemoryBackend

        return MemoryBackend(url)
    from ...errors import UsageError

    raise UsageError(f"unsupported repository URL {url!r} (use /path, file:///path or s3://bucket/prefix)")


__all__ = ["Backend", "NotFound", "ObjectInfo", "open_backend"]
