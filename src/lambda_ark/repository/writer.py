"""The write path: chunk files, seal chunks, fill packs, upload packs then their index, commit.

A pack ends with a sealed header listing its chunks (packfile.py), so `repair index` can rebuild
the index from the packs alone.

Thread-safe: `put_file` may be called from many threads. Chunking, hashing, compression and
encryption run in the caller's thread (zstd, AES and HMAC release the GIL); only the pack buffer is
guarded by a lock, and a full pack is uploaded by the thread that filled it, outside the lock.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from datetime import UTC
from typing import TYPE_CHECKING

from ..errors import RepositoryError
from .auditnames import audit_heads
from .index import Entry, Index, pack_id_of, pack_name, save_index, sha256_hex
from .models import FileRef, Snapshot, SnapshotHeader
from .packfile import seal_header
from .zipchunks import WHOLE_MEMBER_MAX, plan_zip

if TYPE_CHECKING:
    from .locks import Lock
    from .repo import Repository


class Packer:
    """Collects sealed chunks into packs; a pack and its index file are uploaded when full."""

    def __init__(self, repo: Repository, index: Index | None = None, bind: bool | None = None) -> None:
        self.repo = repo
        # index files bound to their names (format 2); migrate writes them before the config says 2
        self.bind = repo.bound_names if bind is None else bind
        # prune passes an empty index so chunks it repacks are stored again, not skipped as known
        self.index = repo.index(refresh=True) if index is None else index
        # A chunk is known only while a pack holding it is stored: after a pack was lost, a backup
        # capturing its functions again must store their chunks again, not reference the lost ones.
        self._stored = {pack_id_of(o.name) for o in repo.backend.list("data/")} if index is None else None
        self._lock = threading.Lock()
        self._blobs: list[tuple[str, bytes]] = []
        self._size = 0
        self._pending: set[str] = set()  # chunks in the open pack or being uploaded
        self.bytes_added = 0
        self.failed: str | None = None

    def _known(self, chunk: str) -> bool:
        stored = self._stored
        return chunk in self._pending or any(stored is None or loc.pack in stored for loc in self.index.lookup(chunk))

    def has(self, chunk: str) -> bool:
        with self._lock:
            return self._known(chunk)

    def adopt(self, pack_id: str, entries: list[Entry], index_file: str | None = None) -> None:
        """Count a pack stored by other means (copy moves packs as they are) as stored by this writer:
        its chunks are known from now on, so nothing in it is stored again."""
        with self._lock:
            if self._stored is not None:
                self._stored.add(pack_id)
        self.index.add_pack(pack_id, entries, index_file)

    def add(self, chunk: str, sealed: bytes) -> None:
        with self._lock:
            if self._known(chunk):
                return  # another thread stored it meanwhile
            self._blobs.append((chunk, sealed))
            self._pending.add(chunk)
            self._size += len(sealed)
            full = self._detach() if self._size >= self.repo.config.pack_size else None
        if full:
            self._upload(full)

    def _detach(self) -> list[tuple[str, bytes]]:
        blobs, self._blobs, self._size = self._blobs, [], 0
        return blobs

    def flush(self) -> None:
        with self._lock:
            blobs = self._detach()
        if blobs:
            self._upload(blobs)

    def _upload(self, blobs: list[tuple[str, bytes]]) -> None:
        entries: list[Entry] = []
        pos = 0
        for chunk, sealed in blobs:
            entries.append((chunk, pos, len(sealed)))
            pos += len(sealed)
        data = b"".join([*(sealed for _, sealed in blobs), seal_header(self.repo.key, entries)])
        pack_id = sha256_hex(data)
        backend = self.repo.backend
        try:
            backend.put(pack_name(pack_id), data)
            if self._stored is not None:
                self._stored.add(pack_id)
            # The index entry goes up right after its pack: a run killed later still leaves this pack
            # usable by the next run; a run killed in between leaves an unindexed pack prune removes.
            index_file, index_size = save_index(backend, self.repo.key, {pack_id: entries}, self.bind)
        except Exception as exc:
            # Other threads may already hold FileRefs naming these chunks: no snapshot may be
            # committed by this writer any more.
            self.failed = f"uploading a pack failed: {exc}"
            raise
        self.index.add_pack(pack_id, entries, index_file)
        with self._lock:
            self._pending.difference_update(c for c, _ in blobs)
            self.bytes_added += len(data) + index_size


class Writer:
    def __init__(self, repo: Repository, lock: Lock | None = None) -> None:
        self.repo = repo
        self.lock = lock  # the lock this writer runs under: commit refuses once it is lost
        self.packer = Packer(repo)
        self._files: dict[str, FileRef] = {}  # sha256 -> ref, for files put twice in one run
        self._files_lock = threading.Lock()
        self._extra_bytes = 0

    @property
    def bytes_added(self) -> int:
        return self.packer.bytes_added + self._extra_bytes

    def _store(self, piece: bytes | memoryview, compress: bool) -> str:
        key = self.repo.key
        cid = key.id(piece)
        if not self.packer.has(cid):
            self.packer.add(cid, key.seal(piece, "chunk", compress))
        return cid

    def _cut(self, buf: memoryview, compress: bool, hasher: hashlib._Hash) -> list[str]:
        ids = []
        for piece in self.repo.chunker.cut(buf):
            hasher.update(piece)
            ids.append(self._store(piece, compress))
        return ids

    def put_file(self, data: bytes) -> FileRef:
        """Store a file (zip-aware when it is a zip we can split); returns how to find it again."""
        sha = hashlib.sha256(data).hexdigest()
        with self._files_lock:
            if sha in self._files:
                return self._files[sha]
        ref = self._put_zip(data, sha) or self._put_cdc(data, sha, compress=True)
        with self._files_lock:
            self._files[sha] = ref
        return ref

    def _put_cdc(self, data: bytes, sha: str, compress: bool) -> FileRef:
        chunks = self._cut(memoryview(data), compress, hashlib.sha256())
        return FileRef(size=len(data), sha256=sha, layout="cdc", chunks=chunks)

    def _put_zip(self, data: bytes, sha: str) -> FileRef | None:
        plan = plan_zip(data)
        if plan is None or not plan.members:
            return None
        view = memoryview(data)
        rebuilt = hashlib.sha256()  # hash of the pieces in rebuild order: proves the recipe
        gap_stream = b"".join(view[g.start : g.end] for g in plan.gaps)
        gap_chunks = self._cut(memoryview(gap_stream), True, hashlib.sha256())
        members: list[list[str]] = []
        for i, m in enumerate(plan.members):
            gap = plan.gaps[i]
            rebuilt.update(view[gap.start : gap.end])
            body = view[m.start : m.end]
            if len(body) <= WHOLE_MEMBER_MAX:
                rebuilt.update(body)
                members.append([self._store(body, m.compressible)] if len(body) else [])
            else:
                members.append(self._cut(body, m.compressible, rebuilt))
        rebuilt.update(view[plan.gaps[-1].start : plan.gaps[-1].end])
        if rebuilt.hexdigest() != sha:
            return None  # the chunks stored so far are harmless; prune removes them if unused
        recipe = {"v": 1, "gaps": [g.end - g.start for g in plan.gaps], "gap_chunks": gap_chunks,
                  "members": members}
        skeleton = self._store(json.dumps(recipe, separators=(",", ":")).encode(), True)
        return FileRef(size=len(data), sha256=sha, layout="zip", chunks=[], skeleton=skeleton)

    def flush(self) -> None:
        self.packer.flush()

    def commit(self, snapshot: Snapshot) -> str:
        """Store the tree (body + files), flush packs and index, then write the manifest; returns its id."""
        if snapshot.time.tzinfo is None:
            snapshot.time = snapshot.time.replace(tzinfo=UTC)  # naive times are taken as UTC
        tree = json.dumps({"body": snapshot.body,
                           "files": {k: v.model_dump() for k, v in snapshot.files.items()}},
                          separators=(",", ":"), sort_keys=True, default=str).encode()
        tree_ref = self._put_cdc(tree, hashlib.sha256(tree).hexdigest(), compress=True)
        self.flush()
        if self.packer.failed:
            raise RepositoryError(f"no snapshot written: {self.packer.failed}")
        if self.lock is not None:
            self.lock.check()  # a prune may have started since the lock was lost: never commit then
        head = SnapshotHeader(time=snapshot.time, host=snapshot.host, tags=snapshot.tags,
                              parent=snapshot.parent, summary=snapshot.summary,
                              original=snapshot.original, tree=tree_ref, audit=audit_heads(self.repo.backend))
        plain = head.model_dump_json(exclude=None if head.audit else {"audit"}).encode()
        snap_id = self.repo.key.id(plain)
        sealed = self.repo.key.seal(plain, "snapshot")
        self.repo.backend.put(f"snapshots/{snap_id}", sealed)  # written last: the run is now visible
        self._extra_bytes += len(sealed)
        snapshot.id = snap_id
        return snap_id

    def iter_files(self) -> Iterator[FileRef]:
        with self._files_lock:
            yield from list(self._files.values())
