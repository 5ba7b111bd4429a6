"""Helpers for the embedded endpoint's tests: plain boto3 clients over HTTP, a role, zip packages."""

from __future__ import annotations

import base64
import hashlib
import io
import itertools
import zipfile
from collections.abc import Callable
from typing import Any

import boto3
import pytest

from lambda_ark import embedded

_names = itertools.count()


@pytest.fixture
def client(endpoint: embedded.Endpoint) -> Callable[..., Any]:
    """`client("lambda")`: a plain boto3 client on the endpoint, as any AWS user would build it."""
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing")

    def make(service: str, region: str = "us-east-1") -> Any:
        return session.client(service, region_name=region, endpoint_url=endpoint.url)

    return make


@pytest.fixture
def role(client: Callable[..., Any]) -> str:
    iam = client("iam")
    name = f"role-{next(_names)}"
    return str(iam.create_role(RoleName=name, AssumeRolePolicyDocument="{}")["Role"]["Arn"])


@pytest.fixture
def unique() -> Callable[[str], str]:
    """Unique resource names: the endpoint's state is shared by every test of the session."""
    return lambda prefix: f"{prefix}-{next(_names)}"


def zip_bytes(text: str, name: str = "handler.py") -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        # A fixed timestamp makes the bytes a function of the text, so tests can compare packages.
        zf.writestr(zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0)), text)
    return buf.getvalue()


def sha256_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def create_function(lam: Any, name: str, role: str, text: str = "v1", **kwargs: Any) -> dict[str, Any]:
    resp: dict[str, Any] = lam.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role,
        Handler="handler.main",
        Code={"ZipFile": zip_bytes(text)},
        **kwargs,
    )
    return resp
