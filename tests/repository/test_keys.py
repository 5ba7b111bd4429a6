"""Passphrase and KMS keys; several keys open one repository; wrong keys fail in one line."""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from lambda_ark.aws import Aws
from lambda_ark.errors import UsageError, WrongKey
from lambda_ark.repository import Repository, keys
from lambda_ark.repository.crypto import encrypt

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


@pytest.mark.parametrize(("typed_at_init", "typed_later"), [("caf\u00e9", "cafe\u0301"), ("cafe\u0301", "caf\u00e9")])
def test_password_is_nfc_normalised(tmp_path: Path, typed_at_init: str, typed_later: str) -> None:
    """'é' is one code point on some keyboards and 'e' + combining accent on others."""
    Repository.init(str(tmp_path / "r"), password=typed_at_init)
    assert Repository.open(str(tmp_path / "r"), password=typed_later).config.id
    with pytest.raises(WrongKey):
        Repository.open(str(tmp_path / "r"), password="cafe")


def test_old_keys_open_with_their_own_parameters(local_repo: Repository) -> None:
    """A key written before normalisation (n=2^15, the raw password) still opens."""
    raw_password = "cafe\u0301"
    salt = os.urandom(16)
    kek = Scrypt(salt=salt, length=32, n=2**11, r=8, p=1).derive(raw_password.encode())
    doc = {"version": 1, "type": "passphrase", "created": "2024-01-01T00:00:00+00:00", "host": "h", "user": "u",
           "kdf": {"name": "scrypt", "n": 2**11, "r": 8, "p": 1, "salt": base64.b64encode(salt).decode()},
           "data": base64.b64encode(encrypt(kek, local_repo.key.to_bytes(), b"key")).decode()}
    local_repo.backend.put("keys/old", json.dumps(doc).encode())
    assert Repository.open(local_repo.url, password=raw_password).key_name == "keys/old"


def test_new_keys_cost_scrypt_2_17(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(keys, "SCRYPT_N", keys.DEFAULT_SCRYPT_N)
    repo = Repository.init(str(tmp_path / "r"), password=PASSWORD)
    kdf = json.loads(repo.backend.get(repo.key_name))["kdf"]
    assert (kdf["n"], kdf["r"], kdf["p"]) == (2**17, 8, 1)
