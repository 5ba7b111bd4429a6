"""A token bucket that paces bytes: `--limit-upload` / `--limit-download` (KiB/s, as restic's).

Backends call `on_bytes(n)` for each block (at most 64 KiB) as it goes over the wire; the limiter's
`take(n)` sleeps long enough that, over any stretch longer than the burst, no more than `rate`
bytes per second pass. Takers share the bucket: several uploads at once share one limit, so the
link sees the limit, not the limit times the number of connections.

Debt instead of waiting in turn: a taker subtracts its bytes at once and sleeps off the deficit
its own take created, so concurrent takers queue up behind each other without a condition variable.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

# Enough for a few blocks at once, so small objects (index files, locks) are not delayed at all
# while a link is otherwise idle, but never enough to burst a whole pack at line rate.
BURST = 256 * 1024


@dataclass
class TokenBucket:
    rate: float  # bytes per second
    burst: float = BURST
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    _tokens: float = field(init=False)
    _last: float = field(init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.rate <= 0:
            raise ValueError("a rate limit must be positive")
        self._tokens = self.burst
        self._last = self.clock()

    def take(self, n: int) -> float:
        """Account for `n` bytes; sleep until they fit the rate. Returns the time slept."""
        with self._lock:
            now = self.clock()
            self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
            self._last = now
            self._tokens -= n
            wait = -self._tokens / self.rate if self._tokens < 0 else 0.0
        if wait > 0:
            self.sleep(wait)
        return wait


def kib_per_second(limit: int | None, clock: Callable[[], float] = time.monotonic,
                   sleep: Callable[[float], None] = time.sleep) -> TokenBucket | None:
    """The bucket for a `--limit-*` value in KiB/s (restic's unit); None for no limit."""
    return TokenBucket(rate=limit * 1024.0, clock=clock, sleep=sleep) if limit else None
