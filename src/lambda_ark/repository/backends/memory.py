"""An in-memory backend (memory://name): for tests and dry runs. Stores live as long as the process."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime

from . import NotFound, ObjectInfo, OnBytes

_stores: dict[str, dict[str, bytes]] = {}
_stores_lock = threading.Lock()


class MemoryBackend:
    def __init__(self, url: str) -> None:
        self.url = url
        with _stores_lock:
            # The same URL opens the same store, like a folder or a bucket would.
            self._objects = _stores.setdefault(url, {})
        self._lock = threading.Lock()

    def put(self, name: str, data: bytes, on_bytes: OnBytes | None = None) -> None:
        if on_bytes is not None:
            on_bytes(len(data))
        with self._lock:
            self._objects[name] = bytes(data)

    def get(self, name: str, offset: int = 0, length: int | None = None, on_bytes: OnBytes | None = None) -> bytes:
        with self._lock:
            try:
                data = self._objects[name]
            except KeyError:
                raise NotFound(f"{name}: not found in {self.url}") from None
        end = None if length is None else offset + length
        out = data[offset:end]
        if on_bytes is not None:
            on_bytes(len(out))
        return out

    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        with self._lock:
            items = [ObjectInfo(k, len(v)) for k, v in self._objects.items() if k.startswith(prefix)]
        yield from items

    def exists(self, name: str) -> bool:
        with self._lock:
            return name in self._objects

    def delete(self, name: str) -> None:
        with self._lock:
            self._objects.pop(name, None)

    def retained_until(self, name: str) -> datetime | None:
        return None


def drop(url: str) -> None:
    """Forget a memory store entirely (tests use it to start clean)."""
    with _stores_lock:
        _stores.pop(url, None)
