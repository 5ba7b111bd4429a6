"""How repository traffic travels: retries, rate limits and multipart uploads around any backend.

    Repository -> TransportBackend (retry, backoff + jitter, pacing, multipart) -> S3 / local / memory

The wrapper is restic's `retry` and `limiter` backends in one: it speaks the backend protocol on
both sides, so backends stay four verbs on opaque names and never retry, sleep or count. Per-request
timeouts are socket timeouts the S3 backend gets from `Transfer` (a request that makes no progress
for `timeout` seconds fails as `Transient` and is tried again here).

One `Transfer` per command run: its rate limiters are shared by every repository opened with it,
so `copy` to three replicas over one uplink keeps to one `--limit-upload`, like restic's.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from . import Backend, GaveUp, ObjectInfo, OnBytes, Transient
from .limiter import TokenBucket, kib_per_second
from .multipart import Multipart, put_multipart
from .retry import RetryPolicy

T = TypeVar("T")
MiB = 1024 * 1024


@dataclass
class Stats:
    """What went over the wire to one repository (partial bodies of failed requests included)."""

    bytes_up: int = 0
    bytes_down: int = 0
    requests: int = 0
    retries: int = 0
    parts_resumed: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, **counts: int) -> None:
        with self._lock:
            for name, n in counts.items():
                setattr(self, name, getattr(self, name) + n)

    def as_dict(self) -> dict[str, int]:
        return {"bytes_up": self.bytes_up, "bytes_down": self.bytes_down, "requests": self.requests,
                "retries": self.retries, "parts_resumed": self.parts_resumed}


@dataclass
class Transfer:
    """Transfer settings for one run, and the state its repositories share (limiters, counters)."""

    limit_upload: int | None = None  # KiB/s, None: no limit
    limit_download: int | None = None
    s3_endpoint: str | None = None  # an S3-compatible endpoint (MinIO, …) for s3://bucket/prefix URLs
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    timeout: float = 60.0  # seconds a request may go without progress (socket read timeout)
    connect_timeout: float = 10.0
    multipart_threshold: int = 16 * MiB  # larger objects go up in parts (S3): resumable, retried per part
    part_size: int = 8 * MiB  # S3 wants >= 5 MiB for every part but the last
    stats: dict[str, Stats] = field(default_factory=dict)
    clock: Callable[[], float] = field(default=time.monotonic, repr=False)  # the rate limiters' (tests: fake)
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)
    _up: TokenBucket | None = field(default=None, init=False, repr=False)
    _down: TokenBucket | None = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def __post_init__(self) -> None:
        from ...errors import UsageError

        for flag, value in (("--limit-upload", self.limit_upload), ("--limit-download", self.limit_download)):
            if value is not None and value <= 0:
                raise UsageError(f"{flag} {value}: give a positive rate in KiB/s (or leave it out)")
        if self.retry.attempts < 1:
            raise UsageError("retries: at least one try is needed")
        if self.part_size < 5 * MiB or self.multipart_threshold < self.part_size:
            raise UsageError("multipart: parts must be at least 5 MiB and the threshold at least one part")
        self._up = kib_per_second(self.limit_upload, self.clock, self.sleep)
        self._down = kib_per_second(self.limit_download, self.clock, self.sleep)

    def stats_for(self, url: str) -> Stats:
        with self._lock:
            return self.stats.setdefault(url, Stats())

    def pacer(self, stats: Stats, upload: bool, then: OnBytes | None) -> OnBytes:
        """The `on_bytes` a backend calls: count, wait for the rate limit, tell the caller."""
        bucket = self._up if upload else self._down

        def on_bytes(n: int) -> None:
            stats.add(**{"bytes_up" if upload else "bytes_down": n})
            if bucket is not None:
                bucket.take(n)
            if then is not None:
                then(n)

        return on_bytes


class TransportBackend:
    """A backend seen through `Transfer`: every verb retried on `Transient`, bodies paced and counted,
    large puts sent in parts when the backend can. Other attributes are the wrapped backend's."""

    def __init__(self, inner: Backend, transfer: Transfer) -> None:
        self.inner = inner
        self.url = inner.url
        self.transfer = transfer
        self.stats = transfer.stats_for(inner.url)
        self._unfinished: dict[str, str] | None = None  # name -> upload id, listed at the first large put
        self._lock = threading.Lock()
        # Once every retry of a request has failed, the repository is taken to be gone: later
        # requests get one try each (so cleanup on the way out — the last pack, the lock — does not
        # wait minutes more), and the first that succeeds brings the retries back.
        self._gone = False

    def __getattr__(self, name: str) -> Any:
        if name == "inner":  # not set yet (copying, unpickling): never recurse
            raise AttributeError(name)
        return getattr(self.inner, name)  # the S3 backend's `aws`, Object Lock settings, …

    def _run(self, what: str, fn: Callable[[], T]) -> T:
        def attempt() -> T:
            self.stats.add(requests=1)
            return fn()

        policy = dataclasses.replace(self.transfer.retry, attempts=1) if self._gone else self.transfer.retry
        try:
            result = policy.run(what, attempt, on_retry=lambda _exc: self.stats.add(retries=1))
        except GaveUp:
            self._gone = True
            raise
        self._gone = False
        return result

    def put(self, name: str, data: bytes, on_bytes: OnBytes | None = None) -> None:
        pace = self.transfer.pacer(self.stats, True, on_bytes)
        inner = self.inner
        if isinstance(inner, Multipart) and len(data) > inner.multipart_threshold:
            outcome = put_multipart(inner, name, data, self._run, self._uploads(inner), pace)
            self.stats.add(parts_resumed=outcome.resumed)
            return
        self._run(f"put {name} to {self.url}", lambda: inner.put(name, data, pace))

    def _uploads(self, inner: Multipart) -> dict[str, str]:
        with self._lock:
            if self._unfinished is None:
                found = self._run(f"list unfinished uploads in {self.url}", lambda: inner.list_uploads("data/"))
                self._unfinished = {u.name: u.upload_id for u in sorted(found, key=lambda u: u.initiated)}
            return self._unfinished

    def get(self, name: str, offset: int = 0, length: int | None = None, on_bytes: OnBytes | None = None) -> bytes:
        pace = self.transfer.pacer(self.stats, False, on_bytes)
        return self._run(f"get {name} from {self.url}", lambda: self.inner.get(name, offset, length, pace))

    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        # Listed whole inside the retry: a listing cut halfway is started again, never half-used.
        return iter(self._run(f"list {prefix} in {self.url}", lambda: list(self.inner.list(prefix))))

    def exists(self, name: str) -> bool:
        return self._run(f"look up {name} in {self.url}", lambda: self.inner.exists(name))

    def delete(self, name: str) -> None:
        self._run(f"delete {name} from {self.url}", lambda: self.inner.delete(name))

    def retained_until(self, name: str) -> datetime | None:
        return self._run(f"retention of {name} in {self.url}", lambda: self.inner.retained_until(name))


def wrap(backend: Backend, transfer: Transfer | None = None) -> TransportBackend:
    return backend if isinstance(backend, TransportBackend) else TransportBackend(backend, transfer or Transfer())


def open_with_retries(open_: Callable[[], T], what: str, transfer: Transfer | None) -> T:
    """Construct a backend (the S3 one asks the bucket's region on the way) with the same retries."""
    policy = (transfer or Transfer()).retry
    return policy.run(what, open_)


__all__ = ["Stats", "Transfer", "TransportBackend", "Transient", "open_with_retries", "wrap"]
