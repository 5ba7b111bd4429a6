"""Client-side token buckets: a share of AWS's published rates per (account, region, quota bucket),
shared by every thread of one `Aws`, on a clock the test moves."""

from __future__ import annotations

import threading

import pytest

from lambda_ark.errors import UsageError
from lambda_ark.ratelimit import Limiter, TokenBucket, parse_share, rate_of


class Clock:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept += seconds
        self.now += seconds


@pytest.mark.parametrize(
    ("service", "operation", "bucket", "rate"),
    [
        ("lambda", "GetFunction", "GetFunction", 100),
        ("lambda", "GetPolicy", "GetPolicy", 15),
        ("lambda", "ListFunctions", "lambda-control-plane", 15),
        ("lambda", "ListAliases", "lambda-control-plane", 15),
        ("lambda", "UpdateFunctionConfiguration", "lambda-control-plane", 15),
        ("cloudtrail", "LookupEvents", "LookupEvents", 2),
    ],
)
def test_aws_published_rates(service: str, operation: str, bucket: str, rate: float) -> None:
    found = rate_of(service, operation)
    assert found is not None and (found.bucket, found.per_second) == (bucket, rate)


@pytest.mark.parametrize(("service", "operation"), [("lambda", "Invoke"), ("s3", "ListBuckets"), ("sts", "x")])
def test_unmetered_calls(service: str, operation: str) -> None:
    assert rate_of(service, operation) is None


def test_a_bucket_gives_its_burst_then_spaces_calls_at_its_rate() -> None:
    clock = Clock()
    bucket = TokenBucket(10, clock=clock)
    assert [bucket.reserve() for _ in range(10)] == [0.0] * 10
    assert bucket.reserve() == pytest.approx(0.1)
    assert bucket.reserve() == pytest.approx(0.2)  # promised in order: the next after that
    clock.now += 1.0
    assert sum(bucket.try_take() for _ in range(10)) == 8  # 10 refilled, 2 of them already promised


def test_the_limiter_keeps_to_its_share_per_account_region_and_bucket() -> None:
    clock = Clock()
    limiter = Limiter(share=0.5, sleep=clock.sleep, clock=clock)
    for _ in range(30):  # 7.5/s with a burst of 7.5: 30 calls take (30 - 7.5) / 7.5 = 3 s
        limiter.acquire("1", "us-east-1", "lambda", "ListAliases")
    assert clock.now == pytest.approx(3.0, abs=0.15)
    before = clock.now
    limiter.acquire("1", "eu-west-1", "lambda", "ListAliases")  # another region: its own bucket
    limiter.acquire("2", "us-east-1", "lambda", "ListAliases")  # another account
    limiter.acquire("1", "us-east-1", "lambda", "GetFunction")  # another bucket
    limiter.acquire("1", "us-east-1", "lambda", "Invoke")  # not metered
    assert clock.now == before


def test_threads_share_one_bucket() -> None:
    limiter = Limiter(share=0.1)  # 1.5 calls a second, burst 1.5
    waits: list[float] = []
    lock = threading.Lock()

    def one() -> None:
        wait = limiter.bucket("1", "r", rate_of("lambda", "ListAliases")).reserve()  # type: ignore[arg-type]
        with lock:
            waits.append(wait)

    threads = [threading.Thread(target=one) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # six callers at 1.5/s: one free token, then each later one promised 1/1.5 s after the one before
    assert sorted(waits)[-1] == pytest.approx(5 / 1.5 - 0.5 / 1.5, abs=0.05)


@pytest.mark.parametrize(("text", "share"), [("50", 0.5), ("50%", 0.5), ("100", 1.0), ("2.5%", 0.025)])
def test_parse_share(text: str, share: float) -> None:
    assert parse_share(text) == share


@pytest.mark.parametrize("text", ["0", "-5", "101", "half", ""])
def test_parse_share_refuses_what_is_not_a_percentage(text: str) -> None:
    with pytest.raises(UsageError, match="--api-share"):
        parse_share(text)
