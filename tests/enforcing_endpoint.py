"""An embedded endpoint in a process of its own with IAM enforcement switched on (moto's enforcement
is process-wide, so the shared test endpoint cannot have it): set up first, then enforce."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import boto3

ACCOUNT = "123456789012"


@dataclass
class EnforcingEndpoint:
    url: str
    root: boto3.Session  # before `enforce()`: anything goes; after it, nothing (no IAM identity)
    admin: boto3.Session  # an IAM user allowed everything, for setup once enforcement is on

    def enforce(self) -> None:
        """From now on every request is checked against its caller's IAM policies."""
        request = urllib.request.Request(f"{self.url}/moto-api/reset-auth", data=b"0", method="POST",
                                         headers={"Content-Type": "text/plain"})
        urllib.request.urlopen(request).read()  # noqa: S310 - the local endpoint

    def user(self, name: str, *statements: dict[str, object]) -> boto3.Session:
        """A session of a new IAM user whose only policy has these statements (set up as admin)."""
        iam = self.admin.client("iam", endpoint_url=self.url)
        iam.create_user(UserName=name)
        iam.put_user_policy(UserName=name, PolicyName="only", PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": list(statements)}))
        key = iam.create_access_key(UserName=name)["AccessKey"]
        return boto3.Session(aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"],
                             region_name="eu-west-1")


@contextmanager
def enforcing_endpoint() -> Iterator[EnforcingEndpoint]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "INITIAL_NO_AUTH"))}
    proc = subprocess.Popen([sys.executable, "-m", "lambda_ark", "endpoint", "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        root = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1")
        iam = root.client("iam", endpoint_url=url)
        iam.create_user(UserName="admin")
        iam.put_user_policy(UserName="admin", PolicyName="all", PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
        key = iam.create_access_key(UserName="admin")["AccessKey"]
        admin = boto3.Session(aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"],
                              region_name="us-east-1")
        yield EnforcingEndpoint(url, root, admin)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
