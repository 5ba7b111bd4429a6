"""Fixtures for the storage engine: repositories on each backend, real zips, the CLI in-process."""

from __future__ import annotations

import io
import random
import secrets
import sys
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from lambda_ark.aws import Aws
from lambda_ark.repository import Repository, Snapshot, keys
from lambda_ark.repository.backends import memory

PASSWORD = "correct horse"


# Password flags hand their values on through these variables (os.environ, not monkeypatch).
_PASSWORD_VARS = [f"LAMBDA_ARK_{prefix}PASSWORD{suffix}" for prefix in ("", "FROM_")
                  for suffix in ("", "_FILE", "_COMMAND")] + ["LAMBDA_ARK_FROM_REPOSITORY"]
# Transfer options hand their values on the same way.
_PASSWORD_VARS += ["LAMBDA_ARK_LIMIT_UPLOAD", "LAMBDA_ARK_LIMIT_DOWNLOAD", "LAMBDA_ARK_S3_ENDPOINT"]


@pytest.fixture(autouse=True)
def _password_vars_do_not_leak(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in _PASSWORD_VARS:
        monkeypatch.setenv(var, "")  # recorded first, so the end of the test restores the original state
        monkeypatch.delenv(var)


@pytest.fixture(autouse=True)
def _cheap_scrypt(monkeypatch: pytest.MonkeyPatch) -> None:
    # Key files record their scrypt cost, so cheaper keys made here still open the normal way.
    monkeypatch.setattr(keys, "SCRYPT_N", 2**10)


def make_bucket(aws: Aws, region: str = "us-east-1", object_lock: bool = False) -> str:
    name = f"ark-{secrets.token_hex(6)}"
    s3 = aws.client("s3", region)
    kwargs: dict[str, object] = {"Bucket": name}
    if region != "us-east-1":
        kwargs["CreateBucketConfiguration"] = {"LocationConstraint": region}
    if object_lock:
        kwargs["ObjectLockEnabledForBucket"] = True
    s3.create_bucket(**kwargs)
    return name


@pytest.fixture(params=["local", "memory", "s3"])
def repo_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh repository URL on each backend; S3 goes over HTTP to the embedded endpoint."""
    if request.param == "local":
        yield str(tmp_path / "repo")
    elif request.param == "memory":
        url = f"memory://{secrets.token_hex(6)}"
        yield url
        memory.drop(url)
    else:
        aws = request.getfixturevalue("aws")
        yield f"s3://{make_bucket(aws, 'eu-west-1')}/ark"


@pytest.fixture
def local_repo(tmp_path: Path) -> Repository:
    return Repository.init(str(tmp_path / "repo"), password=PASSWORD, pack_size=256 * 1024)


def member_bytes(seed: int, size: int, text: bool = True) -> bytes:
    """Deterministic content: text-like (compressible) or random (incompressible)."""
    rnd = random.Random(seed)
    if not text:
        return rnd.randbytes(size)
    words = [rnd.randbytes(4).hex() for _ in range(200)]
    out = " ".join(rnd.choice(words) for _ in range(size // 8 + 1)).encode()
    return out[:size]


def make_zip(members: dict[str, bytes], stored: set[str] = frozenset()) -> bytes:  # type: ignore[assignment]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_STORED if name in stored else zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    return buf.getvalue()


def package(release: int = 0, changed: tuple[int, ...] = (), n: int = 120, big: int = 0) -> dict[str, bytes]:
    """A package of `n` text members (~20-60 KB) plus an optional random `big` one."""
    members = {}
    for i in range(n):
        seed = i + (1_000_000 * release if i in changed else 0)
        members[f"pkg/mod{i:03d}.py"] = member_bytes(seed, 20_000 + (i * 337) % 40_000)
    if big:
        members["pkg/data.bin"] = member_bytes(99, big, text=False)
    return members


def snapshot(files: dict[str, object] | None = None, **kw: object) -> Snapshot:
    return Snapshot(time=kw.pop("time", datetime.now(UTC)), host="test", files=files or {}, **kw)  # type: ignore[arg-type]


@dataclass
class CliResult:
    code: int
    out: str
    err: str


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Callable[..., CliResult]:
    """Run `lambda-ark ARGS` in-process through `main` (exit codes and one-line errors included)."""
    from lambda_ark.cli import main

    def run(*args: str) -> CliResult:
        monkeypatch.setattr(sys, "argv", ["lambda-ark", *args])
        capsys.readouterr()
        code = 0
        try:
            main()
        except SystemExit as exc:
            code = int(exc.code or 0)
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run


@pytest.fixture
def aws_or_none(request: pytest.FixtureRequest, repo_url: str) -> Aws | None:
    return request.getfixturevalue("aws") if repo_url.startswith("s3://") else None
