"""Restoring S3 buckets: create a missing bucket with its configuration, then write its objects back.

Objects of one stored part are put whole; larger ones by multipart upload, one stored part per
upload part (memory: one part per worker). Metadata, content type, storage class and tags are kept.
A target object equal to the snapshot's (size and ETag) is left alone; one that differs, or an object
the snapshot does not have, is "other data": refused unless the mode says merge (write ours, keep
theirs) or overwrite (write ours, delete theirs). The bucket's Lambda notifications are restored by
the s3_notifications kind (after the functions); queue and topic notifications are not restored.
"""

from __future__ import annotations

from typing import Any

from ..aws import call
from ..kinds.base import Change
from ..kinds.common import NOT_FOUND, maybe, pages
from ..kinds.s3_notifications import bucket_region
from ..parallel import parallel_map
from . import s3_versions
from .base import DataRestoreContext
from .models import Resource, S3Object
from .s3 import bucket_config

NAME = "s3"
# configuration field -> how to put it back (operation, argument name); versioning first (lock needs it)
PUTS: dict[str, tuple[str, str]] = {
    "versioning": ("put_bucket_versioning", "VersioningConfiguration"),
    "encryption": ("put_bucket_encryption", "ServerSideEncryptionConfiguration"),
    "lifecycle": ("put_bucket_lifecycle_configuration", "LifecycleConfiguration"),
    "cors": ("put_bucket_cors", "CORSConfiguration"),
    "tags": ("put_bucket_tagging", "Tagging"),
    "public_access_block": ("put_public_access_block", "PublicAccessBlockConfiguration"),
    "object_lock": ("put_object_lock_configuration", "ObjectLockConfiguration"),
}


def _argument(name: str, value: Any) -> Any:
    if name == "versioning":
        return {k: v for k, v in value.items() if k == "Status" or (k == "MFADelete" and v != "Disabled")}
    if name == "lifecycle":
        return {"Rules": value}
    if name == "cors":
        return {"CORSRules": value}
    if name == "tags":
        return {"TagSet": value}
    return value


def plan(dctx: DataRestoreContext, rec: Resource) -> list[Change]:
    region = dctx.region(rec.region)
    bucket = dctx.buckets.get(rec.name, rec.name)
    label = f"s3://{bucket} ({region})"
    client = dctx.client("s3", region)
    where = maybe(client, "get_bucket_location", missing=NOT_FOUND["s3"], Bucket=bucket)
    if where is not None and bucket_region(where) != region:
        why = (f"bucket {bucket} exists in {bucket_region(where)}, not {region} (bucket names are global): map it "
               f"with --map arn:aws:s3:::{rec.name}=arn:aws:s3:::NEW or --data-bucket-template")
        return [Change("data:s3", label, "failed", why)]
    changes = []
    if where is None:
        dctx.ctx.shared("data").setdefault("buckets", {})[bucket] = region  # for the s3_notifications kind
        what = "bucket with " + (", ".join(sorted(rec.config)) or "defaults")
        create = lambda: _create(dctx, client, bucket, region, rec)  # noqa: E731
        changes.append(Change("data:s3", label, "create", what, apply=create))
        live: dict[str, dict[str, Any]] = {}
    else:
        differ = _differing(client, bucket, rec.config)
        if differ:
            changes.append(Change("data:s3", label, "update", "configuration", fields=differ,
                                  apply=lambda: _configure(client, bucket, rec.config, differ)))
        else:
            changes.append(Change("data:s3", label, "unchanged", "configuration"))
        live = {o["Key"]: o for o in pages(client, "list_objects_v2", "Contents", Bucket=bucket)}
    if any(o.version_id is not None for o in rec.objects):  # captured with --s3-versions
        return changes + s3_versions.plan(dctx, client, bucket, label, rec, where is not None,
                                          lambda o: _put(dctx, client, bucket, o))
    return changes + _plan_objects(dctx, client, bucket, label, rec, live)


def _plan_objects(dctx: DataRestoreContext, client: Any, bucket: str, label: str, rec: Resource,
                  live: dict[str, dict[str, Any]]) -> list[Change]:
    ours = {o.key for o in rec.objects}
    todo = [o for o in rec.objects if not _same(o, live.get(o.key))]
    differing = [o.key for o in todo if o.key in live]
    extra = sorted(k for k in live if k not in ours)
    if (differing or extra) and dctx.mode is None:
        shown = ", ".join((differing + extra)[:3])
        return [Change("data:s3", f"{label} objects", "failed",
                       f"the bucket holds other data ({len(differing)} objects differ, {len(extra)} not in the "
                       f"snapshot, e.g. {shown}): pass --data-mode merge or --data-mode overwrite")]
    doomed = extra if dctx.mode == "overwrite" else []
    if not todo and not doomed:
        return [Change("data:s3", f"{label} objects", "unchanged", f"{len(rec.objects)} objects")]
    size = sum(o.size for o in todo)
    detail = f"{len(todo)} objects ({size} bytes)" + (f", delete {len(doomed)}" if doomed else "")

    def apply() -> str | None:
        parallel_map(lambda o: _put(dctx, client, bucket, o), todo, 4)
        for i in range(0, len(doomed), 1000):
            call(client, "delete_objects", Bucket=bucket,
                 Delete={"Objects": [{"Key": k} for k in doomed[i : i + 1000]], "Quiet": True})
        return None

    return [Change("data:s3", f"{label} objects", "create" if not live else "update", detail, apply=apply)]


def _same(obj: S3Object, live: dict[str, Any] | None) -> bool:
    return live is not None and int(live["Size"]) == obj.size and live["ETag"] in (obj.etag, obj.restored_etag())


def _differing(client: Any, bucket: str, want: dict[str, Any]) -> list[str]:
    have = bucket_config(client, bucket)
    return [n for n in PUTS if n in want and _comparable(n, want[n]) != _comparable(n, have.get(n))]


def _comparable(name: str, value: Any) -> Any:
    return _argument(name, value) if value is not None else None


def _create(dctx: DataRestoreContext, client: Any, bucket: str, region: str, rec: Resource) -> str | None:
    args: dict[str, Any] = {"Bucket": bucket}
    if region != "us-east-1":
        args["CreateBucketConfiguration"] = {"LocationConstraint": region}
    if rec.config.get("object_lock", {}).get("ObjectLockEnabled") == "Enabled":
        args["ObjectLockEnabledForBucket"] = True  # only possible at creation
    call(client, "create_bucket", **args)
    tags = dict(dctx.ctx.drill_tags())
    config = dict(rec.config)
    if tags:
        config["tags"] = [*config.get("tags", []), *({"Key": k, "Value": v} for k, v in tags.items())]
    _configure(client, bucket, config, [n for n in PUTS if n in config])
    return None


def _configure(client: Any, bucket: str, config: dict[str, Any], names: list[str]) -> str | None:
    for name in names:
        operation, argument = PUTS[name]
        call(client, operation, Bucket=bucket, **{argument: _argument(name, config[name])})
    return None


def _put(dctx: DataRestoreContext, client: Any, bucket: str, obj: S3Object) -> None:
    args: dict[str, Any] = {"Bucket": bucket, "Key": obj.key, "Metadata": obj.metadata}
    if obj.content_type:
        args["ContentType"] = obj.content_type
    if obj.storage_class and obj.storage_class != "STANDARD":
        args["StorageClass"] = obj.storage_class
    if len(obj.parts) <= 1:
        body = dctx.read_file(obj.parts[0]) if obj.parts else b""
        call(client, "put_object", Body=body, **args)
    else:
        upload = call(client, "create_multipart_upload", **args)["UploadId"]
        try:
            done = []
            for number, key in enumerate(obj.parts, start=1):
                part = call(client, "upload_part", Bucket=bucket, Key=obj.key, UploadId=upload, PartNumber=number,
                            Body=dctx.read_file(key))
                done.append({"PartNumber": number, "ETag": part["ETag"]})
            call(client, "complete_multipart_upload", Bucket=bucket, Key=obj.key, UploadId=upload,
                 MultipartUpload={"Parts": done})
        except Exception:
            maybe(client, "abort_multipart_upload", missing=("NoSuchUpload",), Bucket=bucket, Key=obj.key,
                  UploadId=upload)
            raise
    if obj.tags:
        call(client, "put_object_tagging", Bucket=bucket, Key=obj.key,
             Tagging={"TagSet": [{"Key": k, "Value": v} for k, v in sorted(obj.tags.items())]})
