"""Where repository objects live: one small protocol, one module per backend.

A backend stores opaque byte strings under slash-separated names (`data/ab/ab12…`). It knows
nothing about encryption, packs or snapshots; retries, rate limits and crypto sit above it
(`transport.TransportBackend` wraps every backend a repository opens). `put` is atomic: a reader
sees the whole object or nothing. Adding a backend is one module with a class that satisfies
`Backend` plus one branch in `open_backend`.

A backend says which failures are worth another try by raising `Transient` (a timeout, a reset
connection, a truncated body, a 5xx); everything else is final. `put` and `get` call `on_bytes`
with each block as it goes over the wire, which is how a rate limiter paces a transfer (it sleeps
inside the callback) and how traffic is counted, without the backend knowing about either.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from ...errors import RepositoryError

if TYPE_CHECKING:
    from ...aws import Aws
    from .transport import Transfer


class NotFound(RepositoryError):
    """No object under that name."""


class Transient(RepositoryError):
    """A failure another try may not meet: timeout, reset or refused connection, truncated body, 5xx."""


class GaveUp(RepositoryError):
    """Transient failures went on through every retry: the repository is unreachable for now."""


OnBytes = Callable[[int], None]  # called with the size of each block sent or received


@dataclass(frozen=True)
class ObjectInfo:
    name: str
    size: int


class Backend(Protocol):
    url: str

    def put(self, name: str, data: bytes, on_bytes: OnBytes | None = None) -> None:
        """Store `data` under `name` atomically, replacing any previous object."""

    def get(self, name: str, offset: int = 0, length: int | None = None, on_bytes: OnBytes | None = None) -> bytes:
        """The object's bytes (or `length` bytes from `offset`); `NotFound` if absent."""

    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        """Every object whose name starts with `prefix`, in no particular order."""

    def exists(self, name: str) -> bool: ...

    def delete(self, name: str) -> None:
        """Remove `name`; deleting a missing object is not an error."""

    def retained_until(self, name: str) -> datetime | None:
        """When write-once retention (S3 Object Lock) on `name` ends; None if it can go now."""


def open_backend(url: str, aws: Aws | None = None, transfer: Transfer | None = None) -> Backend:
    """The backend a repository URL names: /path, file:///path, s3://bucket/prefix,
    s3:https://host[:port]/bucket/prefix (an S3-compatible endpoint), memory://name.

    The bare backend: `transport.wrap` adds retries and rate limits (Repository does)."""
    if url.startswith("s3:"):
        from .s3 import S3Backend

        return S3Backend(url, aws, transfer)
    scheme = url.split("://", 1)[0] if "://" in url else "file"
    if scheme == "file":
        from .local import LocalBackend

        return LocalBackend(url)
    if scheme == "memory":
        from .memory import MemoryBackend

        return MemoryBackend(url)
    from ...errors import UsageError

    raise UsageError(f"unsupported repository URL {url!r} (use /path, file:///path, s3://bucket/prefix "
                     "or s3:https://host/bucket/prefix)")


def innermost(backend: Backend) -> Backend:
    """The backend under any wrappers (settings such as Object Lock retention go there)."""
    while (inner := backend.__dict__.get("inner")) is not None:
        backend = inner
    return backend


__all__ = ["Backend", "GaveUp", "NotFound", "ObjectInfo", "OnBytes", "Transient", "innermost", "open_backend"]
