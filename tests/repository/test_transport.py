"""Repository traffic over a poor link: retries, backoff, timeouts, multipart resume, rate limits.

S3 runs on the embedded endpoint behind tests/link_proxy.py, reached as an S3-compatible endpoint
(`Transfer.s3_endpoint`), so every fault happens on a real socket: 5xx bursts, connections cut
mid-body both ways, a server that hangs, an endpoint that goes away.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from tests.link_proxy import LinkProxy

from lambda_ark.aws import Aws
from lambda_ark.embedded import Endpoint
from lambda_ark.errors import RepositoryError, UsageError
from lambda_ark.repository.backends import GaveUp, NotFound, open_backend
from lambda_ark.repository.backends.limiter import TokenBucket
from lambda_ark.repository.backends.retry import RetryPolicy
from lambda_ark.repository.backends.transport import Transfer, TransportBackend, wrap

from .conftest import make_bucket

MiB = 1024 * 1024
FAST = RetryPolicy(attempts=4, base=0.01, cap=0.02)


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.mark.parametrize(("attempt", "u", "expected"), [
    (0, 0.0, 0.25),  # half the first step is fixed ...
    (0, 1.0, 0.5),   # ... half is random
    (1, 0.5, 0.75),
    (3, 0.0, 2.0),
    (10, 1.0, 30.0),  # capped
    (10, 0.0, 15.0),
])
def test_backoff_schedule(attempt: int, u: float, expected: float) -> None:
    assert RetryPolicy(base=0.5, cap=30).delay(attempt, u) == pytest.approx(expected)


@pytest.mark.parametrize(("rate", "takes", "slept"), [
    (1000.0, [500], 0.0),            # within the burst: no wait
    (1000.0, [1000, 1000], 1.0),     # 2000 bytes, burst 1000, 1000 B/s: one second in debt
    (1000.0, [3000], 2.0),
    (2000.0, [1000] * 9, 4.0),       # 9000 bytes - 1000 burst at 2000 B/s
])
def test_token_bucket_paces_to_the_rate(rate: float, takes: list[int], slept: float) -> None:
    clock = FakeClock()
    bucket = TokenBucket(rate=rate, burst=1000, clock=clock, sleep=clock.sleep)
    for n in takes:
        bucket.take(n)
    assert sum(clock.slept) == pytest.approx(slept)


def test_token_bucket_refills_while_idle() -> None:
    clock = FakeClock()
    bucket = TokenBucket(rate=100.0, burst=100, clock=clock, sleep=clock.sleep)
    bucket.take(100)
    clock.now += 5  # idle: the bucket fills up to its burst, not beyond
    bucket.take(100)
    assert clock.slept == []
    bucket.take(100)
    assert clock.slept == [pytest.approx(1.0)]


@pytest.mark.parametrize("bad", [{"limit_upload": 0}, {"limit_download": -5},
                                 {"part_size": MiB}, {"retry": RetryPolicy(attempts=0)}])
def test_bad_transfer_settings_are_usage_errors(bad: dict[str, object]) -> None:
    with pytest.raises(UsageError):
        Transfer(**bad)  # type: ignore[arg-type]


@pytest.fixture
def link(endpoint: Endpoint) -> Iterator[LinkProxy]:
    proxy = LinkProxy(endpoint.url)
    proxy.start()
    yield proxy
    proxy.stop()


def _s3(aws: Aws, link: LinkProxy, **settings: object) -> tuple[TransportBackend, str]:
    bucket = make_bucket(aws, "eu-west-1")
    transfer = Transfer(s3_endpoint=link.url, retry=settings.pop("retry", FAST), **settings)  # type: ignore[arg-type]
    return wrap(open_backend(f"s3://{bucket}/ark", aws, transfer), transfer), bucket


def test_5xx_burst_is_retried(aws: Aws, link: LinkProxy) -> None:
    store, _ = _s3(aws, link)
    link.fail_next(3, status=503, method="PUT")
    store.put("data/aa/x", b"payload" * 1000)
    assert store.get("data/aa/x") == b"payload" * 1000
    assert store.stats.retries == 3


def test_connection_cut_mid_upload_is_retried_and_invisible(aws: Aws, link: LinkProxy) -> None:
    store, bucket = _s3(aws, link)
    data = os.urandom(300_000)
    link.drop_next(1, method="PUT")
    store.put("data/aa/y", data)
    assert store.get("data/aa/y") == data
    assert link.received == len(data) // 2 + len(data)  # half a body, then the whole one
    assert link.delivered == len(data)  # the server never saw the cut one


def test_truncated_download_is_retried(aws: Aws, link: LinkProxy) -> None:
    store, _ = _s3(aws, link)
    data = os.urandom(200_000)
    store.put("data/aa/z", data)
    link.drop_next(1, method="GET")  # headers say 200 000 bytes, the connection dies halfway
    assert store.get("data/aa/z") == data
    assert store.get("data/aa/z", 1000, 10) == data[1000:1010]
    assert store.stats.retries == 1


def test_a_hanging_server_times_out_and_is_retried(aws: Aws, link: LinkProxy) -> None:
    store, _ = _s3(aws, link, timeout=0.5)
    store.put("index/i", b"x")
    link.hang_next(1, seconds=3, method="GET")
    assert store.get("index/i") == b"x"
    assert store.stats.retries == 1


def test_an_endpoint_that_goes_away_fails_once_retries_run_out(aws: Aws, link: LinkProxy) -> None:
    store, _ = _s3(aws, link)
    link.down = True
    with pytest.raises(GaveUp, match=r"put data/bb/q to s3://.*: gave up after 4 tries"):
        store.put("data/bb/q", b"q" * 1000)
    link.down = False
    assert [o.name for o in store.list("data/")] == []  # nothing partial is visible


def test_a_refusal_is_not_retried(aws: Aws, link: LinkProxy) -> None:
    store, _ = _s3(aws, link)
    link.fail_next(1, status=403, method="GET")
    store.put("keys/k", b"k")
    before = link.requests
    with pytest.raises(RepositoryError, match="AccessDenied") as info:
        store.get("keys/k")
    assert not isinstance(info.value, GaveUp) and link.requests == before + 1
    with pytest.raises(NotFound):
        store.get("keys/none")
    assert store.stats.retries == 0


def test_multipart_upload_retries_only_the_failed_part(aws: Aws, link: LinkProxy) -> None:
    store, _ = _s3(aws, link, multipart_threshold=5 * MiB, part_size=5 * MiB)
    data = os.urandom(11 * MiB)  # parts of 5, 5 and 1 MiB
    link.drop_next(1, method="PUT", path=r"partNumber=2")
    store.put("data/cc/big", data)
    assert store.get("data/cc/big") == data
    extra = link.received - len(data) - 5 * MiB // 2  # only half of part 2 travelled twice ...
    assert 0 < extra < 1000  # ... and the CompleteMultipartUpload document
    assert any("uploads" in line for line in link.log)


def test_interrupted_multipart_upload_resumes_where_it_stopped(aws: Aws, link: LinkProxy) -> None:
    store, bucket = _s3(aws, link, multipart_threshold=5 * MiB, part_size=5 * MiB)
    data = os.urandom(11 * MiB)
    link.after_received(5 * MiB + 1, lambda: setattr(link, "down", True))  # gone during part 2
    with pytest.raises(GaveUp):
        store.put("data/dd/big", data)
    link.down = False
    assert [o.name for o in store.list("data/")] == []  # parts are never visible as an object

    # The next run (a new process: nothing remembered but what the bucket holds) resumes.
    transfer = Transfer(s3_endpoint=link.url, retry=FAST, multipart_threshold=5 * MiB, part_size=5 * MiB)
    again = wrap(open_backend(f"s3://{bucket}/ark", aws, transfer), transfer)
    sent_before = link.received
    again.put("data/dd/big", data)
    assert again.stats.parts_resumed == 1
    assert 0 < link.received - sent_before - 6 * MiB < 1000  # parts 2 and 3 (and the part list), not part 1
    assert again.get("data/dd/big") == data


def test_upload_limit_paces_in_blocks(aws: Aws, link: LinkProxy) -> None:
    clock = FakeClock()
    store, _ = _s3(aws, link, limit_upload=512, clock=clock, sleep=clock.sleep)  # 512 KiB/s
    blocks: list[int] = []
    store.put("data/ee/paced", os.urandom(2 * MiB), on_bytes=blocks.append)
    assert max(blocks) <= 64 * 1024  # the body streams: never one burst of the whole object
    assert sum(clock.slept) == pytest.approx((2 * MiB - 256 * 1024) / (512 * 1024), rel=0.01)
    assert store.stats.bytes_up == 2 * MiB


def test_download_limit_paces_reads(tmp_path: object) -> None:
    clock = FakeClock()
    transfer = Transfer(limit_download=100, clock=clock, sleep=clock.sleep)
    store = wrap(open_backend(str(tmp_path)), transfer)
    store.put("data/ff/x", b"x" * 1024 * 1024)
    assert clock.slept == []  # no upload limit
    assert store.get("data/ff/x") == b"x" * 1024 * 1024
    assert sum(clock.slept) == pytest.approx((1024 * 1024 - 256 * 1024) / (100 * 1024), rel=0.01)


def test_prune_aborts_only_unfinished_uploads_over_a_day_old(aws: Aws, link: LinkProxy) -> None:
    from datetime import UTC, datetime, timedelta

    from lambda_ark.repository import Repository
    from lambda_ark.repository.prune import abort_stale_uploads

    bucket = make_bucket(aws, "eu-west-1")
    transfer = Transfer(s3_endpoint=link.url, retry=FAST, multipart_threshold=5 * MiB, part_size=5 * MiB)
    repo = Repository.init(f"s3://{bucket}/ark", password="pw", aws=aws, transfer=transfer)
    link.after_received(link.received + 6 * MiB, lambda: setattr(link, "down", True))
    with pytest.raises(GaveUp):
        repo.backend.put("data/ab/unfinished", os.urandom(11 * MiB))
    link.down = False
    assert abort_stale_uploads(repo) == 0  # a fresh one may still be resumed
    later = datetime.now(UTC) + timedelta(days=2)
    assert abort_stale_uploads(repo, now=later, dry_run=True) == 1
    assert abort_stale_uploads(repo, now=later) == 1
    assert aws.client("s3", "eu-west-1").list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


@pytest.mark.parametrize(("url", "parsed"), [
    ("s3://bucket/ark", (None, "bucket", "ark/")),
    ("s3://bucket", (None, "bucket", "")),
    ("s3://bucket/a/b/", (None, "bucket", "a/b/")),
    ("s3:https://minio.edge:9000/bucket/ark", ("https://minio.edge:9000", "bucket", "ark/")),
    ("s3:http://127.0.0.1:9000/bucket", ("http://127.0.0.1:9000", "bucket", "")),
])
def test_s3_urls(url: str, parsed: tuple[str | None, str, str]) -> None:
    from lambda_ark.repository.backends.s3 import parse_url

    assert parse_url(url) == parsed


@pytest.mark.parametrize("url", ["s3://", "s3:https://minio.edge:9000/", "s3:ftp://host/bucket"])
def test_bad_s3_urls(url: str) -> None:
    with pytest.raises(UsageError):
        open_backend(url)


def test_repository_on_an_s3_compatible_endpoint_named_in_the_url(aws: Aws, endpoint: Endpoint) -> None:
    from lambda_ark.repository import Repository

    bucket = make_bucket(aws, "us-east-1")
    url = f"s3:{endpoint.url}/{bucket}/edge"  # as for MinIO: s3:https://host:9000/bucket/prefix
    repo = Repository.init(url, password="pw", aws=aws)
    with repo.writer() as w:
        ref = w.put_file(b"payload" * 10_000)
    again = Repository.open(url, password="pw", aws=aws)
    assert again.read_file(ref) == b"payload" * 10_000
    keys = [o["Key"] for o in aws.client("s3").list_objects_v2(Bucket=bucket)["Contents"]]
    assert "edge/config" in keys and any(k.startswith("edge/data/") for k in keys)


def test_a_repository_gone_gets_one_try_per_request_until_it_answers(aws: Aws, link: LinkProxy) -> None:
    store, _ = _s3(aws, link)
    link.down = True
    with pytest.raises(GaveUp, match="after 4 tries"):
        store.put("data/aa/a", b"a")
    before = link.requests
    with pytest.raises(GaveUp, match="after 1 try"):  # cleanup on the way out does not wait again
        store.delete("locks/mine")
    assert link.requests == before + 1
    link.down = False
    store.put("data/aa/a", b"a")  # it answers again ...
    link.fail_next(2, status=503)
    store.put("data/aa/b", b"b")  # ... and the retries are back
    assert store.get("data/aa/b") == b"b"
