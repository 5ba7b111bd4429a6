"""The protocol every event-source data module follows, and the contexts it is handed.

A data module (s3, dynamodb) is one module with NAME, SERVICE, PERMISSIONS and:
- `capture(ctx, resource) -> Resource`: the resource's configuration and data, reading from AWS only
  what changed since the previous capture (`ctx.previous`), storing bytes through `ctx.put_file`.
- `plan(ctx, record) -> list[Change]`: reads only; each create/update carries its `apply`.
Modules never print; a failure raises (one line) and costs that resource only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from ..aws import Aws
from ..kinds.base import RestoreContext
from .models import Resource

DataMode = Literal["merge", "overwrite"]


@dataclass(frozen=True)
class Wired:
    """A resource a selected function is wired to (or that the user named)."""

    source: str
    account: str
    region: str
    name: str
    arn: str


@dataclass
class DataContext:
    """What capture needs: clients, a place to put bytes, and the previous capture to compare with."""

    aws: Aws
    put_file: Callable[[bytes], str]  # stores bytes in the repository, returns the snapshot file key
    previous: dict[str, Resource] = field(default_factory=dict)  # Resource.key -> its last capture
    available: set[str] = field(default_factory=set)  # file keys the repository still has
    consistent_read: bool = False  # DynamoDB scans with ConsistentRead
    segments: int = 4  # DynamoDB parallel scan segments
    workers: int = 4  # concurrent object reads (memory: workers x part size)
    sources: frozenset[str] = frozenset()  # what the run was asked for (e.g. "sqs-dlq": read DLQ messages)
    export_bucket: str | None = None  # DynamoDB tables with PITR are exported through this bucket
    s3_versions: bool = False  # every version of versioned buckets' objects (else the current ones)
    warnings: list[str] = field(default_factory=list)

    def client(self, service: str, region: str) -> Any:
        return self.aws.client(service, region)

    def carried(self, resource: Resource) -> bool:
        """Whether a previous capture's bytes are all still in the repository (else read again)."""
        return all(k in self.available for k in resource.file_keys())


@dataclass
class DataRestoreContext:
    """What planning a data restore needs beyond the function restore's context."""

    ctx: RestoreContext
    read_file: Callable[[str], bytes]
    mode: DataMode | None = None  # None: a target holding other data is refused
    # source bucket name -> target bucket name (explicit --map, then --data-bucket-template)
    buckets: dict[str, str] = field(default_factory=dict)
    import_bucket: str | None = None  # new DynamoDB tables are created by ImportTable through this bucket

    def client(self, service: str, region: str) -> Any:
        return self.ctx.client(service, region)

    def region(self, region: str) -> str:
        return self.ctx.mapper.region(region)
