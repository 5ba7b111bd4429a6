"""Repository: open/init, keys, snapshots and the read path. Writing lives in writer.py."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ..errors import (
    IntegrityError,
    RepositoryError,
    RepositoryExists,
    RepositoryNotFound,
    SnapshotNotFound,
    UsageError,
    WrongKey,
)
from . import keys
from .backends import Backend, NotFound, innermost, open_backend
from .backends.transport import Transfer, open_with_retries, wrap
from .config import open_config, seal_config
from .crypto import MasterKey
from .index import Index, load_index, pack_id_of, pack_name
from .locks import Lock
from .models import FileRef, RepoConfig, Snapshot, SnapshotHeader, SnapshotInfo
from .zipchunks import Chunker

if TYPE_CHECKING:
    from ..aws import Aws
    from .writer import Writer

# Names that must stay deletable even under S3 Object Lock (jobs/: automation's run locks and state).
UNRETAINED = ("locks/", "keys/", "jobs/")
# Record kinds (prefix -> the associated data they are sealed with); see docs/repository-format.md.
RECORD_KINDS = {"drills": "drill"}


def _ambient_aws(aws: Aws | None, backend: Backend) -> Aws | None:
    """An Aws for KMS: the one given, the S3 backend's, or the environment's if it has any."""
    if aws is not None:
        return aws
    if (backend_aws := getattr(backend, "aws", None)) is not None:
        return backend_aws  # type: ignore[no-any-return]
    import boto3

    from ..aws import connect, has_credentials

    if os.environ.get("AWS_ENDPOINT_URL") or has_credentials(boto3.Session()):
        return connect()
    return None  # never start an embedded endpoint just to try a KMS key


def _open(url: str, aws: Aws | None, transfer: Transfer | None) -> Backend:
    """The backend for `url` behind the transport wrapper (retries, rate limits, multipart)."""
    transfer = transfer or Transfer()
    return wrap(open_with_retries(lambda: open_backend(url, aws, transfer), f"open {url}", transfer), transfer)


class Repository:
    def __init__(self, backend: Backend, key: MasterKey, config: RepoConfig, key_name: str,
                 aws: Aws | None) -> None:
        self.backend, self.key, self.config, self.key_name, self.aws = backend, key, config, key_name, aws
        self.url = backend.url
        self.chunker = Chunker(config.chunker.avg, config.chunker.min, config.chunker.max)
        self._index: Index | None = None
        # What a reader should know but can work around (a bad index file): commands print these.
        self.warnings: list[str] = []
        self._warn_lock = threading.Lock()
        store = innermost(backend)
        if hasattr(store, "retention_days"):  # backends with write-once retention (S3 Object Lock)
            setattr(store, "retention_days", config.retention_days)  # noqa: B010
            setattr(store, "retain_except", UNRETAINED)  # noqa: B010

    # -- init / open ---------------------------------------------------------------------------
    @classmethod
    def init(cls, url: str, *, password: str | None = None, kms_key_id: str | None = None,
             aws: Aws | None = None, pack_size: int | None = None,
             retention_days: int | None = None, transfer: Transfer | None = None,
             copy_of: Repository | None = None) -> Repository:
        """Create a repository. `copy_of`: a replica of that repository, sharing its master key and
        chunker parameters (not its keys, id or retention), so `copy` moves packs between them as
        they are (restic's `init --from-repo --copy-chunker-params`, one step further)."""
        if not password and not kms_key_id:
            raise UsageError("init needs a password (LAMBDA_ARK_PASSWORD) or --kms-key-id")
        backend = _open(url, aws, transfer)
        if backend.exists("config"):
            raise RepositoryExists(f"a repository already exists at {url}")
        config = RepoConfig(id=secrets.token_hex(16), created=datetime.now(UTC), retention_days=retention_days)
        if copy_of is not None:
            config.chunker = copy_of.config.chunker.model_copy()
            config.pack_size = copy_of.config.pack_size
        if pack_size:
            config.pack_size = pack_size
        key = copy_of.key if copy_of is not None else MasterKey.generate()
        repo = cls(backend, key, config, "", aws)
        if kms_key_id:
            kms_aws = _ambient_aws(aws, backend)
            if kms_aws is None:
                from ..aws import connect

                kms_aws = connect()
            repo.key_name = repo._put_key(keys.kms_key(key, kms_key_id, kms_aws))
        if password:
            repo.key_name = repo._put_key(keys.passphrase_key(key, password))
        # config last: its presence is what makes this a repository
        backend.put("config", seal_config(key, config))
        return repo

    @classmethod
    def open(cls, url: str, *, password: str | None = None, aws: Aws | None = None,
             ask_password: Callable[[], str | None] | None = None,
             transfer: Transfer | None = None, master: MasterKey | None = None) -> Repository:
        """Open with the first key that works: KMS keys (if AWS is reachable), then passphrases.
        `transfer`: rate limits, retries and the S3-compatible endpoint for this repository's traffic.
        `master`: a master key already in hand (copy's source, of which this may be a replica): if it
        authenticates the config, no key file is unwrapped (no scrypt, no KMS call)."""
        backend = _open(url, aws, transfer)
        if not backend.exists("config"):
            raise RepositoryNotFound(f"no repository at {url} (create one with `lambda-ark init`)")
        if master is not None:
            with contextlib.suppress(IntegrityError):  # not sealed with that key: open as usual
                return cls._finish(backend, master, "", aws)
        key_files = {o.name: backend.get(o.name) for o in backend.list("keys/")}
        kms_files = {n: raw for n, raw in key_files.items() if keys.kind(raw) == "kms"}
        pass_files = {n: raw for n, raw in key_files.items() if keys.kind(raw) == "passphrase"}
        problems: list[str] = []
        kms_aws = _ambient_aws(aws, backend) if kms_files else None
        for name, raw in kms_files.items():
            if kms_aws is None:
                problems.append("KMS keys need AWS credentials")
                break
            try:
                return cls._finish(backend, keys.open_kms(raw, kms_aws, name), name, aws)
            except WrongKey as exc:
                problems.append(str(exc))
        if pass_files:
            if password is None and ask_password is not None:
                password = ask_password()
            if password is None:
                problems.append("no password given (--password-file, --password-command or LAMBDA_ARK_PASSWORD)")
            else:
                for name, raw in pass_files.items():
                    with contextlib.suppress(WrongKey):
                        return cls._finish(backend, keys.open_passphrase(raw, password, name), name, aws)
                problems.append("wrong password")
        raise WrongKey(f"no key opens {url}: " + "; ".join(problems or ["no keys"]))

    @classmethod
    def _finish(cls, backend: Backend, key: MasterKey, key_name: str, aws: Aws | None) -> Repository:
        return cls(backend, key, open_config(key, backend.get("config")), key_name, aws)

    @property
    def bound_names(self) -> bool:
        """Format 2: index files and config carry their names in their associated data."""
        return self.config.version >= 2

    def warn(self, message: str) -> None:
        with self._warn_lock:
            if message not in self.warnings:  # the index is reloaded often; say each thing once
                self.warnings.append(message)

    # -- keys ----------------------------------------------------------------------------------
    def _put_key(self, raw: bytes) -> str:
        name = f"keys/{keys.key_id(raw)}"
        self.backend.put(name, raw)
        return name

    def add_key(self, *, password: str | None = None, kms_key_id: str | None = None) -> str:
        if bool(password) == bool(kms_key_id):
            raise UsageError("key add needs exactly one of a new password or --kms-key-id")
        if kms_key_id:
            kms_aws = _ambient_aws(self.aws, self.backend)
            if kms_aws is None:
                from ..aws import connect

                kms_aws = connect()
            return self._put_key(keys.kms_key(self.key, kms_key_id, kms_aws)).split("/")[1]
        return self._put_key(keys.passphrase_key(self.key, str(password))).split("/")[1]

    def list_keys(self) -> list[dict[str, Any]]:
        out = []
        for obj in self.backend.list("keys/"):
            info = keys.describe(self.backend.get(obj.name))
            out.append({"id": obj.name.split("/")[1], "current": obj.name == self.key_name} | info)
        return sorted(out, key=lambda k: str(k.get("created")))

    def remove_key(self, key_id: str) -> str:
        names = [o.name for o in self.backend.list("keys/")]
        matches = [n for n in names if n.split("/")[1].startswith(key_id)]
        if len(matches) != 1:
            raise UsageError(f"key {key_id!r} matches {len(matches)} keys")
        if len(names) == 1:
            raise UsageError("refusing to remove the last key: the repository could never be opened again")
        self.backend.delete(matches[0])
        return matches[0].split("/")[1]

    # -- locks and writing ---------------------------------------------------------------------
    def lock(self, exclusive: bool = False) -> Lock:
        return Lock(self.backend, exclusive).acquire()

    @contextlib.contextmanager
    def writer(self) -> Iterator[Writer]:
        """A Writer under a shared lock. On exit its packs and index are flushed, committed or not."""
        from .writer import Writer

        lock = self.lock()
        try:
            self._index = None  # other writers may have added packs since we last looked
            w = Writer(self, lock)
            try:
                yield w
            except BaseException:
                with contextlib.suppress(Exception):  # keep what was uploaded; report the first error
                    w.flush()
                raise
            w.flush()
        finally:
            lock.release()

    def index(self, refresh: bool = False) -> Index:
        """The index; `refresh` reloads it in place (packs added since learnt, index files gone
        since forgotten), so a writer's packer, which holds this object, and readers keep seeing
        the same one. Whoever deletes packs (prune, repair, migrate) drops it instead."""
        if self._index is None or refresh:
            # A bad index file is skipped, never fatal: its packs' chunks just look unindexed
            # (written again by the next backup, found again by `repair index`).
            fresh = load_index(self.backend, self.key,
                               on_error=lambda msg: self.warn(f"{msg}; skipped (run `lambda-ark repair index`)"))
            if self._index is None:
                self._index = fresh
            else:
                self._index.update(fresh)
        return self._index

    # -- snapshots -----------------------------------------------------------------------------
    def _header(self, snap_id: str) -> SnapshotHeader:
        name = f"snapshots/{snap_id}"
        try:
            plain = self.key.open(self.backend.get(name), "snapshot", name)
        except NotFound:
            raise SnapshotNotFound(f"snapshot {snap_id} not found") from None
        if self.key.id(plain) != snap_id:
            raise IntegrityError(f"{name}: content does not match its id")
        try:
            return SnapshotHeader.model_validate_json(plain)
        except ValueError as exc:
            raise IntegrityError(f"{name}: not a valid snapshot ({exc})") from exc

    def snapshot_ids(self) -> list[str]:
        return [o.name.split("/", 1)[1] for o in self.backend.list("snapshots/")]

    def snapshots(self) -> list[SnapshotInfo]:
        """Every snapshot whose header reads, oldest first; an unreadable one is a warning, not a stop
        (listing, forget and backup carry on; check names it, prune refuses)."""

        def head(snap_id: str) -> tuple[str, SnapshotHeader | None]:
            try:
                return snap_id, self._header(snap_id)
            except IntegrityError as exc:
                self.warn(f"{exc}; skipped (see `lambda-ark check`)")
            except SnapshotNotFound:
                pass  # forgotten while we listed
            return snap_id, None

        with ThreadPoolExecutor(max_workers=8) as pool:
            heads = list(pool.map(head, self.snapshot_ids()))
        infos = [SnapshotInfo(id=i, **h.model_dump(exclude={"version", "tree"})) for i, h in heads if h]
        return sorted(infos, key=lambda s: (s.time, s.id))

    def resolve(self, ref: str) -> str:
        if ref == "latest":
            infos = self.snapshots()
            if not infos:
                raise SnapshotNotFound("the repository has no snapshots yet")
            return infos[-1].id
        matches = [i for i in self.snapshot_ids() if i.startswith(ref)] if ref else []
        if len(matches) == 1:
            return matches[0]
        if not matches:
            raise SnapshotNotFound(f"no snapshot matches {ref!r}")
        raise SnapshotNotFound(f"{ref!r} matches {len(matches)} snapshots; give more of the id")

    def load_snapshot(self, ref: str) -> Snapshot:
        snap_id = self.resolve(ref)
        head = self._header(snap_id)
        try:
            tree = json.loads(self.read_file(head.tree))
        except ValueError as exc:
            raise IntegrityError(f"snapshots/{snap_id}: tree is not valid JSON ({exc})") from exc
        return Snapshot(id=snap_id, **head.model_dump(exclude={"version", "tree"}),
                        body=tree["body"], files=tree["files"])

    # -- records: small sealed documents of their own kind (drills) ------------------------------
    def save_record(self, kind: str, plain: bytes) -> str:
        """Store a document as `<kind>/<id>`, sealed like a snapshot header (id = keyed hash of the
        plaintext, associated data = the kind); write-once and atomic. Take a lock first."""
        aad = RECORD_KINDS[kind]
        record_id = self.key.id(plain)
        self.backend.put(f"{kind}/{record_id}", self.key.seal(plain, aad))
        return record_id

    def record_ids(self, kind: str) -> list[str]:
        RECORD_KINDS[kind]  # noqa: B018 - an unknown kind is a KeyError, not an empty listing
        return [o.name.split("/", 1)[1] for o in self.backend.list(f"{kind}/")]

    def load_record(self, kind: str, record_id: str) -> bytes:
        """The document, decrypted and checked against its id (IntegrityError otherwise)."""
        name = f"{kind}/{record_id}"
        try:
            plain = self.key.open(self.backend.get(name), RECORD_KINDS[kind], name)
        except NotFound:
            raise RepositoryError(f"{name} not found") from None
        if self.key.id(plain) != record_id:
            raise IntegrityError(f"{name}: content does not match its id")
        return plain

    # -- reading data --------------------------------------------------------------------------
    def load_chunks(self, ids: list[str]) -> dict[str, bytes]:
        """Decrypt and verify the given chunks, fetching one range per pack."""
        index = self.index()
        by_pack: dict[str, list[tuple[str, int, int]]] = {}
        for cid in dict.fromkeys(ids):
            locs = index.lookup(cid)
            if not locs:
                raise IntegrityError(f"chunk {cid}: not in the index")
            by_pack.setdefault(locs[0].pack, []).append((cid, locs[0].offset, locs[0].length))

        def fetch(item: tuple[str, list[tuple[str, int, int]]]) -> dict[str, bytes]:
            pack, entries = item
            name = pack_name(pack)
            start = min(o for _, o, _ in entries)
            end = max(o + n for _, o, n in entries)
            data = memoryview(self.backend.get(name, start, end - start))
            if len(data) < end - start:
                raise IntegrityError(f"{name}: truncated ({start + len(data)} bytes, index needs {end})")
            out = {}
            for cid, off, length in entries:
                plain = self.key.open(data[off - start : off - start + length], "chunk", f"{name} chunk {cid}")
                if self.key.id(plain) != cid:
                    raise IntegrityError(f"{name} chunk {cid}: content does not match its id")
                out[cid] = plain
            return out

        def fetch_any(item: tuple[str, list[tuple[str, int, int]]]) -> dict[str, bytes]:
            # A chunk stored again after its first pack was lost (backup re-captures such data) has
            # two locations: read it from whichever pack is still there.
            try:
                return fetch(item)
            except NotFound as lost:
                out: dict[str, bytes] = {}
                for cid, _, _ in item[1]:
                    for loc in index.lookup(cid)[1:]:
                        with contextlib.suppress(NotFound):
                            out.update(fetch((loc.pack, [(cid, loc.offset, loc.length)])))
                            break
                    else:
                        raise lost
                return out

        result: dict[str, bytes] = {}
        with ThreadPoolExecutor(max_workers=min(8, max(1, len(by_pack)))) as pool:
            for part in pool.map(fetch_any, by_pack.items()):
                result.update(part)
        return result

    def missing_files(self, files: dict[str, FileRef]) -> set[str]:
        """Keys of `files` whose data is not all here: a chunk that no index lists, or that is
        listed only in packs that are gone. Backup asks this of what it would carry forward, so a
        lost pack is captured again from AWS rather than referenced by one more snapshot."""
        index = self.index(refresh=True)
        stored = {pack_id_of(o.name) for o in self.backend.list("data/")}

        def present(chunk: str) -> bool:
            return any(loc.pack in stored for loc in index.lookup(chunk))

        def lost(ref: FileRef) -> bool:
            if ref.layout == "cdc":
                return not all(present(c) for c in ref.chunks)
            skeleton = str(ref.skeleton)
            if not present(skeleton):
                return True
            try:
                recipe = self.recipe(skeleton)
            except IntegrityError:
                return True
            chunks = [*recipe["gap_chunks"], *(c for m in recipe["members"] for c in m)]
            return not all(present(c) for c in chunks)

        with ThreadPoolExecutor(max_workers=8) as pool:
            verdicts = dict(zip(files, pool.map(lost, files.values()), strict=True))
        return {key for key, gone in verdicts.items() if gone}

    def recipe(self, skeleton: str) -> dict[str, Any]:
        try:
            doc: dict[str, Any] = json.loads(self.load_chunks([skeleton])[skeleton])
        except ValueError as exc:
            raise IntegrityError(f"skeleton {skeleton}: not valid JSON ({exc})") from exc
        return doc

    def read_file(self, ref: FileRef) -> bytes:
        """Rebuild a stored file and verify its SHA-256."""
        if ref.layout == "cdc":
            blobs = self.load_chunks(ref.chunks)
            data = b"".join(blobs[c] for c in ref.chunks)
        else:
            data = self._rebuild_zip(self.recipe(str(ref.skeleton)))
        if len(data) != ref.size or hashlib.sha256(data).hexdigest() != ref.sha256:
            raise IntegrityError(f"file {ref.sha256[:16]}: rebuilt bytes do not match its SHA-256")
        return data

    def _rebuild_zip(self, recipe: dict[str, Any]) -> bytes:
        members: list[list[str]] = recipe["members"]
        blobs = self.load_chunks(recipe["gap_chunks"] + [c for m in members for c in m])
        gaps = memoryview(b"".join(blobs[c] for c in recipe["gap_chunks"]))
        out, pos = bytearray(), 0
        for i, length in enumerate(recipe["gaps"]):
            out += gaps[pos : pos + length]
            pos += length
            if i < len(members):
                for c in members[i]:
                    out += blobs[c]
        return bytes(out)
