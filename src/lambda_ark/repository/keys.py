"""Key files: the master key wrapped by a passphrase (scrypt) or by KMS (envelope encryption).

A key file is plaintext JSON (it has to be readable before anything can be decrypted); its
`data` is the 64-byte master key encrypted with AES-256-GCM under a key-encryption key that is
either scrypt(passphrase, salt) or a KMS data key (GenerateDataKey; Decrypt to open). Any key
file opens the whole repository; several may coexist (`key add`).
"""

from __future__ import annotations

import base64
import getpass
import hashlib
import json
import os
import socket
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from ..aws import error_code
from ..errors import AwsError, IntegrityError, WrongKey
from .crypto import MasterKey, decrypt, encrypt

if TYPE_CHECKING:
    from ..aws import Aws

# scrypt cost: 2^15 * 8 * 128 bytes = 32 MiB and ~0.1 s per try, the usual interactive setting.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1
_AAD = b"key"


def key_id(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _header(kind: str) -> dict[str, Any]:
    return {
        "version": 1,
        "type": kind,
        "created": datetime.now(UTC).isoformat(),
        "host": socket.gethostname(),
        "user": getpass.getuser(),
    }


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(password.encode())


def passphrase_key(master: MasterKey, password: str) -> bytes:
    salt = os.urandom(16)
    kek = _scrypt(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    doc = _header("passphrase") | {
        "kdf": {"name": "scrypt", "n": SCRYPT_N, "r": SCRYPT_R, "p": SCRYPT_P, "salt": _b64(salt)},
        "data": _b64(encrypt(kek, master.to_bytes(), _AAD)),
    }
    return json.dumps(doc, indent=1).encode()


def kms_region(kms_key_id: str, default: str) -> str:
    parts = kms_key_id.split(":")
    return parts[3] if kms_key_id.startswith("arn:") and len(parts) > 4 else default


def kms_key(master: MasterKey, kms_key_id: str, aws: Aws) -> bytes:
    region = kms_region(kms_key_id, aws.session.region_name or "us-east-1")
    try:
        resp = aws.client("kms", region).generate_data_key(KeyId=kms_key_id, KeySpec="AES_256")
    except Exception as exc:
        raise AwsError(f"kms GenerateDataKey with {kms_key_id}: {error_code(exc) or exc}") from exc
    doc = _header("kms") | {
        "kms_key_id": resp["KeyId"],
        "region": region,
        "encrypted_key": _b64(resp["CiphertextBlob"]),
        "data": _b64(encrypt(resp["Plaintext"], master.to_bytes(), _AAD)),
    }
    return json.dumps(doc, indent=1).encode()


def describe(raw: bytes) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(raw)
    return {k: doc.get(k) for k in ("type", "created", "host", "user", "kms_key_id") if doc.get(k) is not None}


def kind(raw: bytes) -> str:
    return str(json.loads(raw).get("type", ""))


def open_passphrase(raw: bytes, password: str, name: str) -> MasterKey:
    doc = json.loads(raw)
    kdf = doc["kdf"]
    kek = _scrypt(password, base64.b64decode(kdf["salt"]), int(kdf["n"]), int(kdf["r"]), int(kdf["p"]))
    try:
        return MasterKey.from_bytes(decrypt(kek, base64.b64decode(doc["data"]), _AAD, name))
    except IntegrityError:
        raise WrongKey("wrong password") from None


def open_kms(raw: bytes, aws: Aws, name: str) -> MasterKey:
    doc = json.loads(raw)
    kms = aws.client("kms", doc.get("region"))
    try:
        resp = kms.decrypt(CiphertextBlob=base64.b64decode(doc["encrypted_key"]), KeyId=doc["kms_key_id"])
    except Exception as exc:
        raise WrongKey(f"KMS key {doc['kms_key_id']} cannot open {name}: {error_code(exc) or exc}") from exc
    try:
        return MasterKey.from_bytes(decrypt(resp["Plaintext"], base64.b64decode(doc["data"]), _AAD, name))
    except IntegrityError:
        raise WrongKey(f"KMS key {doc['kms_key_id']} does not open {name}") from None
