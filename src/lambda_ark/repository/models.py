"""The repository's data model: what callers store (FileRef, Snapshot) and the config object."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

# 2: packs end with a header listing their chunks; index files and the config are bound to their
# names. Format-1 repositories stay readable (and writable) until `lambda-ark migrate`.
FORMAT_VERSION = 2

# Tags backup sets on a snapshot to say how the run went. They describe one run, not a series, so
# retention never groups by them (a partial snapshot belongs to the same history as the others).
PARTIAL_TAG = "partial"  # some function or kind could not be read; its previous capture was kept
ANOMALY_TAG = "anomaly"  # the scope lost more functions than --max-deleted allows since last time
REPAIRED_TAG = "repaired"  # `repair snapshots` rewrote it without data the repository had lost
STATUS_TAGS = frozenset({PARTIAL_TAG, ANOMALY_TAG, REPAIRED_TAG})


class FileRef(BaseModel):
    """How a stored file (a code zip) is found again.

    `layout="cdc"`: the file is the concatenation of `chunks`.
    `layout="zip"`: `skeleton` names a recipe blob holding the gap bytes' chunks and each member's
    chunks; `chunks` is empty so a manifest stays small however many members a zip has.
    """

    size: int
    sha256: str  # hex sha256 of the whole file
    layout: Literal["zip", "cdc"]
    chunks: list[str] = Field(default_factory=list)
    skeleton: str | None = None


class SnapshotInfo(BaseModel):
    id: str
    time: datetime
    host: str
    tags: list[str] = Field(default_factory=list)
    summary: dict[str, Any] = Field(default_factory=dict)
    parent: str | None = None
    original: str | None = None  # the source snapshot's id when this one was made by `copy`
    audit: dict[str, str] | None = None  # audit chain heads at commit: writer -> event name


class Snapshot(BaseModel):
    id: str = ""  # filled by Writer.commit() / load_snapshot()
    time: datetime
    host: str
    tags: list[str] = Field(default_factory=list)
    parent: str | None = None
    summary: dict[str, Any] = Field(default_factory=dict)
    body: dict[str, Any] = Field(default_factory=dict)  # opaque to the repository
    files: dict[str, FileRef] = Field(default_factory=dict)  # key -> stored file
    original: str | None = None

    def info(self) -> SnapshotInfo:
        return SnapshotInfo(
            id=self.id, time=self.time, host=self.host, tags=self.tags,
            summary=self.summary, parent=self.parent, original=self.original,
        )


class SnapshotHeader(BaseModel):
    """What `snapshots/<id>` holds: the listing fields plus the tree (body + files), stored as a file."""

    version: int = FORMAT_VERSION
    time: datetime
    host: str
    tags: list[str] = Field(default_factory=list)
    parent: str | None = None
    summary: dict[str, Any] = Field(default_factory=dict)
    original: str | None = None
    tree: FileRef
    # The audit log's chain heads when this snapshot was committed (writer -> event name), so deleting
    # the newest audit events is detected. Absent in snapshots written before the audit log.
    audit: dict[str, str] | None = None


class ChunkerParams(BaseModel):
    avg: int = 16 * 1024
    min: int = 4 * 1024
    max: int = 64 * 1024


class RepoConfig(BaseModel):
    version: int = FORMAT_VERSION
    id: str
    created: datetime
    chunker: ChunkerParams = Field(default_factory=ChunkerParams)
    pack_size: int = 8 * 1024 * 1024  # target pack size: S3 sees few, large objects
    retention_days: int | None = None  # Object Lock retention; None = the bucket's default
