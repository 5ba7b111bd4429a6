"""CloudFront: Lambda@Edge associations of a function's versions, and the CloudFront Functions
associated with the same cache behaviours.

CloudFront is global and Lambda@Edge functions live in us-east-1, so discovery runs there only.
The function's code is backed up by the core kinds; this kind records which behaviour (path
pattern) of which distribution runs which numbered version on which event. Restore points the
behaviour at the republished version (`ctx.mapper.arn` knows the new number) with an ETag-checked
update_distribution. The read-only replicas Lambda makes in other regions (`us-east-1.<name>`) are
recorded as such and skipped on restore: CloudFront recreates them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from functools import partial
from typing import Any

from ..aws import call, error_code
from ..errors import AwsError
from . import iac
from .base import Change, RegionContext, RestoreContext, once
from .common import maybe
from .triggers import FunctionIndex, is_function_arn, lock

NAME = "cloudfront"
SERVICE = "cloudfront"
PERMISSIONS = (
    "cloudfront:ListDistributions",
    "cloudfront:GetDistributionConfig",
    "cloudfront:UpdateDistribution",
    "cloudfront:DescribeFunction",
    "cloudfront:GetFunction",
    "cloudfront:CreateFunction",
    "cloudfront:PublishFunction",
    "lambda:GetFunction",
    "lambda:EnableReplication",
    "iam:CreateServiceLinkedRole",
)
SCOPE = "region"
ORDER_REASON = "last: needs the republished version numbers, and a distribution update takes minutes to deploy"

HOME = "us-east-1"  # where CloudFront's control plane and every Lambda@Edge function live
REPLICA_PREFIX = f"{HOME}."
_UPDATE_ATTEMPTS = 3  # someone else updating the same distribution between our read and write


def behaviours(config: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(path pattern, behaviour) for every cache behaviour; "*" is the default one."""
    others = (config.get("CacheBehaviors") or {}).get("Items") or []
    return [("*", config["DefaultCacheBehavior"])] + [(b["PathPattern"], b) for b in others]


def _items(behaviour: dict[str, Any], field: str) -> list[dict[str, Any]]:
    return list((behaviour.get(field) or {}).get("Items") or [])


def discover(ctx: RegionContext) -> FunctionIndex:
    index = FunctionIndex()
    if ctx.region != HOME:
        return index
    client = ctx.client("cloudfront", HOME)
    for page in client.get_paginator("list_distributions").paginate():
        for dist in page["DistributionList"].get("Items", []):
            for path, behaviour in behaviours(dist):
                for assoc in _items(behaviour, "LambdaFunctionAssociations"):
                    if is_function_arn(assoc["LambdaFunctionARN"]):
                        index.add(
                            assoc["LambdaFunctionARN"],
                            {
                                "distribution_id": dist["Id"],
                                "distribution_arn": dist["ARN"],
                                "path": path,
                                "event_type": assoc["EventType"],
                                "include_body": bool(assoc.get("IncludeBody")),
                                "version_arn": assoc["LambdaFunctionARN"],
                                "functions": _items(behaviour, "FunctionAssociations"),
                            },
                        )
    return index


def capture(ctx: RegionContext, index: FunctionIndex, fn: dict[str, Any]) -> dict[str, Any] | None:
    if ctx.region != HOME and fn["FunctionName"].startswith(REPLICA_PREFIX):
        origin = fn["FunctionName"][len(REPLICA_PREFIX) :]
        return {"replica_of": f"arn:aws:lambda:{HOME}:{ctx.account}:function:{origin}"}
    found = sorted(index.get(fn), key=lambda a: (a["distribution_id"], a["path"], a["event_type"]))
    if not found:
        return None
    associations = [{k: v for k, v in a.items() if k != "functions"} for a in found]
    function_associations = sorted(
        {
            (a["distribution_id"], a["distribution_arn"], a["path"], f["EventType"], f["FunctionARN"])
            for a in found
            for f in a["functions"]
        }
    )
    edge = {arn: _edge_function(ctx, arn) for *_, arn in function_associations}
    return {
        "associations": associations,
        "function_associations": [
            dict(zip(("distribution_id", "distribution_arn", "path", "event_type", "function_arn"), t, strict=True))
            for t in function_associations
        ],
        "cloudfront_functions": edge,
    }


def _edge_function(ctx: RegionContext, arn: str) -> dict[str, Any]:
    """A CloudFront Function's config and LIVE code, read once per run however many use it."""
    memo = ctx.cache.setdefault("cloudfront.functions", {})
    if arn not in memo:
        client = ctx.client("cloudfront", HOME)
        name = arn.rsplit("/", 1)[1]
        summary = call(client, "describe_function", Name=name, Stage="LIVE")["FunctionSummary"]
        code = call(client, "get_function", Name=name, Stage="LIVE")["FunctionCode"]
        data = code.read() if hasattr(code, "read") else bytes(code)
        config = {
            k: v
            for k, v in summary["FunctionConfig"].items()
            if k in ("Comment", "Runtime", "KeyValueStoreAssociations")
        }
        with lock(ctx.cache):
            memo[arn] = {"name": name, "config": config, "file": ctx.put_file(data)}
    return dict(memo[arn])


def plan(ctx: RestoreContext, record: dict[str, Any], data: dict[str, Any]) -> list[Change]:
    if ctx.isolated:
        distributions = ", ".join(sorted({a["distribution_id"] for a in data.get("associations", [])}))
        return ctx.isolated_skip(NAME, f"{ctx.target_name(record)} ({ctx.target_region(record)})",
                                 f"CloudFront associations {distributions}".strip())
    if "replica_of" in data:
        return [
            Change(
                NAME,
                f"{record['name']} ({record['region']})",
                "skipped",
                f"Lambda@Edge replica of {data['replica_of']}: CloudFront recreates it",
            )
        ]
    client = ctx.client("cloudfront", HOME)
    changes: list[Change] = []
    names = _plan_edge_functions(ctx, client, data.get("cloudfront_functions", {}), changes)
    by_dist: dict[str, list[tuple[str, dict[str, Any]]]] = defaultdict(list)
    for a in data["associations"]:
        by_dist[_target_distribution(ctx, a)].append(("lambda", a))
    for a in data.get("function_associations", []):
        by_dist[_target_distribution(ctx, a)].append(("function", a))
    for dist_id, wanted in sorted(by_dist.items()):
        changes.extend(_plan_distribution(ctx, client, dist_id, wanted, names))
    return changes


def _target_distribution(ctx: RestoreContext, a: dict[str, Any]) -> str:
    """Distributions are global: the same id, unless an explicit ARN map names another."""
    return str(ctx.mapper.explicit.get(a["distribution_arn"], a["distribution_arn"]).rsplit("/", 1)[1])


def _plan_edge_functions(
    ctx: RestoreContext, client: Any, functions: dict[str, Any], changes: list[Change]
) -> dict[str, str]:
    """CloudFront Functions the target account lacks are created (and published); existing ones are
    used as they are. Returns old ARN -> target ARN (filled in when a create applies)."""
    out: dict[str, str] = ctx.shared(NAME).setdefault("functions", {})
    for old_arn, f in sorted(functions.items()):
        if old_arn in out:
            continue
        live = maybe(client, "describe_function", Name=f["name"])
        if live is not None:
            out[old_arn] = live["FunctionSummary"]["FunctionMetadata"]["FunctionARN"]
            continue
        out[old_arn] = ctx.mapper.arn(old_arn)

        def create(old_arn: str = old_arn, f: dict[str, Any] = f) -> None:
            created = call(
                client, "create_function", Name=f["name"], FunctionConfig=f["config"],
                FunctionCode=ctx.read_file(f["file"]),
            )
            call(client, "publish_function", Name=f["name"], IfMatch=created["ETag"])
            out[old_arn] = created["FunctionSummary"]["FunctionMetadata"]["FunctionARN"]

        changes.append(Change(NAME, f"CloudFront function {f['name']}", "create", "created and published",
                              apply=create))
    return out


def _plan_distribution(
    ctx: RestoreContext, client: Any, dist_id: str, wanted: list[tuple[str, dict[str, Any]]], names: dict[str, str]
) -> list[Change]:
    got = maybe(client, "get_distribution_config", Id=dist_id)
    if got is None:
        return [Change(NAME, _label(dist_id, a), "failed", f"distribution {dist_id} does not exist") for _, a in wanted]
    config = got["DistributionConfig"]
    planned = [_apply(ctx, config, dist_id, what, a, names) for what, a in wanted]
    # one ETag-checked update of the distribution for all of this function's associations
    update = once(partial(_update, ctx, client, dist_id, wanted, names))
    return [
        replace(c, apply=update) if c.action in ("create", "update") else c for c in planned
    ]


def _update(
    ctx: RestoreContext, client: Any, dist_id: str, wanted: list[tuple[str, dict[str, Any]]], names: dict[str, str]
) -> None:
    for attempt in range(_UPDATE_ATTEMPTS):
        got = call(client, "get_distribution_config", Id=dist_id)
        config = got["DistributionConfig"]
        # decided again now: the republished version's number and a created function's ARN are known
        changes = [_apply(ctx, config, dist_id, what, a, names) for what, a in wanted]
        if all(c.action in ("unchanged", "failed") for c in changes):
            return
        try:
            call(client, "update_distribution", Id=dist_id, IfMatch=got["ETag"], DistributionConfig=config)
            return
        except AwsError as exc:  # someone else updated it between our read and write
            if error_code(exc) != "PreconditionFailed" or attempt == _UPDATE_ATTEMPTS - 1:
                raise


def _label(dist_id: str, a: dict[str, Any]) -> str:
    return f"distribution {dist_id} {a['path']} {a['event_type']}"


def _apply(
    ctx: RestoreContext, config: dict[str, Any], dist_id: str, what: str, a: dict[str, Any], names: dict[str, str]
) -> Change:
    """Put one association into `config` (in place) and say what that changed."""
    label = _label(dist_id, a)
    behaviour = dict(behaviours(config)).get(a["path"])
    if behaviour is None:
        return Change(NAME, label, "failed", f"distribution {dist_id} has no cache behaviour {a['path']}")
    if what == "lambda":
        field, key = "LambdaFunctionAssociations", "LambdaFunctionARN"
        arn = ctx.mapper.arn(a["version_arn"])
        if arn.split(":")[3] != HOME:
            return Change(NAME, label, "failed", f"{arn}: Lambda@Edge functions must be in {HOME}")
        want = {key: arn, "EventType": a["event_type"], "IncludeBody": a["include_body"]}
        pending = ctx.arn_unknown(a["version_arn"])
    else:
        field, key = "FunctionAssociations", "FunctionARN"
        arn = names.get(a["function_arn"], ctx.mapper.arn(a["function_arn"]))
        want = {key: arn, "EventType": a["event_type"]}
        pending = False
    items = _items(behaviour, field)
    same_event = [i for i, x in enumerate(items) if x["EventType"] == a["event_type"]]
    if same_event and not pending and {k: items[same_event[0]].get(k) for k in want} == want:
        return Change(NAME, label, "unchanged", arn)
    if same_event:
        items[same_event[0]] = want
    else:
        items.append(want)
    behaviour[field] = {"Quantity": len(items), "Items": items}
    return Change(NAME, label, "update" if same_event else "create", arn)


def to_iac(record: dict[str, Any], data: dict[str, Any]) -> iac.Fragment:
    """CloudFront Functions are declared (config and code); a distribution is far more than its
    associations and is not recorded, so each association is an output naming the version to attach
    where (Lambda@Edge functions must live in us-east-1)."""
    frag = iac.Fragment()
    if "replica_of" in data:
        return frag
    for f in data.get("cloudfront_functions", {}).values():
        config = {"Comment": "", **f["config"]}
        props = {"Name": f["name"], "FunctionConfig": config, "FunctionCode": iac.text(f["file"]), "AutoPublish": True}
        frag.add(iac.logical("CloudFrontFunction", f["name"]), "AWS::CloudFront::Function", props)
    for a in data["associations"]:
        version = a["version_arn"].rsplit(":", 1)[-1]
        if version not in iac.exported_versions(record):
            frag.notes.append(f"{iac.function_name(record)}: version {version}, which distribution "
                              f"{a['distribution_id']} runs, is not exported")
            continue
        body = ", with the body" if a["include_body"] else ""
        frag.outputs[iac.logical("Edge", a["distribution_id"], a["path"], a["event_type"])] = {
            "Description": f"attach to CloudFront distribution {a['distribution_id']}, path {a['path']}, "
                           f"{a['event_type']}{body}",
            "Value": a["version_arn"],
        }
    if record.get("region") != HOME:
        frag.notes.append(f"{iac.function_name(record)}: Lambda@Edge functions must be deployed in {HOME}")
    return frag
