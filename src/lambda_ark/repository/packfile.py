"""Pack headers (format 2): every pack says what it holds, so the index can be rebuilt from packs.

    pack   = chunk_0 ‖ … ‖ chunk_n-1 ‖ sealed_header ‖ u32le(len(sealed_header))
    header = n × (u32le offset ‖ u32le length ‖ chunk id, 32 bytes)

The header is sealed like any object (AES-256-GCM, associated data "pack-header", never
compressed: ids do not compress), so only the key holder can read which chunks a pack holds. It
cannot be bound to the pack's name, which is the SHA-256 of the pack including the header. Packs
written before format 2 have no header; their trailing bytes are the end of a GCM tag, which
`read_header` rejects (length out of range or authentication failure).
"""

from __future__ import annotations

import struct

from ..errors import IntegrityError
from .backends import Backend
from .crypto import MasterKey
from .index import Entry

_KIND = "pack-header"
_ENTRY = struct.Struct("<II32s")
_LENGTH = struct.Struct("<I")
# One ranged read of this many trailing bytes holds the header of any pack of the default size.
_TAIL = 64 * 1024


def seal_header(key: MasterKey, entries: list[Entry]) -> bytes:
    """The bytes to append to a pack whose chunks are `entries`: sealed header and its length."""
    plain = b"".join(_ENTRY.pack(off, length, bytes.fromhex(chunk)) for chunk, off, length in entries)
    sealed = key.seal(plain, _KIND, compress=False)
    return sealed + _LENGTH.pack(len(sealed))


def open_header(key: MasterKey, sealed: bytes, name: str, data_end: int) -> list[Entry]:
    """Parse a sealed header; every entry must lie within the pack's first `data_end` bytes."""
    plain = key.open(sealed, _KIND, f"{name} pack header")
    if len(plain) % _ENTRY.size:
        raise IntegrityError(f"{name}: pack header has a partial entry")
    entries = []
    for off, length, raw in _ENTRY.iter_unpack(plain):
        if off + length > data_end:
            raise IntegrityError(f"{name}: pack header lists a chunk beyond the pack's data")
        entries.append((raw.hex(), off, length))
    return entries


def _layout(name: str, size: int, trailer: bytes | memoryview) -> tuple[int, int]:
    """(where the chunks end, sealed header length) from a pack's size and last 4 bytes."""
    if size < _LENGTH.size or len(trailer) < _LENGTH.size:
        raise IntegrityError(f"{name}: no pack header (only {size} bytes)")
    (sealed_len,) = _LENGTH.unpack(trailer[-_LENGTH.size :])
    data_end = size - _LENGTH.size - sealed_len
    if data_end < 0:
        raise IntegrityError(f"{name}: no pack header (a format-1 pack, or a damaged one)")
    return data_end, sealed_len


def read_header(backend: Backend, key: MasterKey, name: str, size: int) -> list[Entry]:
    """The chunks a stored pack of `size` bytes lists in its header; IntegrityError if it has none."""
    tail = backend.get(name, max(0, size - _TAIL), min(size, _TAIL))
    data_end, sealed_len = _layout(name, size, tail)
    if sealed_len + _LENGTH.size <= len(tail):
        sealed = tail[len(tail) - _LENGTH.size - sealed_len : len(tail) - _LENGTH.size]
    else:
        sealed = backend.get(name, data_end, sealed_len)
    return open_header(key, sealed, name, data_end)


def header_of(key: MasterKey, data: bytes | memoryview, name: str) -> list[Entry]:
    """Like read_header, for a pack already read whole (check --read-data, migrate)."""
    data_end, sealed_len = _layout(name, len(data), data)
    return open_header(key, bytes(data[data_end : data_end + sealed_len]), name, data_end)
