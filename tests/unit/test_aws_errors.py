"""Every way an AWS call fails becomes one AwsError line naming the call and region, paged or not."""

from __future__ import annotations

import boto3
import pytest
from botocore.config import Config

from lambda_ark.aws import call
from lambda_ark.errors import AwsError
from lambda_ark.kinds.common import pages


def _unreachable() -> object:
    return boto3.Session(aws_access_key_id="x", aws_secret_access_key="x").client(
        "lambda",
        region_name="eu-west-1",
        endpoint_url="http://127.0.0.1:9",
        config=Config(retries={"max_attempts": 1}, connect_timeout=2),
    )


def test_a_paged_call_to_an_unreachable_endpoint_is_an_aws_error() -> None:
    with pytest.raises(AwsError, match=r"^list_functions in eu-west-1: cannot reach http://127.0.0.1:9"):
        list(pages(_unreachable(), "list_functions", "Functions"))


def test_a_single_call_too() -> None:
    with pytest.raises(AwsError, match=r"^get_function in eu-west-1: cannot reach"):
        call(_unreachable(), "get_function", FunctionName="f")
