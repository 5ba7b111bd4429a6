"""Object encryption, compression and naming.

Every stored object (except locks and key files) is `nonce(12) || AES-256-GCM(plain)` where
`plain = flag(1) || payload` and the flag says whether the payload is zstd-compressed, so the
choice is authenticated too. The associated data is the object kind ("chunk", "snapshot", ...),
so an object cannot be passed off as another kind; for index files and the config (format 2) it
is `kind:name`, so an object cannot be passed off as another object of its kind. Object ids are
HMAC-SHA256 of the plaintext under the repository's id key: equal content gets the same id
(dedup) without revealing hashes of known files to someone who reads the bucket.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import threading
from dataclasses import dataclass

import zstandard
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ..errors import IntegrityError

NONCE = 12
TAG = 16
OVERHEAD = NONCE + TAG + 1
_RAW, _ZSTD = 0, 1
# Compression must save at least this share to be kept: below it, reading pays for nothing.
_MIN_SAVING = 0.05
_local = threading.local()


@dataclass(frozen=True)
class MasterKey:
    enc: bytes  # AES-256-GCM key for every object
    mac: bytes  # HMAC-SHA256 key for object ids

    @classmethod
    def generate(cls) -> MasterKey:
        return cls(os.urandom(32), os.urandom(32))

    def to_bytes(self) -> bytes:
        return self.enc + self.mac

    @classmethod
    def from_bytes(cls, raw: bytes) -> MasterKey:
        if len(raw) != 64:
            raise IntegrityError("master key has the wrong length")
        return cls(raw[:32], raw[32:])

    def id(self, plain: bytes | memoryview) -> str:
        return hmac.new(self.mac, plain, hashlib.sha256).hexdigest()

    def seal(self, plain: bytes | memoryview, kind: str, compress: bool = True) -> bytes:
        payload, flag = bytes(plain), _RAW
        if compress and len(plain) > 64:
            packed = _compressor().compress(payload)
            if len(packed) <= len(payload) * (1 - _MIN_SAVING):
                payload, flag = packed, _ZSTD
        return encrypt(self.enc, bytes([flag]) + payload, kind.encode())

    def open(self, sealed: bytes | memoryview, kind: str, name: str) -> bytes:
        """Decrypt and decompress; `IntegrityError` naming `name` if anything is off."""
        plain = decrypt(self.enc, sealed, kind.encode(), name)
        flag, payload = plain[0], plain[1:]
        if flag == _RAW:
            return payload
        if flag == _ZSTD:
            try:
                return _decompressor().decompress(payload)
            except zstandard.ZstdError as exc:
                raise IntegrityError(f"{name}: cannot decompress ({exc})") from exc
        raise IntegrityError(f"{name}: unknown payload flag {flag}")


def named(kind: str, name: str) -> str:
    """Associated data binding an object to its name as well as its kind (format 2)."""
    return f"{kind}:{name}"


def encrypt(key: bytes, plain: bytes, aad: bytes) -> bytes:
    nonce = os.urandom(NONCE)
    return nonce + AESGCM(key).encrypt(nonce, plain, aad)


def decrypt(key: bytes, sealed: bytes | memoryview, aad: bytes, name: str) -> bytes:
    sealed = bytes(sealed)
    if len(sealed) < NONCE + TAG + 1:
        raise IntegrityError(f"{name}: truncated ({len(sealed)} bytes)")
    try:
        return AESGCM(key).decrypt(sealed[:NONCE], sealed[NONCE:], aad)
    except InvalidTag:
        raise IntegrityError(f"{name}: authentication failed (corrupted, tampered or wrong key)") from None


def _compressor() -> zstandard.ZstdCompressor:
    # zstd (de)compressor objects are not thread-safe; one per thread is cheap.
    if not hasattr(_local, "c"):
        _local.c = zstandard.ZstdCompressor(level=3, write_content_size=True)
    c: zstandard.ZstdCompressor = _local.c
    return c


def _decompressor() -> zstandard.ZstdDecompressor:
    if not hasattr(_local, "d"):
        _local.d = zstandard.ZstdDecompressor()
    d: zstandard.ZstdDecompressor = _local.d
    return d
