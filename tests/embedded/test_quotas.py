"""`--aws-quotas`: AWS's Lambda control-plane rates per account and region, with AWS's throttling answer.

The endpoint's clock is held still here, so what the buckets allow is exact: GetFunction 100,
GetPolicy 15 and 15 for everything else together (ListFunctions included), per account and region,
then HTTP 429 TooManyRequestsException until time moves on.
"""

from __future__ import annotations

import io
import json
import sys
import zipfile
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import botocore.exceptions
import pytest
from botocore.config import Config
from tests.accounts import own_account

from lambda_ark import embedded
from lambda_ark.aws import Aws


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def metered() -> Iterator[embedded.Endpoint]:
    ep = embedded.start(aws_quotas=True)
    yield ep
    ep.stop()


@pytest.fixture
def clock(metered: embedded.Endpoint) -> Clock:
    assert metered.quotas is not None
    clock = Clock()
    metered.quotas.reset()
    metered.quotas.clock = clock
    return clock


def _zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("index.py", "def handler(e, c):\n    return e\n")
    return buf.getvalue()


@pytest.fixture
def lam(aws: Aws, metered: embedded.Endpoint) -> Callable[..., Any]:
    """A Lambda client on the metered endpoint, in an account of its own, that never retries."""
    acct = own_account(aws)

    def make(region: str = "us-east-1", account: Any = acct) -> Any:
        creds = account.env
        session = boto3.Session(aws_access_key_id=creds["AWS_ACCESS_KEY_ID"],
                                aws_secret_access_key=creds["AWS_SECRET_ACCESS_KEY"],
                                aws_session_token=creds["AWS_SESSION_TOKEN"], region_name=region)
        return session.client("lambda", endpoint_url=metered.url,
                              config=Config(retries={"total_max_attempts": 1, "mode": "standard"}))

    # this machine's Python: the endpoint runs the handler when invoked (others answer NotImplemented)
    runtime = f"python{sys.version_info.major}.{sys.version_info.minor}"
    acct.aws.client("lambda").create_function(FunctionName="f", Runtime=runtime, Role=acct.role_arn,
                                              Handler="index.handler", Code={"ZipFile": _zip()})
    return make


def _allowed(call: Callable[[], Any], times: int) -> int:
    ok = 0
    for _ in range(times):
        try:
            call()
            ok += 1
        except botocore.exceptions.ClientError as exc:
            assert exc.response["Error"]["Code"] == "TooManyRequestsException"
    return ok


def test_the_shared_control_plane_bucket_allows_15_then_throttles_like_aws(
    lam: Callable[..., Any], clock: Clock
) -> None:
    client = lam()
    assert _allowed(lambda: client.list_aliases(FunctionName="f"), 10) == 10
    assert _allowed(lambda: client.list_functions(), 10) == 5  # ListFunctions shares the bucket
    with pytest.raises(botocore.exceptions.ClientError) as info:
        client.get_function_concurrency(FunctionName="f")
    response = info.value.response
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 429
    assert response["Error"] == {"Code": "TooManyRequestsException", "Message": "Rate exceeded"}
    assert response["Reason"] == "CallerRateLimitExceeded" and response["Type"] == "User"
    assert response["ResponseMetadata"]["HTTPHeaders"]["retry-after"] == "1"
    clock.now += 1 / 15  # one more request's worth of time
    assert _allowed(lambda: client.list_aliases(FunctionName="f"), 2) == 1


def test_get_function_and_get_policy_have_buckets_of_their_own(lam: Callable[..., Any], clock: Clock) -> None:
    client = lam()
    assert _allowed(lambda: client.list_aliases(FunctionName="f"), 16) == 15
    assert _allowed(lambda: client.get_function(FunctionName="f"), 101) == 100

    def policy() -> None:
        try:
            client.get_policy(FunctionName="f")
        except client.exceptions.ResourceNotFoundException:
            pass  # no policy: still a call that counts

    assert _allowed(policy, 16) == 15


def test_buckets_are_per_region_and_account(aws: Aws, lam: Callable[..., Any], clock: Clock) -> None:
    here, there, other_account = lam(), lam("eu-west-1"), lam(account=own_account(aws))
    assert _allowed(lambda: here.list_functions(), 16) == 15
    assert _allowed(lambda: there.list_functions(), 16) == 15
    assert _allowed(lambda: other_account.list_functions(), 1) == 1


def test_invocations_are_not_control_plane_calls(lam: Callable[..., Any], clock: Clock) -> None:
    client = lam()
    assert _allowed(lambda: client.list_functions(), 20) == 15
    assert _allowed(lambda: client.invoke(FunctionName="f", Payload=json.dumps({})), 5) == 5


def test_an_endpoint_without_quotas_never_throttles(aws: Aws) -> None:
    acct = own_account(aws)
    client = acct.aws.client("lambda")
    for _ in range(40):
        client.list_functions()
    assert acct.aws.throttles == {}
