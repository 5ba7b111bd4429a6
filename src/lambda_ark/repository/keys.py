"""Key files: the master key wrapped by a passphrase (scrypt) or by KMS (envelope encryption).

A key file is plaintext JSON (it has to be readable before anything can be decrypted); its
`data` is the 64-byte master key encrypted with AES-256-GCM under a key-encryption key that is
either scrypt(passphrase, salt) or a KMS data key (GenerateDataKey; Decrypt to open). Any key
file opens the whole repository; several may coexist (`key add`).

Passwords are NFC-normalised before derivation, so a character typed precomposed on one keyboard
and decomposed on another ("é" vs "e" + U+0301) is the same password. Keys written before that
(no `"normalize"` in their kdf) are also tried with the password exactly as typed.
"""

from __future__ import annotations

import base64
import getpass
import hashlib
import json
import os
import socket
import unicodedata
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from ..aws import error_code, one_line
from ..errors import AwsError, IntegrityError, WrongKey
from .crypto import MasterKey, decrypt, encrypt

if TYPE_CHECKING:
    from ..aws import Aws

# scrypt cost for new keys: 2^17 * 8 * 128 bytes = 128 MiB and ~0.3 s per try. A leaked key file
# is attacked offline, so this is what guards the whole repository; each key records its own cost.
DEFAULT_SCRYPT_N = 2**17
SCRYPT_N, SCRYPT_R, SCRYPT_P = DEFAULT_SCRYPT_N, 8, 1
_NFC: Final = "NFC"
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


def _nfc(password: str) -> str:
    return unicodedata.normalize(_NFC, password)


def passphrase_key(master: MasterKey, password: str) -> bytes:
    salt = os.urandom(16)
    kek = _scrypt(_nfc(password), salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    doc = _header("passphrase") | {
        "kdf": {"name": "scrypt", "n": SCRYPT_N, "r": SCRYPT_R, "p": SCRYPT_P, "salt": _b64(salt),
                "normalize": _NFC},
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
    tries = [_nfc(password)]
    if kdf.get("normalize") != _NFC and password != tries[0]:
        tries.append(password)  # a key made before normalisation, from a decomposed password
    for typed in tries:
        kek = _scrypt(typed, base64.b64decode(kdf["salt"]), int(kdf["n"]), int(kdf["r"]), int(kdf["p"]))
        try:
            return MasterKey.from_bytes(decrypt(kek, base64.b64decode(doc["data"]), _AAD, name))
        except IntegrityError:
            continue
    raise WrongKey("wrong password")


def open_kms(raw: bytes, aws: Aws, name: str) -> MasterKey:
    doc = json.loads(raw)
    kms = aws.client("kms", doc.get("region"))
    try:
        resp = kms.decrypt(CiphertextBlob=base64.b64decode(doc["encrypted_key"]), KeyId=doc["kms_key_id"])
    except Exception as exc:
        # the call and AWS's answer (an AccessDenied names the action missing: kms:Decrypt)
        why = one_line(str(exc)) if error_code(exc) else str(exc)
        raise WrongKey(f"KMS key {doc['kms_key_id']} cannot open {name}: decrypt: {why}") from exc
    try:
        return MasterKey.from_bytes(decrypt(resp["Plaintext"], base64.b64decode(doc["data"]), _AAD, name))
    except IntegrityError:
        raise WrongKey(f"KMS key {doc['kms_key_id']} does not open {name}") from None
