"""A backup killed with SIGKILL leaves no snapshot and a repository that checks clean; the next
backup completes. Runs against its own slow endpoint process so the kill lands mid-capture."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from lambda_ark.aws import Aws, connect
from lambda_ark.demo import estate

from .conftest import run_cli


def _endpoint(latency_ms: int) -> Iterator[str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "lambda_ark", "endpoint", "--port", "0", "--latency-ms", str(latency_ms)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    yield proc.stdout.readline().strip()
    proc.terminate()
    proc.wait(timeout=30)


@pytest.fixture
def slow_endpoint() -> Iterator[str]:
    yield from _endpoint(100)


@pytest.fixture
def slower_endpoint() -> Iterator[str]:
    yield from _endpoint(500)  # restore runs functions 8 at a time: each call must cost more to be caught


def _estate(endpoint: str, n: int = 24) -> None:
    aws: Aws = connect(endpoint_url=endpoint)
    role = estate.role_arn(aws)

    def create(i: int) -> None:
        aws.client("lambda", "us-east-1").create_function(
            FunctionName=f"k-{i:02d}",
            Runtime="python3.12",
            Role=role,
            Handler="handler.handler",
            Code={"ZipFile": estate.package(f"k-{i}")},
        )

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(create, range(n)))


def _env(endpoint: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "LAMBDA_ARK_"))}
    env.update(
        {
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_ACCESS_KEY_ID": "t",
            "AWS_SECRET_ACCESS_KEY": "t",
            "LAMBDA_ARK_PASSWORD": "correct horse battery staple",
        }
    )
    return env


def test_sigkill_mid_backup_leaves_no_snapshot(slow_endpoint: str, tmp_path: Path) -> None:
    _estate(slow_endpoint)
    repo = str(tmp_path / "repo")
    assert run_cli("init", "--repo", repo, endpoint=slow_endpoint).returncode == 0

    env = _env(slow_endpoint)
    backup = subprocess.Popen(
        [sys.executable, "-m", "lambda_ark", "backup", "--repo", repo, "--regions", "us-east-1", "--workers", "1"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(3)  # imports, listing, a few functions captured: well short of 24 at 100 ms a call
    backup.send_signal(signal.SIGKILL)
    assert backup.wait(timeout=30) == -signal.SIGKILL  # it was killed, not finished

    listed = run_cli("snapshots", "--repo", repo, "--json", endpoint=slow_endpoint)
    assert listed.returncode == 0 and listed.stdout.strip() in ("[]", "")
    checked = run_cli("check", "--repo", repo, endpoint=slow_endpoint)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    done = run_cli("backup", "--repo", repo, "--regions", "us-east-1", "--json", endpoint=slow_endpoint)
    assert done.returncode == 0, done.stderr
    assert '"functions": 24' in done.stdout


# `lambda-ark` as a terminal starts it: Ctrl-C raises KeyboardInterrupt (a test runner in the
# background may have left SIGINT ignored, which children would inherit).
_AS_FROM_A_TERMINAL = (
    "import runpy, signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
    "sys.argv[0] = 'lambda-ark'; runpy.run_module('lambda_ark', run_name='__main__')"
)


def test_ctrl_c_stops_at_once_and_leaves_no_lock(slow_endpoint: str, tmp_path: Path) -> None:
    _estate(slow_endpoint)
    repo = tmp_path / "repo"
    assert run_cli("init", "--repo", str(repo), endpoint=slow_endpoint).returncode == 0
    backup = subprocess.Popen(
        [sys.executable, "-c", _AS_FROM_A_TERMINAL, "backup", "--repo", str(repo), "--regions", "us-east-1",
         "--workers", "1"],
        env=_env(slow_endpoint),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    # Interrupt mid-capture: the run holds its lock, with most of 24 functions (about a dozen calls
    # each, 100 ms per call, one at a time: half a minute) still to go.
    for _ in range(600):
        if list((repo / "locks").glob("*")) or backup.poll() is not None:
            break
        time.sleep(0.1)
    time.sleep(1)
    assert backup.poll() is None, backup.communicate()
    backup.send_signal(signal.SIGINT)
    try:
        out, err = backup.communicate(timeout=10)  # far less than the run had left
    finally:
        if backup.poll() is None:
            backup.kill()
            backup.communicate()
    assert backup.returncode == 130, err
    assert err.splitlines() == ["lambda-ark: interrupted"] and out == ""
    assert list((repo / "locks").glob("*")) == []
    assert list((repo / "snapshots").glob("*")) == []


def test_ctrl_c_mid_restore_stops_at_once_and_leaves_no_lock(slower_endpoint: str, tmp_path: Path) -> None:
    slow_endpoint = slower_endpoint
    _estate(slow_endpoint, n=12)
    repo = tmp_path / "repo"
    assert run_cli("init", "--repo", str(repo), endpoint=slow_endpoint).returncode == 0
    assert run_cli("backup", "--repo", str(repo), "--regions", "us-east-1", endpoint=slow_endpoint).returncode == 0
    restore = subprocess.Popen(
        [sys.executable, "-c", _AS_FROM_A_TERMINAL, "restore", "latest", "--repo", str(repo), "--to-region",
         "us-west-2", "--yes", "--quiet"],
        env=_env(slow_endpoint),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    for _ in range(600):  # the restore holds a shared lock while it reads the repository
        if list((repo / "locks").glob("*")) or restore.poll() is not None:
            break
        time.sleep(0.1)
    time.sleep(1.5)  # planning and applying 12 functions at 500 ms a call take far longer
    assert restore.poll() is None, restore.communicate()
    restore.send_signal(signal.SIGINT)
    try:
        out, err = restore.communicate(timeout=10)
    finally:
        if restore.poll() is None:
            restore.kill()
            restore.communicate()
    assert restore.returncode == 130, err
    assert err.splitlines() == ["lambda-ark: interrupted"] and out == ""
    assert list((repo / "locks").glob("*")) == []
