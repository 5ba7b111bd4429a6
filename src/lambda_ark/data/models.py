"""What a snapshot records about event sources: each resource's configuration and its data.

Stored in the snapshot body under `data` (`BackupBody.data`); object bytes and item batches are
stored as the snapshot's files (content-defined chunks, encrypted, deduplicated), named here by key.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

DATA_FORMAT = 1


class S3Object(BaseModel):
    """One object (its current version). `parts`: file keys of its bytes, in order (ranged reads)."""

    key: str
    etag: str
    size: int
    last_modified: datetime
    storage_class: str = "STANDARD"
    content_type: str = ""
    metadata: dict[str, str] = Field(default_factory=dict)
    tags: dict[str, str] = Field(default_factory=dict)
    parts: list[str] = Field(default_factory=list)
    md5s: list[str] = Field(default_factory=list)  # hex MD5 of each part: the ETag a multipart restore gives
    # --s3-versions: this version's id (None: the current object, captured without versions), whether it
    # is the current one, and whether it is a delete marker (no bytes)
    version_id: str | None = None
    latest: bool = True
    delete_marker: bool = False

    def restored_etag(self) -> str:
        """The ETag S3 gives this object once restored (a multipart upload's when it has several parts)."""
        if not self.md5s:
            return self.etag
        if len(self.md5s) == 1:
            return f'"{self.md5s[0]}"'
        digest = hashlib.md5(b"".join(bytes.fromhex(m) for m in self.md5s), usedforsecurity=False).hexdigest()
        return f'"{digest}-{len(self.md5s)}"'

    def same_listing(self, listed: dict[str, Any]) -> bool:
        """Unchanged by what a listing shows (ETag + size + last-modified): no GET needed."""
        return (self.etag, self.size, self.last_modified) == (listed["ETag"], listed["Size"], listed["LastModified"])


class Shard(BaseModel):
    """One Kinesis shard: where it comes from, what was read of it, and where the next read starts."""

    shard_id: str
    parent: str | None = None
    adjacent_parent: str | None = None
    batches: list[str] = Field(default_factory=list)  # file keys of JSON-lines record batches, oldest first
    records: int = 0
    checkpoint: str | None = None  # sequence number of the last record read (None: nothing read yet)
    closed: bool = False  # split or merged away: no record will ever be added


class Resource(BaseModel):
    """One event-source resource: what it is, its configuration, and (per source) its data."""

    source: str  # s3 | dynamodb | kinesis (the data module's NAME)
    account: str
    region: str
    name: str  # bucket or table name
    arn: str
    captured_at: datetime
    config: dict[str, Any] = Field(default_factory=dict)
    objects: list[S3Object] = Field(default_factory=list)  # s3
    batches: list[str] = Field(default_factory=list)  # dynamodb: file keys of sorted JSON-lines batches
    items: int = 0  # dynamodb: how many items the batches hold
    shards: list[Shard] = Field(default_factory=list)  # kinesis: parents before children

    @property
    def key(self) -> str:
        return f"{self.source}:{self.account}/{self.region}/{self.name}"

    def contents(self) -> str:
        """What the capture holds, in a few words (for `show`)."""
        if self.source == "s3":
            versions = " versions" if any(o.version_id for o in self.objects) else " objects"
            return f"{len(self.objects)}{versions}, {sum(o.size for o in self.objects):,} bytes"
        if self.source == "kinesis":
            return f"{sum(s.records for s in self.shards)} records in {len(self.shards)} shards"
        if self.source == "sqs":
            return f"configuration, {self.items} messages" if self.batches else "configuration"
        return f"{self.items} items"

    def row(self) -> dict[str, Any]:
        return {"source": self.source, "account": self.account, "region": self.region, "name": self.name,
                "contents": self.contents(), "captured_at": self.captured_at.isoformat()}

    def file_keys(self) -> list[str]:
        return [p for o in self.objects for p in o.parts] + list(self.batches) + [
            b for shard in self.shards for b in shard.batches]


class DataSection(BaseModel):
    format: int = DATA_FORMAT
    sources: list[str] = Field(default_factory=list)  # what the run was asked to capture
    resources: list[Resource] = Field(default_factory=list)
