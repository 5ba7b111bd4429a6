"""A repository in a local folder: one file per object, written to a temp name then renamed."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from . import NotFound, ObjectInfo, OnBytes

_TMP = ".tmp-"  # prefix of half-written files; never listed, so a killed put is invisible
_BLOCK = 64 * 1024  # write and read in blocks, so a rate limit on a slow mount paces the transfer


class LocalBackend:
    def __init__(self, url: str) -> None:
        path = url[len("file://"):] if url.startswith("file://") else url
        self.root = Path(path).expanduser().absolute()
        self.url = str(self.root)

    def _path(self, name: str) -> Path:
        return self.root / name

    def put(self, name: str, data: bytes, on_bytes: OnBytes | None = None) -> None:
        path = self._path(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{_TMP}{secrets.token_hex(8)}")
        try:
            with open(tmp, "wb") as fh:
                if on_bytes is None:
                    fh.write(data)
                else:
                    view = memoryview(data)
                    for pos in range(0, len(view), _BLOCK):
                        on_bytes(len(view[pos : pos + _BLOCK]))
                        fh.write(view[pos : pos + _BLOCK])
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)  # atomic on POSIX: readers see the old file or the new one
        except BaseException:
            tmp.unlink(missing_ok=True)  # a failed or interrupted put leaves nothing behind
            raise

    def get(self, name: str, offset: int = 0, length: int | None = None, on_bytes: OnBytes | None = None) -> bytes:
        try:
            with open(self._path(name), "rb") as fh:
                fh.seek(offset)
                if on_bytes is None:
                    return fh.read() if length is None else fh.read(length)
                parts, left = [], length
                while left is None or left > 0:
                    block = fh.read(_BLOCK if left is None else min(_BLOCK, left))
                    if not block:
                        break
                    on_bytes(len(block))
                    parts.append(block)
                    left = None if left is None else left - len(block)
                return b"".join(parts)
        except FileNotFoundError as exc:
            raise NotFound(f"{name}: not found in {self.url}") from exc

    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        # Walk only the folder the prefix names (data/, snapshots/…) rather than the whole tree.
        base = self.root / prefix.rsplit("/", 1)[0] if "/" in prefix else self.root
        if not base.is_dir():
            return
        for dirpath, _dirs, files in os.walk(base):
            for fname in files:
                if fname.startswith(_TMP):
                    continue
                full = Path(dirpath) / fname
                name = full.relative_to(self.root).as_posix()
                if name.startswith(prefix):
                    try:
                        yield ObjectInfo(name, full.stat().st_size)
                    except FileNotFoundError:  # deleted while listing
                        continue

    def exists(self, name: str) -> bool:
        return self._path(name).is_file()

    def delete(self, name: str) -> None:
        try:
            self._path(name).unlink()
        except FileNotFoundError:
            pass

    def retained_until(self, name: str) -> datetime | None:
        return None
