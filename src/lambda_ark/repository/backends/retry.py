"""Retries with exponential backoff and jitter, for `Transient` backend failures only.

`delay(attempt, u)` is pure (u is a uniform random number in [0, 1)), so the schedule has table
tests. Equal jitter: half of each backoff step is fixed and half random, so clients that failed
together (a link came back) spread out, yet none retries at once and hammers an endpoint that
just said 503. A `NotFound`, a denied request or a bad signature is never retried: another try
would meet the same answer.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from . import GaveUp, Transient

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 10  # tries in all, the first included
    base: float = 0.5  # seconds before the second try (its fixed half, that is, times two)
    cap: float = 30.0  # no single wait is longer
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)
    random: Callable[[], float] = field(default=random.random, compare=False)

    def delay(self, attempt: int, u: float) -> float:
        """Seconds to wait after failed try number `attempt` (0-based)."""
        step = min(self.cap, self.base * 2.0**attempt)
        return step / 2 + u * step / 2

    def run(self, what: str, fn: Callable[[], T], on_retry: Callable[[Transient], None] | None = None) -> T:
        """`fn()`, tried again after each `Transient` failure; `GaveUp` when every try failed."""
        for attempt in range(self.attempts):
            try:
                return fn()
            except Transient as exc:
                if attempt == self.attempts - 1:
                    tries = "1 try" if self.attempts == 1 else f"{self.attempts} tries"
                    raise GaveUp(f"{what}: gave up after {tries}: {exc}") from exc
                if on_retry is not None:
                    on_retry(exc)
                self.sleep(self.delay(attempt, self.random()))
        raise AssertionError("unreachable")  # attempts >= 1
