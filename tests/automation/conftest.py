"""Helpers for automation tests: accounts of their own reached through a role (as a policy reaches
them), a fake clock (no test sleeps), a policy written for the test, a Context around it."""

from __future__ import annotations

import io
import json
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from tests.accounts import ACCESS_ROLE, Account, own_account
from tests.kinds.ownaccount import create_function

from lambda_ark.automation import Context
from lambda_ark.aws import Aws
from lambda_ark.policy import LoadedPolicy, parse_policy
from lambda_ark.repository import Repository

PASSWORD = "pw"
REGION = "eu-west-1"


@dataclass
class Clock:
    """Scheduling time, moved by tests. It starts near real time: CloudWatch keeps only recent data."""

    now: datetime = field(default_factory=lambda: datetime.now(UTC).replace(minute=30, second=0, microsecond=0))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def member(aws: Aws, functions: tuple[str, ...] = ("orders-1", "orders-2", "misc"), region: str = REGION) -> Account:
    """A fresh account with functions, reachable from the test's default account through its role."""
    account = own_account(aws)
    for name in functions:
        create_function(account.aws, region, name)
    return account


def role_of(account: Account | str) -> str:
    return f"arn:aws:iam::{account if isinstance(account, str) else account.id}:role/{ACCESS_ROLE}"


def job_name(prefix: str = "job") -> str:
    """Job names unique per test: CloudWatch, SNS and SQS are shared by the whole session."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@dataclass
class Setup:
    aws: Aws
    tmp: Path
    clock: Clock = field(default_factory=Clock)
    emf: io.StringIO = field(default_factory=io.StringIO)
    sleeps: list[float] = field(default_factory=list)

    def repo(self, name: str = "repo") -> str:
        path = self.tmp / name
        if not (path / "config").exists():
            Repository.init(str(path), password=PASSWORD, aws=self.aws)
        return str(path)

    def policy(self, text: str) -> LoadedPolicy:
        (self.tmp / "lambda-ark.yaml").write_text(text)
        return parse_policy(text, str(self.tmp / "lambda-ark.yaml"))

    def context(self, loaded: LoadedPolicy, metrics: list[str] | None = None, aws: Aws | None = None) -> Context:
        runner = aws or self.aws
        return Context(loaded=loaded, aws=runner, clock=self.clock, sleep=self.sleeps.append,
                       metrics=metrics or ["none"], emf_stream=self.emf,
                       open_repository=lambda ref: Repository.open(ref.url, password=PASSWORD, aws=runner))

    def open(self, name: str = "repo") -> Repository:
        return Repository.open(str(self.tmp / name), password=PASSWORD, aws=self.aws)


@pytest.fixture
def setup(aws: Aws, tmp_path: Path) -> Setup:
    return Setup(aws=aws, tmp=tmp_path)


def snapshots_of(repo: Repository, job: str) -> list[Any]:
    return [s for s in repo.snapshots() if f"job:{job}" in s.tags]


class Hook:
    """A local webhook that answers with the given statuses in turn (then 200) and records bodies."""

    def __init__(self, statuses: list[int]) -> None:
        self.statuses, self.bodies = list(statuses), []  # type: list[int], list[dict[str, Any]]
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                hook.bodies.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                status = hook.statuses.pop(0) if hook.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/ark"


@pytest.fixture
def hook() -> Iterator[Any]:
    made: list[Hook] = []

    def make(*statuses: int) -> Hook:
        made.append(Hook(list(statuses)))
        return made[-1]

    yield make
    for h in made:
        h.server.shutdown()
        h.server.server_close()
