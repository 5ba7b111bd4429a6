"""S3 object versions (`--s3-versions`): every version and delete marker of a versioned bucket.

A version never changes once written, so one captured before (same key and VersionId, bytes still in
the repository) costs no GET. Each key's versions are recorded oldest first, delete markers included,
and restored in that order into a versioned bucket (a delete marker by DeleteObject), so the newest
ends up current as it was. The target's versions get new VersionIds (S3 assigns them); the originals
stay in the snapshot.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import botocore.exceptions

from ..aws import as_aws_error, call
from ..kinds.base import Change
from ..parallel import parallel_map
from .base import DataContext, DataRestoreContext
from .models import Resource, S3Object


def listing(client: Any, bucket: str) -> list[dict[str, Any]]:
    """Every version and delete marker (`"Marker": True`), each key's oldest first. LastModified has whole
    seconds: within one, the listing's own order (newest first) and IsLatest decide."""
    found: list[dict[str, Any]] = []
    try:
        for page in client.get_paginator("list_object_versions").paginate(Bucket=bucket):
            found += [{**v, "Marker": False} for v in page.get("Versions", [])]
            found += [{**m, "Marker": True, "Size": 0, "ETag": ""} for m in page.get("DeleteMarkers", [])]
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
        raise as_aws_error(client, "list_object_versions", exc) from exc
    order = {id(v): n for n, v in enumerate(found)}
    return sorted(found, key=lambda v: (v["Key"], v["LastModified"], bool(v.get("IsLatest")), -order[id(v)]))


def capture(ctx: DataContext, client: Any, bucket: str, previous: list[S3Object]) -> list[S3Object]:
    from .s3 import read  # s3 calls this module for versioned buckets

    before = {(o.key, o.version_id): o for o in previous if o.version_id is not None}

    def one(entry: dict[str, Any]) -> S3Object | None:
        old = before.get((entry["Key"], entry["VersionId"]))
        if old is not None and all(p in ctx.available for p in old.parts):
            return old.model_copy(update={"latest": entry.get("IsLatest", False)})  # versions never change
        if entry["Marker"]:
            return S3Object(key=entry["Key"], etag="", size=0, last_modified=entry["LastModified"],
                            version_id=entry["VersionId"], latest=entry.get("IsLatest", False), delete_marker=True)
        return read(ctx, client, bucket, entry)

    return [o for o in parallel_map(one, listing(client, bucket), ctx.workers) if o is not None]


def plan(dctx: DataRestoreContext, client: Any, bucket: str, label: str, rec: Resource, exists: bool,
         put: Any) -> list[Change]:
    """Versions written back oldest first per key; `put(obj)` writes one version (s3_restore._put)."""
    want: dict[str, list[S3Object]] = defaultdict(list)
    for o in rec.objects:
        want[o.key].append(o)
    live: dict[str, list[tuple[bool, str, int]]] = defaultdict(list)
    entries = listing(client, bucket) if exists else []
    for v in entries:
        live[v["Key"]].append((v["Marker"], v["ETag"], int(v["Size"])))
    same = {k for k, versions in want.items() if [(o.delete_marker, o.restored_etag() if not o.delete_marker else "",
                                                    o.size) for o in versions] == live.get(k)}
    if same == set(want) and set(live) <= set(want):
        return [Change("data:s3", f"{label} versions", "unchanged", f"{len(rec.objects)} versions")]
    if entries and dctx.mode is None:
        return [Change("data:s3", f"{label} versions", "failed",
                       f"the bucket holds other versions ({len(entries)}): pass --data-mode merge (add the "
                       "snapshot's as newer versions) or --data-mode overwrite (delete every version first)")]
    doomed = [{"Key": v["Key"], "VersionId": v["VersionId"]} for v in entries] if dctx.mode == "overwrite" else []

    def apply() -> str | None:
        for i in range(0, len(doomed), 1000):
            call(client, "delete_objects", Bucket=bucket, Delete={"Objects": doomed[i:i + 1000], "Quiet": True})

        def one_key(versions: list[S3Object]) -> None:
            for o in versions:  # in order: the last one written is the current one
                if o.delete_marker:
                    call(client, "delete_object", Bucket=bucket, Key=o.key)
                else:
                    put(o)

        parallel_map(one_key, list(want.values()), 4)
        return None

    detail = f"{len(rec.objects)} versions of {len(want)} keys" + (f", delete {len(doomed)} first" if doomed else "")
    return [Change("data:s3", f"{label} versions", "update" if entries else "create", detail, apply=apply)]
