"""Packs and the index: where each chunk lives.

A pack (`data/<xx>/<id>`) is the concatenation of sealed chunks; its id is the SHA-256 of its
bytes, so a pack can be verified without the key and two writers never collide on a name. An
index file (`index/<id>`) is a sealed JSON list of packs and their chunks' (id, offset, length).
Writers put one index file per pack right after the pack, so a killed run's packs are known to
the next run; prune consolidates them.

Format 2 binds an index file to its name: the name is in the AES-GCM associated data, and readers
check that the name is the HMAC of the content, so a file copied over another's name fails. A bad
index file never stops a reader: it is reported and skipped (its packs' chunks look unindexed, which
`repair index` fixes from the pack headers). Only prune, which must see everything, refuses.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from ..errors import IntegrityError, RepositoryError
from .backends import Backend
from .crypto import MasterKey, named

Entry = tuple[str, int, int]  # chunk id, offset, length (sealed bytes)


@dataclass(frozen=True)
class Location:
    pack: str
    offset: int
    length: int


def pack_name(pack_id: str) -> str:
    return f"data/{pack_id[:2]}/{pack_id}"


def pack_id_of(name: str) -> str:
    return name.rsplit("/", 1)[-1]


@dataclass
class Index:
    """chunk id -> locations (normally one; duplicates appear after interrupted prunes)."""

    chunks: dict[str, list[Location]] = field(default_factory=dict)
    packs: dict[str, list[Entry]] = field(default_factory=dict)
    files: dict[str, list[str]] = field(default_factory=dict)  # index object name -> pack ids
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add_pack(self, pack_id: str, entries: Iterable[Entry], index_file: str | None = None) -> None:
        entries = list(entries)
        with self._lock:
            if pack_id not in self.packs:
                self.packs[pack_id] = entries
                for chunk, off, length in entries:
                    self.chunks.setdefault(chunk, []).append(Location(pack_id, off, length))
            if index_file is not None:
                self.files.setdefault(index_file, []).append(pack_id)

    def update(self, other: Index) -> None:
        """Become `other` (a fresh load), keeping this object: packs written since are learnt, and
        what the repository no longer lists (index files deleted or damaged since) is forgotten."""
        with self._lock:
            self.chunks, self.packs, self.files = other.chunks, other.packs, other.files

    def __contains__(self, chunk: object) -> bool:
        return chunk in self.chunks

    def lookup(self, chunk: str) -> list[Location]:
        return self.chunks.get(chunk, [])


def encode_index(packs: dict[str, list[Entry]]) -> bytes:
    doc = {"version": 1, "packs": [{"id": p, "blobs": [list(e) for e in es]} for p, es in packs.items()]}
    return json.dumps(doc, separators=(",", ":")).encode()


def decode_index(plain: bytes, name: str) -> dict[str, list[Entry]]:
    try:
        doc = json.loads(plain)
        return {p["id"]: [(str(c), int(o), int(n)) for c, o, n in p["blobs"]] for p in doc["packs"]}
    except (ValueError, KeyError, TypeError) as exc:
        raise IntegrityError(f"{name}: not a valid index ({exc})") from exc


# Entries per index file: one file stays a few MB however large the repository grows.
MAX_ENTRIES = 50_000


def save_index(backend: Backend, key: MasterKey, packs: dict[str, list[Entry]], bind: bool) -> tuple[str, int]:
    """Seal and store one index file; returns its name and stored size.

    `bind` (format 2) puts the name in the associated data; format-1 repositories keep kind-only
    associated data so the lambda-ark versions that wrote them can still read them."""
    plain = encode_index(packs)
    name = f"index/{key.id(plain)}"
    sealed = key.seal(plain, named("index", name) if bind else "index")
    backend.put(name, sealed)
    return name, len(sealed)


def save_index_files(backend: Backend, key: MasterKey, packs: dict[str, list[Entry]], bind: bool) -> list[str]:
    """Store `packs` as as few index files as MAX_ENTRIES allows; returns their names."""
    names: list[str] = []
    group: dict[str, list[Entry]] = {}
    count = 0
    for pack, entries in packs.items():
        if group and count + len(entries) > MAX_ENTRIES:
            names.append(save_index(backend, key, group, bind)[0])
            group, count = {}, 0
        group[pack] = entries
        count += len(entries)
    if group:
        names.append(save_index(backend, key, group, bind)[0])
    return names


def open_index(key: MasterKey, sealed: bytes, name: str) -> dict[str, list[Entry]]:
    """Decrypt, authenticate against `name` and parse one index file; IntegrityError if anything is off."""
    try:
        plain = key.open(sealed, named("index", name), name)
    except IntegrityError:
        plain = key.open(sealed, "index", name)  # format 1 (kind-only associated data)
    if f"index/{key.id(plain)}" != name:
        raise IntegrityError(f"{name}: content does not match its name (copied or renamed?)")
    return decode_index(plain, name)


def load_index(
    backend: Backend, key: MasterKey, on_error: Callable[[str], None] | None = None
) -> Index:
    """Read every index file; a bad one raises, or is reported to `on_error` and skipped."""
    index = Index()
    names = [o.name for o in backend.list("index/")]

    def read(name: str) -> tuple[str, dict[str, list[Entry]] | None]:
        try:
            return name, open_index(key, backend.get(name), name)
        except RepositoryError as exc:  # IntegrityError, or gone since the listing (NotFound)
            if on_error is None:
                raise
            on_error(str(exc))
            return name, None

    with ThreadPoolExecutor(max_workers=8) as pool:
        for name, packs in pool.map(read, names):
            for pack_id, entries in (packs or {}).items():
                index.add_pack(pack_id, entries, name)
    return index


def sha256_hex(data: bytes | memoryview) -> str:
    return hashlib.sha256(data).hexdigest()


def dump(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":"), sort_keys=True, default=str).encode()
