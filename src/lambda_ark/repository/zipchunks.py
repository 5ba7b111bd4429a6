"""Zip-aware chunking: a zip is its members' raw bytes plus a skeleton of everything else.

Zip members are compressed one by one, so a member unchanged between two releases keeps its exact
compressed bytes even when its offset moves. Cutting the zip at member boundaries lets those
bytes deduplicate; what lies between members (local headers, data descriptors, the central
directory, any prefix) forms the "gap stream", which is small, compressible and itself chunked
(headers of unchanged members repeat from release to release).

The ranges partition the file, so the original bytes are rebuilt by interleaving
gap0, member0, gap1, member1, ..., gapN. Anything odd (overlapping members, a directory that
points outside the file, a zip `zipfile` cannot read) returns None and the caller falls back to
plain content-defined chunking of the whole file. The caller still verifies the rebuild.
"""

from __future__ import annotations

import io
import struct
import threading
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

from pyfastcdc import FastCDC

_LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")
_LOCAL_MAGIC = b"PK\x03\x04"
# Members up to this size are one chunk: cutting them would only add index entries.
WHOLE_MEMBER_MAX = 64 * 1024


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    compressible: bool  # worth trying zstd (stored members, headers); False for deflated data


@dataclass(frozen=True)
class ZipPlan:
    gaps: list[Span]  # len(members) + 1, possibly empty spans
    members: list[Span]


def plan_zip(data: bytes) -> ZipPlan | None:
    """Member data ranges and the gaps between them, or None if this is not a zip we can split."""
    if len(data) < 22 or b"PK\x05\x06" not in data[-(65536 + 22):]:
        return None
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, ValueError, OSError, NotImplementedError, EOFError):
        return None
    spans: list[Span] = []
    for info in infos:
        off = info.header_offset
        if off < 0 or off + _LOCAL_HEADER.size > len(data):
            return None
        fields = _LOCAL_HEADER.unpack_from(data, off)
        if fields[0] != _LOCAL_MAGIC:
            return None
        start = off + _LOCAL_HEADER.size + fields[-2] + fields[-1]
        end = start + info.compress_size
        if end > len(data):
            return None
        spans.append(Span(start, end, info.compress_type == zipfile.ZIP_STORED))
    spans.sort(key=lambda s: s.start)
    gaps, pos = [], 0
    for span in spans:
        if span.start < pos:  # overlapping members: no unique partition
            return None
        gaps.append(Span(pos, span.start, True))
        pos = span.end
    gaps.append(Span(pos, len(data), True))
    return ZipPlan(gaps=gaps, members=spans)


@dataclass(frozen=True)
class Chunker:
    avg: int = 16 * 1024
    min: int = 4 * 1024
    max: int = 64 * 1024

    def _cdc(self) -> FastCDC:
        # FastCDC instances are not safe to share between threads; keep one per thread.
        key = (self.avg, self.min, self.max)
        cache = _local.__dict__.setdefault("cdc", {})
        if key not in cache:
            cache[key] = FastCDC(self.avg, min_size=self.min, max_size=self.max)
        cdc: FastCDC = cache[key]
        return cdc

    def cut(self, buf: memoryview) -> Iterator[memoryview]:
        if len(buf) == 0:
            return
        if len(buf) <= self.min:
            yield buf
            return
        for chunk in self._cdc().cut_buf(buf):
            yield buf[chunk.offset : chunk.offset + chunk.length]


_local = threading.local()
