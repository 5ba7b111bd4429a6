"""Helpers for end-to-end tests: a repository in a temp folder, the CLI as a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from lambda_ark.aws import Aws
from lambda_ark.repository import Repository

PASSWORD = "correct horse battery staple"


@pytest.fixture
def repo(tmp_path: Path, aws: Aws) -> Repository:
    return Repository.init(str(tmp_path / "repo"), password=PASSWORD, aws=aws)


def run_cli(*args: str, endpoint: str, password: str = PASSWORD, **env: str) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "LAMBDA_ARK_"))}
    full_env.update(
        {
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "LAMBDA_ARK_PASSWORD": password,
            **env,
        }
    )
    return subprocess.run(
        [sys.executable, "-m", "lambda_ark", *args], capture_output=True, text=True, env=full_env, timeout=300
    )
