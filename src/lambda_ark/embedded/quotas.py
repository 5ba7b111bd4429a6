"""AWS's API rate quotas, enforced (`lambda-ark endpoint --aws-quotas`, `embedded.start(aws_quotas=True)`).

AWS meters the Lambda control plane per account and region: GetFunction 100 requests/s, GetPolicy
15/s, and 15/s shared by every other control-plane call (ListFunctions included); CloudTrail's
LookupEvents 2/s. Over the rate, Lambda answers HTTP 429 `TooManyRequestsException`
(`{"Reason": "CallerRateLimitExceeded", "Type": "User", "message": "Rate exceeded"}`, with a
`Retry-After` header) and CloudTrail HTTP 400 `ThrottlingException`. Buckets hold one second of
requests (AWS does not publish its burst size; one second is the least kind reading).
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Callable

from werkzeug.wrappers import Response

from ..ratelimit import TokenBucket, rate_of
from .calls import ApiCall


class Quotas:
    """Token buckets per (account, region, quota bucket); `admit` says whether a call may proceed."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock  # seconds; tests set a clock they move by hand (buckets made afterwards use it)
        self._buckets: dict[tuple[str, str, str], TokenBucket] = {}
        self._lock = threading.Lock()
        self.throttled: Counter[str] = Counter()  # by "service.Operation", for tests and benchmarks

    def admit(self, call: ApiCall) -> Response | None:
        """None if the call may go on; otherwise the throttling answer AWS would give."""
        rate = rate_of(call.service, call.operation)
        if rate is None:
            return None
        key = (call.account, call.region, rate.bucket)
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                bucket = self._buckets[key] = TokenBucket(rate.per_second, clock=self.clock)
        if bucket.try_take():
            return None
        with self._lock:
            self.throttled[f"{call.service}.{call.operation}"] += 1
        return throttled(call.service)

    def reset(self) -> None:
        with self._lock:
            self._buckets.clear()
            self.throttled.clear()


def throttled(service: str) -> Response:
    if service == "lambda":
        body = {"Reason": "CallerRateLimitExceeded", "Type": "User", "message": "Rate exceeded"}
        return Response(
            json.dumps(body),
            status=429,
            content_type="application/json",
            headers={"x-amzn-ErrorType": "TooManyRequestsException", "Retry-After": "1"},
        )
    body = {"__type": "ThrottlingException", "message": "Rate exceeded"}
    return Response(json.dumps(body), status=400, content_type="application/x-amz-json-1.1")
