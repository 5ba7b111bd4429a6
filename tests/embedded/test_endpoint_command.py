"""`lambda-ark endpoint` runs the endpoint in the foreground, URL first, quiet, until stopped."""

from __future__ import annotations

import os
import subprocess
import sys

import boto3
import botocore.exceptions
from botocore.config import Config


def test_endpoint_command_serves_until_terminated() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "lambda_ark", "endpoint", "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:"), url
        session = boto3.Session(aws_access_key_id="x", aws_secret_access_key="x", region_name="eu-west-1")
        sqs = session.client("sqs", endpoint_url=url)
        sqs.create_queue(QueueName="from-the-command-test")
        assert any(u.endswith("/from-the-command-test") for u in sqs.list_queues()["QueueUrls"])
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    # werkzeug's per-request access log ("127.0.0.1 - - [...] POST / 200") must not reach stderr.
    assert "POST /" not in err and " 200 " not in err, err
    assert out == ""


def test_endpoint_command_enforces_aws_quotas_when_asked() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "lambda_ark", "endpoint", "--port", "0", "--aws-quotas"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        session = boto3.Session(aws_access_key_id="x", aws_secret_access_key="x", region_name="eu-west-1")
        lam = session.client("lambda", endpoint_url=url,
                             config=Config(retries={"total_max_attempts": 1, "mode": "standard"}))
        codes = []
        for _ in range(100):  # far more than one second's 15, faster than they refill
            try:
                lam.list_functions()
                codes.append("ok")
            except botocore.exceptions.ClientError as exc:
                codes.append(exc.response["Error"]["Code"])
        assert "TooManyRequestsException" in codes and codes[0] == "ok"
    finally:
        proc.terminate()
        proc.communicate(timeout=30)
