"""--api-share against an endpoint enforcing AWS's quotas: lambda-ark's threads together stay within
their share, and someone deploying beside them is never throttled; without a share, they are."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import boto3
import pytest
from botocore.config import Config
from tests.accounts import own_account

from lambda_ark import embedded
from lambda_ark.aws import Aws, connect
from lambda_ark.parallel import parallel_map

REGION = "eu-west-3"


@pytest.fixture(scope="module")
def metered() -> Iterator[embedded.Endpoint]:
    ep = embedded.start(aws_quotas=True)
    yield ep
    ep.stop()


def _deployer(url: str, env: dict[str, str], stop: threading.Event, seen: list[str]) -> None:
    """3 control-plane calls a second, never retried: every throttle shows."""
    session = boto3.Session(aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
                            aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
                            aws_session_token=env["AWS_SESSION_TOKEN"], region_name=REGION)
    never_retried = Config(retries={"total_max_attempts": 1, "mode": "standard"})
    lam = session.client("lambda", endpoint_url=url, config=never_retried)
    start, i = time.monotonic(), 0
    while not stop.is_set():
        try:
            lam.list_functions()
            seen.append("ok")
        except lam.exceptions.TooManyRequestsException:
            seen.append("throttled")
        i += 1
        stop.wait(max(0.0, start + i / 3 - time.monotonic()))


def _busy(aws: Aws, calls: int) -> None:
    lam = aws.client("lambda", REGION)
    parallel_map(lambda _: lam.list_functions(), range(calls), 8)


@pytest.mark.parametrize(("share", "deployer_throttled"), [(0.5, False), (None, True)])
def test_a_share_leaves_room_for_the_owners_deploys(
    aws: Aws, metered: embedded.Endpoint, share: float | None, deployer_throttled: bool
) -> None:
    assert metered.quotas is not None
    acct = own_account(aws)
    ours = connect(endpoint_url=metered.url, api_share=share)
    ours.session = acct.aws.session
    stop, seen = threading.Event(), []
    deployer = threading.Thread(target=_deployer, args=(metered.url, acct.env, stop, seen), daemon=True)
    deployer.start()
    try:
        if share:  # 7.5 a second with a burst of 7.5: about 5 seconds
            _busy(ours, 45)
        else:
            # Saturating the quota: how soon the deployer meets a throttle depends on how fast this
            # machine sends (botocore's adaptive mode also slows down after throttles), so go on in
            # rounds until it does, or give up after 10 rounds.
            for _ in range(10):
                _busy(ours, 60)
                if "throttled" in seen:
                    break
    finally:
        stop.set()
        deployer.join()
    assert seen and ("throttled" in seen) is deployer_throttled
    if share is not None:
        assert ours.throttles == {}  # within its share, AWS never had to say no
        assert ours.limiter is not None and ours.limiter.waited > 0
    else:
        assert ours.throttles["lambda.ListFunctions"] > 0  # counted per attempt, retried by botocore
