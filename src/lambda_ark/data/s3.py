"""S3 buckets: configuration and objects (current versions), captured incrementally.

An object whose listing (ETag + size + last-modified) equals the previous capture's, and whose bytes
the repository still has, is carried forward without a GET. Changed objects are read in ranged GETs
of PART_SIZE with If-Match on the listed ETag, each part stored on its own: memory stays at
workers x PART_SIZE whatever the object's size, and an object rewritten mid-read is noticed (AWS
answers 412) rather than stored as a mix of two versions. An object deleted between the listing and
the GET is left out with a warning (it is gone: that is the bucket's state).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from ..aws import call, error_code
from ..errors import AwsError
from ..kinds.common import pages
from ..parallel import parallel_map
from . import s3_versions
from .base import DataContext, Wired
from .models import Resource, S3Object

NAME = "s3"
SERVICE = "s3"
PERMISSIONS = (
    "s3:GetBucketLocation", "s3:ListBucket", "s3:GetObject", "s3:GetObjectTagging", "s3:GetBucketVersioning",
    "s3:GetEncryptionConfiguration", "s3:GetLifecycleConfiguration", "s3:GetBucketCORS",
    "s3:GetBucketNotification", "s3:GetBucketTagging", "s3:GetBucketObjectLockConfiguration",
    "s3:GetBucketPublicAccessBlock",
    # restore
    "s3:CreateBucket", "s3:PutObject", "s3:PutObjectTagging", "s3:PutBucketVersioning",
    "s3:PutEncryptionConfiguration", "s3:PutLifecycleConfiguration", "s3:PutBucketCORS", "s3:PutBucketTagging",
    "s3:PutBucketPublicAccessBlock", "s3:DeleteObject",
)
PART_SIZE = 8 * 1024 * 1024  # ranged GET size and multipart part size at restore (S3's minimum part is 5 MiB)

# configuration field -> (get operation, the answer's key (None: the whole answer), "not configured" codes)
CONFIG: dict[str, tuple[str, str | None, tuple[str, ...]]] = {
    "versioning": ("get_bucket_versioning", None, ()),
    "encryption": ("get_bucket_encryption", "ServerSideEncryptionConfiguration",
                   ("ServerSideEncryptionConfigurationNotFoundError",)),
    "lifecycle": ("get_bucket_lifecycle_configuration", "Rules", ("NoSuchLifecycleConfiguration",)),
    "cors": ("get_bucket_cors", "CORSRules", ("NoSuchCORSConfiguration",)),
    "notification": ("get_bucket_notification_configuration", None, ()),
    "tags": ("get_bucket_tagging", "TagSet", ("NoSuchTagSet",)),
    "object_lock": ("get_object_lock_configuration", "ObjectLockConfiguration",
                    ("ObjectLockConfigurationNotFoundError",)),
    "public_access_block": ("get_public_access_block", "PublicAccessBlockConfiguration",
                            ("NoSuchPublicAccessBlockConfiguration",)),
}


def bucket_config(client: Any, bucket: str) -> dict[str, Any]:
    """The bucket's configuration, one entry per CONFIG field that is set (read the same way at restore)."""
    out: dict[str, Any] = {}
    for name, (operation, key, absent) in CONFIG.items():
        try:
            answer = call(client, operation, Bucket=bucket)
        except AwsError as exc:
            if error_code(exc) in absent:
                continue
            raise
        answer.pop("ResponseMetadata", None)
        value = answer if key is None else answer.get(key)
        if value:
            out[name] = value
    return out


def capture(ctx: DataContext, wired: Wired) -> Resource:
    client = ctx.client("s3", wired.region)
    config = bucket_config(client, wired.name)
    previous = ctx.previous.get(f"{NAME}:{wired.account}/{wired.region}/{wired.name}")
    if ctx.s3_versions and config.get("versioning", {}).get("Status") in ("Enabled", "Suspended"):
        objects = s3_versions.capture(ctx, client, wired.name, previous.objects if previous else [])
        return Resource(source=NAME, account=wired.account, region=wired.region, name=wired.name, arn=wired.arn,
                        captured_at=datetime.now(UTC), config=config, objects=objects)
    before = {o.key: o for o in previous.objects if o.version_id is None} if previous else {}
    listed = list(pages(client, "list_objects_v2", "Contents", Bucket=wired.name))

    def one(entry: dict[str, Any]) -> S3Object | None:
        old = before.get(entry["Key"])
        if old is not None and old.same_listing(entry) and all(p in ctx.available for p in old.parts):
            return old  # unchanged: no GET
        return read(ctx, client, wired.name, entry)

    objects = [o for o in parallel_map(one, listed, ctx.workers) if o is not None]
    return Resource(source=NAME, account=wired.account, region=wired.region, name=wired.name, arn=wired.arn,
                    captured_at=datetime.now(UTC), config=config, objects=objects)


def read(ctx: DataContext, client: Any, bucket: str, entry: dict[str, Any], retry: bool = True) -> S3Object | None:
    """Read one object in ranged parts, all pinned to the listed ETag (and VersionId, when the entry has
    one). None: deleted since listed."""
    key, size, etag = entry["Key"], int(entry["Size"]), entry["ETag"]
    parts: list[str] = []
    md5s: list[str] = []
    head: dict[str, Any] = {}
    try:
        for start in range(0, max(size, 1), PART_SIZE):
            end = min(start + PART_SIZE, size) - 1
            args: dict[str, Any] = {"Bucket": bucket, "Key": key, "IfMatch": etag}
            if entry.get("VersionId"):
                args["VersionId"] = entry["VersionId"]
            if size:
                args["Range"] = f"bytes={start}-{end}"
            answer = call(client, "get_object", **args)
            data = answer["Body"].read()
            if len(data) != end - start + 1 and size:
                raise AwsError(f"GetObject s3://{bucket}/{key}: {len(data)} bytes for range {start}-{end}")
            head = head or answer
            parts.append(ctx.put_file(data))
            md5s.append(hashlib.md5(data, usedforsecurity=False).hexdigest())
        version = {"VersionId": entry["VersionId"]} if entry.get("VersionId") else {}
        tags = call(client, "get_object_tagging", Bucket=bucket, Key=key, **version).get("TagSet", [])
    except AwsError as exc:
        code = error_code(exc)
        if code in ("NoSuchKey", "NoSuchVersion", "404"):
            ctx.warnings.append(f"s3://{bucket}/{key}: deleted between listing and reading, left out")
            return None
        if code == "PreconditionFailed" and retry:  # rewritten since listed: read what is there now
            fresh = call(client, "head_object", Bucket=bucket, Key=key)
            relisted = {"Key": key, "Size": fresh["ContentLength"], "ETag": fresh["ETag"],
                        "LastModified": fresh["LastModified"], "StorageClass": entry.get("StorageClass")}
            return read(ctx, client, bucket, relisted, retry=False)
        raise
    return S3Object(
        key=key, etag=etag, size=size, last_modified=entry["LastModified"],
        storage_class=entry.get("StorageClass") or "STANDARD", content_type=head.get("ContentType", ""),
        metadata=dict(head.get("Metadata", {})), tags={t["Key"]: t["Value"] for t in tags}, parts=parts, md5s=md5s,
        version_id=entry.get("VersionId"), latest=entry.get("IsLatest", True),
    )
