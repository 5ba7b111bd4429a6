"""A repository in S3 (s3://bucket/prefix, any region): one object per name, each a single PUT.

When the bucket has Object Lock enabled, every object except those named by `retain_except`
(locks, keys: they must stay deletable) is written with a retention date, so backups cannot be
deleted early even by a compromised writer; `retained_until` lets prune skip what is still locked.
Object Lock buckets are versioned: `delete` adds a delete marker (allowed even on retained
versions), which is how locks are released on a bucket whose default rule retains everything.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import botocore.exceptions

from ...aws import error_code
from ...errors import RepositoryError, RepositoryNotFound
from . import NotFound, ObjectInfo

if TYPE_CHECKING:
    from ...aws import Aws

_MISSING = {"NoSuchKey", "404", "NotFound"}


class S3Backend:
    def __init__(self, url: str, aws: Aws | None = None) -> None:
        if aws is None:
            from ...aws import connect

            aws = connect()
        rest = url[len("s3://"):]
        self.bucket, _, prefix = rest.partition("/")
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.url = url
        self.aws = aws  # KMS keys of this repository are reached through the same session
        self.retain_except: tuple[str, ...] = ()
        self.retention_days: int | None = None  # None: the bucket's default retention
        self.s3 = aws.client("s3", self._bucket_region(aws))
        self.lock_mode, self.bucket_days = self._object_lock()

    def _bucket_region(self, aws: Aws) -> str:
        try:
            loc = aws.client("s3").get_bucket_location(Bucket=self.bucket).get("LocationConstraint")
        except botocore.exceptions.ClientError as exc:
            if error_code(exc) in ("NoSuchBucket", "404"):
                raise RepositoryNotFound(f"no bucket {self.bucket!r} for repository {self.url}") from exc
            raise RepositoryError(f"{self.url}: {exc}") from exc
        return loc or "us-east-1"  # S3 reports us-east-1 as an empty constraint

    def _object_lock(self) -> tuple[str | None, int | None]:
        try:
            conf = self.s3.get_object_lock_configuration(Bucket=self.bucket)["ObjectLockConfiguration"]
        except botocore.exceptions.ClientError as exc:
            if error_code(exc) == "ObjectLockConfigurationNotFoundError":
                return None, None  # no Object Lock on this bucket
            # anything else (AccessDenied) must not pass for "no Object Lock": backups would be
            # written without the retention the bucket is there to give them
            raise RepositoryError(f"{self.url}: cannot read the bucket's Object Lock configuration: {exc}") from exc
        if conf.get("ObjectLockEnabled") != "Enabled":
            return None, None
        default = conf.get("Rule", {}).get("DefaultRetention", {})
        days = int(default.get("Days") or 0) or int(default.get("Years") or 0) * 365 or None
        return str(default.get("Mode") or "GOVERNANCE"), days

    def _key(self, name: str) -> str:
        return self.prefix + name

    def _call(self, op: str, name: str, **kwargs: Any) -> Any:
        try:
            return getattr(self.s3, op)(Bucket=self.bucket, **kwargs)
        except botocore.exceptions.ClientError as exc:
            if error_code(exc) in _MISSING:
                raise NotFound(f"{name}: not found in {self.url}") from exc
            raise RepositoryError(f"{op} {self.url}/{name}: {exc}") from exc
        except botocore.exceptions.BotoCoreError as exc:
            raise RepositoryError(f"{op} {self.url}/{name}: {exc}") from exc

    def put(self, name: str, data: bytes) -> None:
        extra: dict[str, Any] = {}
        days = self.retention_days or self.bucket_days
        if self.lock_mode and days and not name.startswith(self.retain_except):
            extra = {
                "ObjectLockMode": self.lock_mode,
                "ObjectLockRetainUntilDate": datetime.now(UTC) + timedelta(days=days),
            }
        self._call("put_object", name, Key=self._key(name), Body=data, **extra)

    def get(self, name: str, offset: int = 0, length: int | None = None) -> bytes:
        extra: dict[str, Any] = {}
        if offset or length is not None:
            end = "" if length is None else str(offset + length - 1)
            if length == 0:
                return b""
            extra["Range"] = f"bytes={offset}-{end}"
        resp = self._call("get_object", name, Key=self._key(name), **extra)
        return bytes(resp["Body"].read())

    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        pages = self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self._key(prefix))
        try:
            for page in pages:
                for obj in page.get("Contents", []):
                    yield ObjectInfo(obj["Key"][len(self.prefix):], int(obj["Size"]))
        except botocore.exceptions.ClientError as exc:
            raise RepositoryError(f"list {self.url}/{prefix}: {exc}") from exc

    def exists(self, name: str) -> bool:
        try:
            self._call("head_object", name, Key=self._key(name))
        except NotFound:
            return False
        return True

    def delete(self, name: str) -> None:
        self._call("delete_object", name, Key=self._key(name))

    def retained_until(self, name: str) -> datetime | None:
        if not self.lock_mode:
            return None
        try:
            head = self._call("head_object", name, Key=self._key(name))
        except NotFound:
            return None
        until = head.get("ObjectLockRetainUntilDate")
        return until if isinstance(until, datetime) and until > datetime.now(UTC) else None
