"""One embedded AWS endpoint per test session; boto3 talks to it over HTTP like to AWS."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from lambda_ark import embedded
from lambda_ark.aws import Aws, connect


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
