"""AWS's published API rates, and token buckets that keep lambda-ark to a share of them.

The Lambda control plane allows, per account and region: GetFunction 100 requests/s, GetPolicy 15/s,
and 15/s shared by every other control-plane call (ListFunctions included; invocations are the
data plane and not counted). CloudTrail's LookupEvents allows 2/s. A backup that used the whole
quota would throttle the owner's own deploys, so every `Aws` with an `api_share` takes a token from
a bucket per (account, region, quota bucket) before each attempt of a call; the buckets are shared
by all threads of that `Aws`, and sit in front of botocore's adaptive retries (which only react
after a throttle).

The same table drives the embedded endpoint's `--aws-quotas`, which answers AWS's throttling errors
when a bucket is empty: the client side waits, the server side refuses.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["DEFAULT_SHARE", "Limiter", "Rate", "TokenBucket", "parse_share", "rate_of"]

DEFAULT_SHARE = 0.5  # of AWS's published rate: the rest is the owner's


@dataclass(frozen=True)
class Rate:
    """One quota bucket: calls that share it, and AWS's rate for it (requests per second)."""

    bucket: str
    per_second: float


_GET_FUNCTION = Rate("GetFunction", 100.0)
_GET_POLICY = Rate("GetPolicy", 15.0)
_LAMBDA_CONTROL = Rate("lambda-control-plane", 15.0)
_LOOKUP_EVENTS = Rate("LookupEvents", 2.0)

_LAMBDA_OWN = {"GetFunction": _GET_FUNCTION, "GetPolicy": _GET_POLICY}
# The data plane: limited by concurrency, not by the control plane's request rate.
_LAMBDA_DATA_PLANE = frozenset({"Invoke", "InvokeAsync", "InvokeWithResponseStream"})


def rate_of(service: str, operation: str) -> Rate | None:
    """The quota bucket a call counts against, or None for calls lambda-ark does not meter."""
    if service == "lambda":
        if operation in _LAMBDA_DATA_PLANE:
            return None
        return _LAMBDA_OWN.get(operation, _LAMBDA_CONTROL)
    if service == "cloudtrail" and operation == "LookupEvents":
        return _LOOKUP_EVENTS
    return None


def parse_share(text: str) -> float:
    """`50` or `50%` -> 0.5: the percentage of AWS's rates lambda-ark may use (above 0, up to 100)."""
    try:
        value = float(text.strip().removesuffix("%"))
    except ValueError:
        value = -1.0
    if not 0 < value <= 100:
        from .errors import UsageError

        raise UsageError(f"--api-share {text!r}: give a percentage of AWS's rates above 0 and up to 100, e.g. 50%")
    return value / 100


class TokenBucket:
    """`rate` tokens a second, at most `capacity` saved up (a one-second burst by default).

    `reserve()` takes a token now or promises the next free one and says how long to wait for it, so
    waiting callers are served in order without spinning; `try_take()` never waits (the server side).
    """

    def __init__(self, rate: float, capacity: float | None = None, clock: Callable[[], float] = time.monotonic):
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.capacity = max(1.0, capacity if capacity is not None else rate)
        self._clock = clock
        self._tokens = self.capacity
        self._last = clock()
        self._lock = threading.Lock()

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self.capacity, self._tokens + (now - self._last) * self.rate)
        self._last = now

    def reserve(self) -> float:
        """Take a token; return the seconds to wait before using it (0 if one was there)."""
        with self._lock:
            self._refill()
            self._tokens -= 1
            return 0.0 if self._tokens >= 0 else -self._tokens / self.rate

    def try_take(self) -> bool:
        with self._lock:
            self._refill()
            if self._tokens < 1:
                return False
            self._tokens -= 1
            return True


@dataclass
class Limiter:
    """Token buckets per (account, region, quota bucket) at `share` of AWS's rates."""

    share: float = DEFAULT_SHARE
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    waited: float = 0.0  # seconds callers spent waiting for tokens (for --json and benchmarks)
    _buckets: dict[tuple[str, str, str], TokenBucket] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def bucket(self, account: str, region: str, rate: Rate) -> TokenBucket:
        key = (account, region, rate.bucket)
        with self._lock:
            if key not in self._buckets:
                per_second = rate.per_second * self.share
                # A burst no bigger than one second of our share: never a spike the owner would see.
                self._buckets[key] = TokenBucket(per_second, capacity=per_second, clock=self.clock)
            return self._buckets[key]

    def acquire(self, account: str, region: str, service: str, operation: str) -> None:
        rate = rate_of(service, operation)
        if rate is None:
            return
        wait = self.bucket(account, region, rate).reserve()
        if wait > 0:
            with self._lock:
                self.waited += wait
            self.sleep(wait)
