"""Backing up event-source data: which resources the selected functions are wired to, then each one.

A resource that fails keeps its previous capture where the repository still has its bytes (as a
function-scoped kind does), and the error names it; the run's snapshot is then partial.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from typing import Any

from ..aws import Aws, call
from ..errors import LambdaArkError, describe
from ..kinds.s3_notifications import bucket_region
from ..model import FunctionRecord
from ..parallel import parallel_map
from ..repository import FileRef
from . import SOURCES
from .base import DataContext, Wired
from .models import DataSection, Resource


@dataclass
class DataOutcome:
    section: DataSection
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)  # Resource keys that could not be read


def wired(records: list[FunctionRecord], sources: frozenset[str]) -> list[Wired]:
    """The resources the records' mappings and S3 notifications name, for the wanted sources (sorted)."""
    found: set[Wired] = set()
    for rec in records:
        for m in rec.items.get("mappings") or []:
            w = from_arn(str(m.get("args", {}).get("EventSourceArn", "")))
            if w is not None and w.source in sources:
                found.add(w)
        if "s3" in sources:
            for entry in rec.items.get("s3_notifications") or []:
                bucket = entry["bucket"]
                found.add(Wired("s3", rec.account, rec.region, bucket, f"arn:aws:s3:::{bucket}"))
    return sorted(found, key=lambda w: (w.source, w.account, w.region, w.name))


def from_arn(arn: str) -> Wired | None:
    """A DynamoDB table (from its stream's ARN), a Kinesis stream or an SQS queue; None for other sources."""
    parts = arn.split(":", 5)
    if len(parts) != 6:
        return None
    _, partition, service, region, account, resource = parts
    if service == "dynamodb" and resource.startswith("table/"):
        table = resource.split("/")[1]
        return Wired("dynamodb", account, region, table, f"arn:{partition}:dynamodb:{region}:{account}:table/{table}")
    if service == "kinesis" and resource.startswith("stream/"):
        return Wired("kinesis", account, region, resource.split("/")[1], arn)
    if service == "sqs":
        return Wired("sqs", account, region, resource, arn)
    return None


def named_buckets(aws: Aws, account: str, buckets: list[str]) -> list[Wired]:
    """Buckets named with --data-bucket, located by GetBucketLocation."""
    out = []
    for bucket in buckets:
        where = call(aws.client("s3"), "get_bucket_location", Bucket=bucket)
        out.append(Wired("s3", account, bucket_region(where), bucket, f"arn:aws:s3:::{bucket}"))
    return out


RESOURCE_WORKERS = 3  # resources read at once (each reads in parallel too: S3 objects, scan segments)


def capture_data(ctx: DataContext, targets: list[Wired], sources: frozenset[str]) -> DataOutcome:
    """Capture each target; failures cost that resource only (its previous capture is kept if usable).
    Then the resources the captured ones bring with them (a queue's dead-letter queue), the same way."""
    out = DataOutcome(section=DataSection(sources=sorted(sources)))
    todo, seen = [t for t in targets if t.source in SOURCES], set(targets)
    while todo:
        for target, (resource, error) in zip(todo, parallel_map(partial(_one, ctx), todo, RESOURCE_WORKERS),
                                             strict=True):
            key = f"{target.source}:{target.account}/{target.region}/{target.name}"
            if error:
                prev = ctx.previous.get(key)
                kept = prev is not None and ctx.carried(prev)
                out.failed.append(key)
                out.errors.append(f"{target.source} {target.name} in {target.region}: {error}"
                                  + ("; its previous capture is kept" if kept else ""))
                resource = prev if kept else None
            if resource is not None:
                out.section.resources.append(resource)
        found = [w for r in out.section.resources for w in getattr(SOURCES[r.source], "related", lambda _: [])(r)]
        todo = [w for w in dict.fromkeys(found) if w not in seen]
        seen.update(todo)
    out.warnings.extend(ctx.warnings)
    return out


def _one(ctx: DataContext, target: Wired) -> tuple[Resource | None, str]:
    try:
        return SOURCES[target.source].capture(ctx, target), ""
    except Exception as exc:  # noqa: BLE001 - one resource's failure must not lose the others
        return None, describe(exc)


def previous_resources(body: dict[str, Any] | None) -> dict[str, Resource]:
    """The previous snapshot's data section by resource key ({} without one)."""
    if not body or not body.get("data"):
        return {}
    return {r.key: r for r in DataSection.model_validate(body["data"]).resources}


def data_files(
    section: DataSection, new_files: dict[str, FileRef], available: dict[str, FileRef]
) -> dict[str, FileRef]:
    """The file table entries the section names: each stored by this run or still in the repository."""
    files: dict[str, FileRef] = {}
    for resource in section.resources:
        for key in resource.file_keys():
            ref = new_files.get(key) or available.get(key)
            if ref is None:
                raise LambdaArkError(f"no snapshot written: {resource.key} names file {key}, which this run did "
                                     "not store and the repository does not have")
            files[key] = ref
    return files


def backup_data(
    aws: Aws, account: str, records: list[FunctionRecord], sources: frozenset[str], buckets: list[str],
    put_file: Any, prev_body: dict[str, Any] | None, available: set[str], consistent_read: bool = False,
    export_bucket: str | None = None, s3_versions: bool = False,
) -> DataOutcome:
    """The data section of one backup run: wired resources of `sources`, plus the named buckets."""
    ctx = DataContext(aws=aws, put_file=put_file, previous=previous_resources(prev_body), available=available,
                      sources=sources, export_bucket=export_bucket, s3_versions=s3_versions,
                      consistent_read=consistent_read)
    targets = wired(records, sources)
    errors = []
    for bucket in buckets:
        try:
            targets.extend(named_buckets(aws, account, [bucket]))
        except Exception as exc:  # noqa: BLE001 - a bucket that cannot be found is that bucket's error
            errors.append(f"--data-bucket {bucket}: {describe(exc)}")
    unique = sorted(set(targets), key=lambda w: (w.source, w.account, w.region, w.name))
    out = capture_data(ctx, unique, sources | ({"s3"} if buckets else set()))
    out.errors[:0] = errors
    return out
