"""A repository in a local folder: one file per object, written to a temp name then renamed."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from . import NotFound, ObjectInfo

_TMP = ".tmp-"  # prefix of half-written files; never listed, so a killed put is invisible


class LocalBackend:
    def __init__(self, url: str) -> None:
        path = url[len("file://"):] if url.startswith("file://") else url
        self.root = Path(path).expanduser().absolute()
        self.url = str(self.root)

    def _path(self, name: str) -> Path:
        return self.root / name

    def put(self, name: str, data: bytes) -> None:
        path = self._path(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{_TMP}{secrets.token_hex(8)}")
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)  # atomic on POSIX: readers see the old file or the new one

    def get(self, name: str, offset: int = 0, length: int | None = None) -> bytes:
        try:
            with open(self._path(name), "rb") as fh:
                fh.seek(offset)
                return fh.read() if length is None else fh.read(length)
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
