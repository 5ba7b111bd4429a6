"""Fixtures for the trigger kinds' tests: functions, contexts and unique names on the shared endpoint."""

from __future__ import annotations

import io
import uuid
import zipfile
from collections.abc import Callable
from typing import Any

import pytest
from kindtest import ACCOUNT, ROLE

from lambda_ark.aws import Aws
from lambda_ark.kinds.base import RegionContext, RestoreContext
from lambda_ark.restore.arns import ArnMapper


def _zip(body: str = "return event") -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("index.py", f"def handler(event, context):\n    {body}\n")
    return buf.getvalue()


@pytest.fixture
def uid() -> Callable[[str], str]:
    """Names unique within the session: every test shares one endpoint."""
    return lambda prefix: f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def make_function(aws: Aws) -> Callable[..., dict[str, Any]]:
    iam = aws.client("iam")
    try:  # moto checks that the execution role exists
        iam.create_role(RoleName="x", AssumeRolePolicyDocument="{}")
    except iam.exceptions.EntityAlreadyExistsException:
        pass

    def make(region: str, name: str, publish: bool = False, body: str = "return event") -> dict[str, Any]:
        fn: dict[str, Any] = aws.client("lambda", region).create_function(
            FunctionName=name, Runtime="python3.12", Role=ROLE, Handler="index.handler",
            Code={"ZipFile": _zip(body)}, Publish=publish,
        )
        return fn

    return make


@pytest.fixture
def region_ctx(aws: Aws) -> Callable[[str], RegionContext]:
    store: dict[str, bytes] = {}

    def put_file(data: bytes) -> str:
        key = uuid.uuid5(uuid.NAMESPACE_OID, data.hex()).hex
        store.setdefault(key, data)
        return key

    def make(region: str) -> RegionContext:
        ctx = RegionContext(aws=aws, account=ACCOUNT, region=region, put_file=put_file)
        ctx.cache["files"] = store
        return ctx

    return make


@pytest.fixture
def restore_ctx(aws: Aws) -> Callable[..., RestoreContext]:
    def make(mapper: ArnMapper, files: dict[str, bytes] | None = None, state: dict[str, Any] | None = None,
             fix_permissions: bool = False) -> RestoreContext:
        store = files or {}
        ctx = RestoreContext(aws=aws, mapper=mapper, read_file=lambda k: store[k], fix_permissions=fix_permissions)
        if state is not None:
            ctx.state = state
        return ctx

    return make
