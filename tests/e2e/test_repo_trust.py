"""Backup trusts the repository's data only after checking it: the previous snapshot is read under
the lock, functions whose stored data is gone are captured again, and no snapshot names missing data."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.faulty_proxy import FaultyProxy, Rule

from lambda_ark import embedded
from lambda_ark.aws import Aws
from lambda_ark.backup import BackupOptions, run_backup
from lambda_ark.repository import Repository, check
from lambda_ark.repository.backends import Backend
from lambda_ark.repository.index import pack_name

from .conftest import PASSWORD
from .isolated import Account, make_functions, own_account

REGION = "eu-west-1"  # each test has an account of its own: the region is all theirs
NAMES = ["trust-a", "trust-b", "trust-c"]


@pytest.fixture
def acct(aws: Aws) -> Account:
    account = own_account(aws)
    make_functions(account.aws, REGION, NAMES)
    return account


def _repo(path: Path, aws: Aws) -> Repository:
    # one chunk per pack, so deleting a pack loses exactly one function's data
    return Repository.init(str(path), password=PASSWORD, aws=aws, pack_size=1)


def _file_of(repo: Repository, name: str) -> tuple[str, Any]:
    snap = repo.load_snapshot("latest")
    (rec,) = [r for r in snap.body["functions"] if r["name"] == name]
    key = rec["items"]["function"]["file"]
    return key, snap.files[key]


def _complete(repo: Repository) -> list[str]:
    """The newest snapshot names only data the repository has, every file of it reads back, and check
    finds nothing lacking in it. Returns check's other errors (older snapshots keep their damage)."""
    latest = repo.load_snapshot("latest")
    assert repo.missing_files(latest.files) == set()
    for ref in latest.files.values():
        repo.read_file(ref)
    errors = check(repo).errors
    assert [e for e in errors if e.startswith(f"snapshots/{latest.id}")] == []
    return errors


def test_a_lost_pack_means_its_functions_are_captured_again(acct: Account, aws: Aws, tmp_path: Path) -> None:
    repo = _repo(tmp_path / "r", aws)
    assert run_backup(acct.aws, repo, BackupOptions(regions=[REGION])).captured == 3
    _, ref = _file_of(repo, "trust-b")
    pack = repo.index(refresh=True).lookup(ref.skeleton)[0].pack
    (tmp_path / "r" / pack_name(pack)).unlink()

    before = acct.aws.calls["lambda.GetFunction"]
    again = run_backup(acct.aws, repo, BackupOptions(regions=[REGION]))
    assert again.ok, again.errors
    assert (again.captured, again.unchanged) == (1, 2)  # trust-b alone, read from AWS again
    assert acct.aws.calls["lambda.GetFunction"] > before
    # the only problem check still reports is the lost pack itself (the index lists it)
    assert all(pack in e for e in _complete(repo))


def test_lost_index_files_mean_everything_is_captured_again(acct: Account, aws: Aws, tmp_path: Path) -> None:
    repo = _repo(tmp_path / "r", aws)
    run_backup(acct.aws, repo, BackupOptions(regions=[REGION]))
    for index_file in (tmp_path / "r" / "index").iterdir():
        index_file.unlink()

    before = acct.aws.calls["lambda.GetFunction"]
    again = run_backup(acct.aws, repo, BackupOptions(regions=[REGION]))
    assert again.ok, again.errors
    assert (again.captured, again.unchanged) == (3, 0)
    assert acct.aws.calls["lambda.GetFunction"] - before >= 3
    # what is left is the first snapshot's own record (its tree), unindexed: for `repair`
    assert all(e.endswith("not in the index") for e in _complete(repo))


@pytest.fixture
def proxy(endpoint: embedded.Endpoint) -> Iterator[FaultyProxy]:
    p = FaultyProxy(upstream=endpoint.url)
    p.start()
    yield p
    p.stop()


def test_a_function_whose_data_is_lost_and_cannot_be_read_is_an_error_not_a_dangling_reference(
    acct: Account, aws: Aws, proxy: FaultyProxy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")
    repo = _repo(tmp_path / "r", aws)
    run_backup(acct.aws, repo, BackupOptions(regions=[REGION]))
    _, ref = _file_of(repo, "trust-c")
    (tmp_path / "r" / pack_name(repo.index(refresh=True).lookup(ref.skeleton)[0].pack)).unlink()

    broken = b'{"__type": "ServiceException", "message": "internal"}'
    proxy.rules.append(Rule("GET", r"^/2015-03-31/functions/trust-c$", times=-1, status=500, body=broken))
    via = Aws(session=acct.aws.session, endpoint_url=f"http://127.0.0.1:{proxy._server.server_address[1]}")
    result = run_backup(via, repo, BackupOptions(regions=[REGION]))
    assert not result.ok and len(result.errors) == 1
    assert "trust-c" in result.errors[0] and "missing from the repository" in result.errors[0]
    latest = repo.load_snapshot("latest")
    assert result.snapshot_id == latest.id and "partial" in latest.tags
    assert sorted(r["name"] for r in latest.body["functions"]) == ["trust-a", "trust-b"]
    assert repo.missing_files(latest.files) == set()  # (check would trip over the first snapshot's loss)


class _Recording:
    """A backend that remembers the order of what was asked of it (not AWS: the repository's store)."""

    def __init__(self, inner: Backend) -> None:
        self.inner, self.ops = inner, []  # type: ignore[var-annotated]

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.inner, name)
        if name not in ("put", "get", "list", "delete", "exists"):
            return attr

        def recorded(key: str, *args: Any, **kwargs: Any) -> Any:
            self.ops.append(f"{name} {key}")
            return attr(key, *args, **kwargs)

        return recorded


def test_the_previous_snapshot_is_read_under_the_lock(acct: Account, aws: Aws, tmp_path: Path) -> None:
    repo = _repo(tmp_path / "r", aws)
    run_backup(acct.aws, repo, BackupOptions(regions=[REGION]))
    recording = _Recording(repo.backend)
    repo.backend = recording  # type: ignore[assignment]
    run_backup(acct.aws, repo, BackupOptions(regions=[REGION]))
    first_lock = next(i for i, op in enumerate(recording.ops) if op.startswith("put locks/"))
    first_read = next(i for i, op in enumerate(recording.ops) if op.startswith(("list snapshots/", "get snapshots/")))
    assert first_lock < first_read
