"""migrate: bring a format-1 repository to format 2, under the exclusive lock.

Format-1 packs have no header, so an index lost later could not be rebuilt from them. Each one is
repacked from the current index (chunks copied still sealed, each decrypted once to verify) into
packs that end with a header; then one index for everything is written, bound to its names; then
the old index files and packs are deleted; the config saying "format 2" is written last. A run
killed at any point leaves a readable format-1 repository (index files of both kinds are read)
and running migrate again finishes the job.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ..errors import IntegrityError, RepositoryError
from .backends import NotFound
from .config import seal_config
from .index import Entry, Index, load_index, pack_id_of, pack_name, save_index_files, sha256_hex
from .models import FORMAT_VERSION
from .packfile import read_header
from .repo import Repository
from .writer import Packer

Progress = Callable[[str, int, int], None]


@dataclass
class MigrateResult:
    from_version: int
    to_version: int
    packs_rewritten: int = 0  # format-1 packs repacked with a header
    packs_kept: int = 0  # packs that already had a header
    written: list[str] = field(default_factory=list)  # the new index files
    retained: list[str] = field(default_factory=list)  # old objects under Object Lock, left in place
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # chunks that could not be read (not copied)


def migrate(repo: Repository, *, progress: Progress | None = None) -> MigrateResult:
    result = MigrateResult(from_version=repo.config.version, to_version=max(repo.config.version, FORMAT_VERSION))
    if repo.config.version >= FORMAT_VERSION:
        return result
    backend = repo.backend
    with repo.lock(exclusive=True):
        try:
            index = load_index(backend, repo.key)
        except RepositoryError as exc:
            raise IntegrityError(f"migrate needs a readable index: {exc}; run `lambda-ark repair index` first") from exc
        stored = {pack_id_of(o.name): o.size for o in backend.list("data/")}
        headerless = [p for p, entries in sorted(index.packs.items()) if p in stored
                      and not _has_header(repo, p, stored[p], entries)]
        for pack in stored.keys() - index.packs.keys():
            result.warnings.append(f"{pack_name(pack)}: not in the index, so not migrated (prune removes it)")
        packer = Packer(repo, index=Index(), bind=True)
        for n, pack in enumerate(headerless, 1):
            _repack(repo, pack, index.packs[pack], packer, result)
            if progress:
                progress("repack", n, len(headerless))
        packer.flush()
        kept = {p: entries for p, entries in index.packs.items() if p not in set(headerless)}
        result.packs_rewritten, result.packs_kept = len(headerless), len(kept)
        result.written = save_index_files(backend, repo.key, kept | packer.index.packs, bind=True)
        # new index first, then old index files, then old packs: every crash point stays readable
        doomed = [n for n in [*index.files, *packer.index.files] if n not in result.written]
        for name in [*doomed, *(pack_name(p) for p in headerless)]:
            if backend.retained_until(name) is not None:
                result.retained.append(name)
            else:
                backend.delete(name)
        config = repo.config.model_copy(update={"version": FORMAT_VERSION})
        backend.put("config", seal_config(repo.key, config))
        repo.config, repo._index = config, None
    return result


def _has_header(repo: Repository, pack: str, size: int, entries: list[Entry]) -> bool:
    try:
        header = read_header(repo.backend, repo.key, pack_name(pack), size)
    except IntegrityError:
        return False
    return set(entries) <= set(header)


def _repack(repo: Repository, pack: str, entries: list[Entry], packer: Packer, result: MigrateResult) -> None:
    name = pack_name(pack)
    try:
        data = memoryview(repo.backend.get(name))
    except NotFound:
        result.errors.append(f"{name}: gone while migrating; its chunks are lost")
        return
    if sha256_hex(data) != pack:
        result.warnings.append(f"{name}: content does not match its name; copying the chunks that still verify")
    for chunk, off, length in entries:
        sealed = bytes(data[off : off + length])
        try:
            plain = repo.key.open(sealed, "chunk", f"{name} chunk {chunk}")  # never copy corruption
            if repo.key.id(plain) != chunk:
                raise IntegrityError(f"{name} chunk {chunk}: content does not match its id")
        except IntegrityError as exc:
            result.errors.append(f"{exc}; not copied (`lambda-ark repair snapshots` drops what needed it)")
            continue
        packer.add(chunk, sealed)
