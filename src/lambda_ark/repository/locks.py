"""Repository locks: shared for writers (backup, copy, check), exclusive for prune/forget --prune.

A lock is a small plaintext JSON object `locks/<random>` (not encrypted: `unlock` must work
without the key). Taking a lock is "write mine, then look": if a conflicting live lock exists we
delete ours and refuse, so two racing takers may both back off but never both proceed. A lock is
stale when it was not refreshed for STALE_AFTER, or when its process on this host is gone; stale
locks are ignored and `unlock` removes them.

A holder must stop before it relies on a lock it may have lost (restic's rule): `Lock.check()`
fails when the lock object is gone (someone ran `unlock --remove-all`) or when no refresh has
succeeded for REFRESH_DEADLINE, after which others may already take it for stale. A writer checks
before it commits, so a prune that started meanwhile never sees a snapshot appear under it.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ..errors import LockError
from .backends import Backend, GaveUp, NotFound

STALE_AFTER = timedelta(minutes=30)
REFRESH_EVERY = timedelta(minutes=5)
# Give up on a lock well before others may call it stale: clocks drift and a refresh takes time.
REFRESH_DEADLINE = STALE_AFTER - REFRESH_EVERY * 3 / 2


@dataclass(frozen=True)
class LockInfo:
    name: str
    exclusive: bool
    host: str
    pid: int
    time: datetime  # last refresh

    def describe(self) -> str:
        kind = "exclusive" if self.exclusive else "shared"
        return f"{kind} lock by pid {self.pid} on {self.host} since {self.time:%Y-%m-%d %H:%M:%S}Z"

    def is_stale(self, now: datetime | None = None) -> bool:
        now = now or datetime.now(UTC)
        if now - self.time > STALE_AFTER:
            return True
        return self.host == socket.gethostname() and not _alive(self.pid)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _doc(exclusive: bool, now: datetime) -> bytes:
    return json.dumps({
        "exclusive": exclusive, "host": socket.gethostname(), "pid": os.getpid(), "time": now.isoformat(),
    }).encode()


def list_locks(backend: Backend, prefix: str = "locks/") -> list[LockInfo]:
    out = []
    for obj in backend.list(prefix):
        try:
            doc = json.loads(backend.get(obj.name))
            out.append(LockInfo(obj.name, bool(doc["exclusive"]), str(doc["host"]), int(doc["pid"]),
                                datetime.fromisoformat(doc["time"])))
        except NotFound:
            continue  # released while we listed
        except (ValueError, KeyError, TypeError):
            # unreadable lock: treat as a live exclusive one rather than ignore it
            out.append(LockInfo(obj.name, True, "?", 0, datetime.now(UTC)))
    return out


class Lock:
    """A held lock; refreshed in the background until `release()`.

    Locks under another `prefix` are a separate set with the same rules (a job's run lock,
    `jobs/<job>/locks/`): they conflict only with each other."""

    def __init__(self, backend: Backend, exclusive: bool, clock: Callable[[], float] = time.monotonic,
                 prefix: str = "locks/") -> None:
        self.backend, self.exclusive, self.prefix = backend, exclusive, prefix
        self.name = f"{prefix}{secrets.token_hex(16)}"
        self.clock = clock  # monotonic seconds; tests move it instead of waiting
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_ok = clock()
        self._lost: str | None = None
        self._refreshing = threading.Lock()

    def acquire(self) -> Lock:
        self.backend.put(self.name, _doc(self.exclusive, datetime.now(UTC)))
        self._last_ok = self.clock()
        others = [x for x in list_locks(self.backend, self.prefix) if x.name != self.name and not x.is_stale()]
        blocking = others if self.exclusive else [x for x in others if x.exclusive]
        if blocking:
            self.backend.delete(self.name)
            more = f" (and {len(blocking) - 1} more)" if len(blocking) > 1 else ""
            raise LockError(f"repository is locked: {blocking[0].describe()}{more}; "
                            "wait, or run `lambda-ark unlock` if that process is gone")
        self._thread = threading.Thread(target=self._refresh_loop, name="lambda-ark-lock", daemon=True)
        self._thread.start()
        return self

    def _refresh_loop(self) -> None:
        while not self._stop.wait(REFRESH_EVERY.total_seconds()):
            if not self.refresh() and self._lost:
                return

    def refresh(self) -> bool:
        """Rewrite the lock with the current time; False if that failed (or the lock is lost).

        A lock that has disappeared is not written again: whoever removed it may already be
        working under an exclusive lock of their own, so recreating ours would hide the conflict.
        """
        with self._refreshing:
            if self._lost:
                return False
            try:
                if not self.backend.exists(self.name):
                    self._lost = f"{self.name} was removed (by `lambda-ark unlock --remove-all`?)"
                    return False
                self.backend.put(self.name, _doc(self.exclusive, datetime.now(UTC)))
            except Exception:  # a missed refresh only brings the deadline closer; the next may succeed
                return False
            self._last_ok = self.clock()
            return True

    def check(self) -> None:
        """Raise LockError unless the lock is still ours: present, and refreshed recently enough."""
        if self._lost is None:
            age = self.clock() - self._last_ok
            if age > REFRESH_DEADLINE.total_seconds():
                self._lost = (f"{self.name} was not refreshed for {age / 60:.0f} minutes "
                              f"(others may take it for stale after {STALE_AFTER.total_seconds() / 60:.0f})")
            else:
                try:
                    present = self.backend.exists(self.name)
                except Exception as exc:
                    raise LockError(f"cannot tell whether {self.name} is still held: {exc}") from exc
                if not present:
                    self._lost = f"{self.name} was removed (by `lambda-ark unlock --remove-all`?)"
        if self._lost:
            raise LockError(f"repository lock lost: {self._lost}")

    def release(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        try:
            self.backend.delete(self.name)
        except GaveUp:
            pass  # the repository is unreachable: the lock goes stale there (`unlock` removes it)

    def __enter__(self) -> Lock:
        # `with repo.lock():` enters a lock that is already held: take it only once
        return self if self._thread is not None else self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


def unlock(backend: Backend, remove_all: bool = False, now: datetime | None = None,
           prefix: str = "locks/") -> list[LockInfo]:
    """Remove stale locks (or every lock with `remove_all`); returns those removed."""
    removed = [x for x in list_locks(backend, prefix) if remove_all or x.is_stale(now)]
    for x in removed:
        backend.delete(x.name)
    return removed
