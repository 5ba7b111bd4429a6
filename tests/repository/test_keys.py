"""Passphrase and KMS keys; several keys open one repository; wrong keys fail in one line."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from lambda_ark.aws import Aws
from lambda_ark.errors import UsageError, WrongKey
from lambda_ark.repository import Repository

from .conftest import PASSWORD, CliResult, snapshot


def test_wrong_password(local_repo: Repository) -> None:
    with pytest.raises(WrongKey, match="wrong password"):
        Repository.open(local_repo.url, password="nope")
    with pytest.raises(WrongKey, match="no password given"):
        Repository.open(local_repo.url)


def test_ask_password_is_used_only_when_needed(local_repo: Repository) -> None:
    asked: list[int] = []

    def ask() -> str:
        asked.append(1)
        return PASSWORD

    Repository.open(local_repo.url, ask_password=ask)
    assert asked == [1]


def test_several_passphrases(local_repo: Repository) -> None:
    new_id = local_repo.add_key(password="second")
    other = Repository.open(local_repo.url, password="second")
    assert other.key_name == f"keys/{new_id}"
    assert [k["current"] for k in other.list_keys()].count(True) == 1
    other.remove_key(local_repo.key_name.split("/")[1][:10])
    with pytest.raises(WrongKey):
        Repository.open(local_repo.url, password=PASSWORD)
    with pytest.raises(UsageError, match="last key"):
        other.remove_key(new_id)


def _kms_key(aws: Aws) -> str:
    return str(aws.client("kms").create_key()["KeyMetadata"]["Arn"])


def test_kms_key_opens_without_password(tmp_path: Path, aws: Aws) -> None:
    key = _kms_key(aws)
    repo = Repository.init(str(tmp_path / "r"), kms_key_id=key, aws=aws)
    with repo.writer() as w:
        w.commit(snapshot())
    opened = Repository.open(str(tmp_path / "r"), aws=aws)
    assert len(opened.snapshots()) == 1
    assert opened.list_keys()[0]["kms_key_id"] == key


def test_kms_and_passphrase_together(tmp_path: Path, aws: Aws) -> None:
    repo = Repository.init(str(tmp_path / "r"), password=PASSWORD, aws=aws)
    repo.add_key(kms_key_id=_kms_key(aws))
    assert sorted(k["type"] for k in repo.list_keys()) == ["kms", "passphrase"]
    assert Repository.open(repo.url, aws=aws).key_name != repo.key_name  # KMS tried first
    assert Repository.open(repo.url, password=PASSWORD).key_name == repo.key_name  # no AWS: passphrase


def test_wrong_kms_key(tmp_path: Path, aws: Aws) -> None:
    repo = Repository.init(str(tmp_path / "r"), kms_key_id=_kms_key(aws), aws=aws)
    # The key file now names a KMS key that did not wrap its data key.
    path = tmp_path / "r" / repo.key_name
    doc = json.loads(path.read_text())
    doc["kms_key_id"] = _kms_key(aws)
    path.write_text(json.dumps(doc))
    with pytest.raises(WrongKey, match="cannot open") as err:
        Repository.open(repo.url, aws=aws)
    assert "\n" not in str(err.value)


def test_cli_wrong_password_exit_1(local_repo: Repository, cli: Callable[..., CliResult],
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAMBDA_ARK_PASSWORD", "not it")
    res = cli("snapshots", "--repo", local_repo.url)
    assert res.code == 1
    assert res.err.strip().count("\n") == 0 and "wrong password" in res.err


def test_cli_wrong_kms_key_exit_1(tmp_path: Path, aws: Aws, cli: Callable[..., CliResult],
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", str(aws.endpoint_url))
    url = str(tmp_path / "r")
    assert cli("init", "--repo", url, "--kms-key-id", _kms_key(aws)).code == 0
    key_file = next((tmp_path / "r" / "keys").iterdir())
    doc = json.loads(key_file.read_text())
    doc["kms_key_id"] = _kms_key(aws)
    key_file.write_text(json.dumps(doc))
    res = cli("snapshots", "--repo", url)
    assert res.code == 1 and res.err.strip().count("\n") == 0 and "KMS key" in res.err


def test_cli_keys(local_repo: Repository, cli: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAMBDA_ARK_PASSWORD", PASSWORD)
    monkeypatch.setenv("LAMBDA_ARK_NEW_PASSWORD", "another")
    assert cli("key", "add", "--repo", local_repo.url).code == 0
    listed = json.loads(cli("key", "list", "--repo", local_repo.url, "--json").out)
    assert len(listed) == 2
    other = next(k["id"] for k in listed if not k["current"])
    assert cli("key", "remove", "--repo", local_repo.url, other[:8]).code == 0
    current = next(k["id"] for k in listed if k["current"])
    res = cli("key", "remove", "--repo", local_repo.url, current[:8])
    assert res.code == 2 and "last key" in res.err
