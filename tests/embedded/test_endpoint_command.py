"""`lambda-ark endpoint` runs the endpoint in the foreground, URL first, quiet, until stopped."""

from __future__ import annotations

import os
import subprocess
import sys

import boto3


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
