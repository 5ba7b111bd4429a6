"""One embedded AWS endpoint per test session; boto3 talks to it over HTTP like to AWS."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

import permissions_recorder
from lambda_ark import embedded
from lambda_ark.aws import Aws, connect

_PROBLEMS = pytest.StashKey[list[str]]()
_WORKER_CALLS = "lambda_ark_calls"


@pytest.fixture(scope="session")
def endpoint() -> Iterator[embedded.Endpoint]:
    ep = embedded.start()
    yield ep
    ep.stop()


@pytest.fixture(autouse=True)
def _isolate_env(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    # Never let a developer's real AWS profile leak into tests.
    for var in ("AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                "AWS_ENDPOINT_URL", "LAMBDA_ARK_REPOSITORY", "LAMBDA_ARK_PASSWORD", "LAMBDA_ARK_PASSWORD_FILE"):
        monkeypatch.delenv(var, raising=False)
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(home / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(home / "credentials"))
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture
def aws(endpoint: embedded.Endpoint) -> Aws:
    return connect(endpoint_url=endpoint.url)


# Every AWS call lambda-ark makes is recorded by the code that made it and checked, at the end of the
# session, against the kinds' PERMISSIONS and lambda_ark.iam.roles.CORE (tests/permissions_recorder.py).
_recorder = permissions_recorder.Recorder()
_recorder.install()


def _whole_suite(session: pytest.Session) -> bool:
    """Whether this session ran every test: only then can "declared but never used" be judged."""
    opt = session.config.option
    narrowed = opt.keyword or opt.markexpr or getattr(opt, "lf", False) or getattr(opt, "deselect", None)
    args = [a for a in session.config.args if a not in ("tests", "tests/", ".")]
    return not narrowed and not args and session.testsfailed == 0 and session.testscollected > 0


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """pytest-xdist: a worker's recorded calls join the controller's, which checks them all at once."""
    calls = getattr(node, "workeroutput", {}).get(_WORKER_CALLS)
    if calls:
        _recorder.merge(json.loads(calls))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # an xdist worker ran a share of the tests: the controller judges
        workeroutput[_WORKER_CALLS] = json.dumps(_recorder.calls)
        return
    if path := permissions_recorder.record_path():
        _recorder.dump(path)
    problems = permissions_recorder.check(_recorder, complete=_whole_suite(session))
    session.config.stash[_PROBLEMS] = problems
    if problems and session.exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    problems = config.stash.get(_PROBLEMS, [])
    if problems:
        terminalreporter.section("AWS calls against declared IAM permissions", sep="=", red=True)
        for line in problems:
            terminalreporter.line(f"permission: {line}", red=True)
