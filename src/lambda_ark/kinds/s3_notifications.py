"""S3 bucket notifications that invoke a function (`LambdaFunctionConfigurations`).

Capture reads each bucket of the region once. Restore merges the function's entries into the target
bucket's configuration: queue, topic and EventBridge settings and other functions' entries survive,
because put_bucket_notification_configuration replaces the whole document.
"""

from __future__ import annotations

from collections import defaultdict
from functools import partial
from typing import Any

from ..aws import call
from . import iac
from .base import Change, RegionContext, RestoreContext, once
from .common import NOT_FOUND, maybe, pages
from .policy import permission_ids
from .triggers import FunctionIndex, check_permission, is_function_arn

NAME = "s3_notifications"
SERVICE = "s3"
PERMISSIONS = (
    "s3:ListAllMyBuckets",
    "s3:GetBucketLocation",
    "s3:GetBucketNotification",
    "s3:PutBucketNotification",
    "lambda:GetPolicy",
)
SCOPE = "region"
ORDER_REASON = "after the function and its policy: S3 tests the invoke permission when the notification is put"
INVOKERS = ("s3.amazonaws.com",)  # whom its triggers invoke through the resource policy (coverage)

_MISSING_BUCKET = NOT_FOUND["s3"]


def bucket_region(location: dict[str, Any]) -> str:
    """get_bucket_location's answer as a region name (None is us-east-1, "EU" is eu-west-1)."""
    constraint = location.get("LocationConstraint") or "us-east-1"
    return "eu-west-1" if constraint == "EU" else str(constraint)


def discover(ctx: RegionContext) -> FunctionIndex:
    """ListBuckets filtered by BucketRegion: one paged listing per region, no GetBucketLocation per bucket."""
    index = FunctionIndex()
    client = ctx.client("s3")
    # PageSize makes the requests paginated, which AWS requires above the default bucket quota.
    listed = pages(client, "list_buckets", "Buckets", BucketRegion=ctx.region, PaginationConfig={"PageSize": 1000})
    for bucket in sorted(b["Name"] for b in listed):
        conf = maybe(client, "get_bucket_notification_configuration", missing=_MISSING_BUCKET, Bucket=bucket)
        for entry in (conf or {}).get("LambdaFunctionConfigurations", []):  # None: deleted since listed
            if is_function_arn(entry["LambdaFunctionArn"]):
                index.add(entry["LambdaFunctionArn"], {"bucket": bucket, **_normal(entry)})
    return index


def _normal(entry: dict[str, Any]) -> dict[str, Any]:
    """One notification entry in a canonical shape (AWS echoes filter rule names capitalised)."""
    rules = entry.get("Filter", {}).get("Key", {}).get("FilterRules", [])
    return {
        "id": entry.get("Id", ""),
        "function_arn": entry["LambdaFunctionArn"],
        "events": sorted(entry.get("Events", [])),
        "filter": sorted(({"name": r["Name"].lower(), "value": r["Value"]} for r in rules), key=lambda r: r["name"]),
    }


def _entry(want: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"LambdaFunctionArn": want["function_arn"], "Events": want["events"]}
    if want["id"]:
        out["Id"] = want["id"]
    if want["filter"]:
        rules = [{"Name": r["name"], "Value": r["value"]} for r in want["filter"]]
        out["Filter"] = {"Key": {"FilterRules": rules}}
    return out


def capture(ctx: RegionContext, index: FunctionIndex, fn: dict[str, Any]) -> list[dict[str, Any]] | None:
    found = sorted(index.get(fn), key=lambda e: (e["bucket"], e["id"]))
    for entry in found:
        check_permission(ctx, NAME, entry["function_arn"], "s3.amazonaws.com", f"arn:aws:s3:::{entry['bucket']}")
    return found or None


def target_bucket(ctx: RestoreContext, bucket: str) -> str:
    """Bucket names are global: the same name, unless an explicit ARN map names another bucket.

    The mapper's region rules cannot apply: a bucket ARN has no region, and S3 notifies only
    functions in the bucket's own region, so a cross-region restore needs an explicit bucket map.
    """
    mapped = ctx.mapper.explicit.get(f"arn:aws:s3:::{bucket}")
    return mapped.split(":::", 1)[1] if mapped else bucket


def plan(ctx: RestoreContext, record: dict[str, Any], data: list[dict[str, Any]]) -> list[Change]:
    if ctx.isolated:
        return ctx.isolated_skip(NAME, f"{ctx.target_name(record)} ({ctx.target_region(record)})",
                                 "notifications of " + ", ".join(sorted({e["bucket"] for e in data})))
    by_bucket: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for entry in data:
        by_bucket[target_bucket(ctx, entry["bucket"])].append(entry)
    changes: list[Change] = []
    for bucket, entries in sorted(by_bucket.items()):
        changes.extend(_plan_bucket(ctx, ctx.target_region(record), bucket, entries))
    return changes


def _wanted(ctx: RestoreContext, entry: dict[str, Any]) -> dict[str, Any]:
    return {**entry, "function_arn": ctx.mapper.arn(entry["function_arn"])}


def _plan_bucket(ctx: RestoreContext, region: str, bucket: str, entries: list[dict[str, Any]]) -> list[Change]:
    # Any regional endpoint answers get_bucket_location; the bucket's own region then serves the rest.
    where = maybe(ctx.client("s3", region), "get_bucket_location", missing=_MISSING_BUCKET, Bucket=bucket)
    labels = [f"s3://{bucket} {e['id'] or ','.join(e['events'])} -> {ctx.mapper.arn(e['function_arn'])}"
              for e in entries]
    # A bucket this restore creates (restore --data) is not there at plan time: it will be, empty.
    created = ctx.shared("data").get("buckets", {}).get(bucket)
    if where is None and created is None:
        why = f"bucket {bucket} does not exist (bucket names are global; map it with an explicit ARN)"
        return [Change(NAME, label, "failed", why) for label in labels]
    located = bucket_region(where) if where is not None else str(created)
    if located != region:  # S3 rejects it too; saying why is kinder
        why = (
            f"bucket {bucket} is in {located} but the function is restored to {region}: S3 notifies only "
            f"functions in the bucket's region; map the bucket to one in {region} (explicit ARN map)"
        )
        return [Change(NAME, label, "failed", why) for label in labels]
    client = ctx.client("s3", located)
    live = [_normal(e) for e in _conf(client, bucket).get("LambdaFunctionConfigurations", [])] if where else []
    # One read-merge-write per bucket and function: put_bucket_notification_configuration replaces
    # the whole document, so the write re-reads it and keeps everything else that is there then.
    write = once(partial(_merge, ctx, client, bucket, entries))
    changes = []
    for entry, label in zip(entries, labels, strict=True):
        want = _wanted(ctx, entry)
        if not ctx.arn_unknown(entry["function_arn"]) and any(_same_trigger(want, e) for e in live):
            changes.append(Change(NAME, label, "unchanged"))
            continue
        same_id = bool(want["id"]) and any(e["id"] == want["id"] for e in live)
        changes.append(Change(NAME, label, "update" if same_id else "create", " ".join(want["events"]), apply=write))
    return changes


def _conf(client: Any, bucket: str) -> dict[str, Any]:
    conf: dict[str, Any] = call(client, "get_bucket_notification_configuration", Bucket=bucket)
    conf.pop("ResponseMetadata", None)
    return conf


def _merge(ctx: RestoreContext, client: Any, bucket: str, entries: list[dict[str, Any]]) -> None:
    conf = _conf(client, bucket)
    items: list[dict[str, Any]] = list(conf.get("LambdaFunctionConfigurations", []))
    for entry in entries:
        want = _wanted(ctx, entry)  # now: republished versions have their numbers
        live = [_normal(e) for e in items]
        if any(_same_trigger(want, e) for e in live):
            continue
        same_id = [i for i, e in enumerate(live) if want["id"] and e["id"] == want["id"]]
        if same_id:
            items[same_id[0]] = _entry(want)
        else:
            items.append(_entry(want))
    conf["LambdaFunctionConfigurations"] = items
    call(client, "put_bucket_notification_configuration", Bucket=bucket, NotificationConfiguration=conf)


def _same_trigger(want: dict[str, Any], live: dict[str, Any]) -> bool:
    """An entry with another id but the same effect is the same trigger (S3 generates ids)."""
    return (not want["id"] or not live["id"] or want["id"] == live["id"]) and {
        k: v for k, v in want.items() if k not in ("id", "bucket")
    } == {k: v for k, v in live.items() if k != "id"}


def sources(record: dict[str, Any], data: list[dict[str, Any]]) -> list[str]:
    """The source ARNs this kind's triggers invoke from (matched against the resource policy)."""
    return [f"arn:aws:s3:::{e['bucket']}" for e in data]


def to_iac(record: dict[str, Any], data: list[dict[str, Any]]) -> iac.Fragment:
    """A bucket with its notifications (one event per LambdaConfiguration). Bucket names are global,
    so the name is a parameter (default: the source's); the invoke permissions name the bucket by
    that parameter, and the bucket depends on them (S3 checks the permission when configured)."""
    frag = iac.Fragment()
    by_bucket: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for entry in data:
        for event in entry["events"]:
            conf: dict[str, Any] = {"Event": event, "Function": entry["function_arn"]}
            if entry["filter"]:
                rules = [{"Name": r["name"], "Value": r["value"]} for r in entry["filter"]]
                conf["Filter"] = {"S3Key": {"Rules": rules}}
            by_bucket[entry["bucket"]].append(conf)
    for bucket, confs in sorted(by_bucket.items()):
        param = iac.logical("BucketName", bucket)
        frag.parameters[param] = {"Type": "String", "Default": bucket,
                                  "Description": f"the bucket that was {bucket} (bucket names are global)"}
        arn = f"arn:aws:s3:::{bucket}"
        frag.add(iac.logical("Bucket", bucket), "AWS::S3::Bucket",
                 {"BucketName": {"Ref": param}, "NotificationConfiguration": {"LambdaConfigurations": confs}},
                 depends_on=permission_ids(record, "s3.amazonaws.com", arn))
        frag.arns[arn] = "arn:${AWS::Partition}:s3:::${" + param + "}"
    return frag
