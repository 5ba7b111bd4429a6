"""State is process-global: a second endpoint in the same process sees the same resources."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3

from lambda_ark import embedded


def test_two_endpoints_share_one_world(client: Callable[..., Any], unique: Callable[[str], str]) -> None:
    name = unique("shared")
    client("sqs").create_queue(QueueName=name)
    second = embedded.start()
    try:
        session = boto3.Session(aws_access_key_id="x", aws_secret_access_key="x", region_name="us-east-1")
        urls = session.client("sqs", endpoint_url=second.url).list_queues(QueueNamePrefix=name)["QueueUrls"]
        assert len(urls) == 1
    finally:
        second.stop()
