"""Event source mappings (Kinesis, DynamoDB Streams, SQS, Kafka, MQ, ...): listed once per region."""

from __future__ import annotations

from collections import defaultdict
from functools import partial
from typing import Any

from ..aws import call, error_code
from ..errors import AwsError
from . import iac
from .base import Change, RegionContext, RestoreContext
from .common import NOT_FOUND, memo, pages

NAME = "mappings"
SERVICE = "lambda"
PERMISSIONS = (
    "lambda:ListEventSourceMappings",
    "lambda:CreateEventSourceMapping",
    "lambda:UpdateEventSourceMapping",
    "dynamodb:DescribeTable",  # a DynamoDB stream's source is named by its table: its current stream ARN
)
SCOPE = "region"
ORDER_REASON = "after the function, its versions/aliases and policy; the source must exist first"
# Each function's restore at this step touches only that function: safe to run them in parallel.
PARALLEL = True

# create_event_source_mapping arguments as list_event_source_mappings returns them
_CREATE_FIELDS = (
    "EventSourceArn",
    "BatchSize",
    "MaximumBatchingWindowInSeconds",
    "ParallelizationFactor",
    "StartingPosition",
    "StartingPositionTimestamp",
    "DestinationConfig",
    "MaximumRecordAgeInSeconds",
    "BisectBatchOnFunctionError",
    "MaximumRetryAttempts",
    "TumblingWindowInSeconds",
    "Topics",
    "Queues",
    "SourceAccessConfigurations",
    "SelfManagedEventSource",
    "FunctionResponseTypes",
    "FilterCriteria",
    "ScalingConfig",
    "AmazonManagedKafkaEventSourceConfig",
    "SelfManagedKafkaEventSourceConfig",
    "DocumentDBEventSourceConfig",
    "KMSKeyArn",
    "MetricsConfig",
    "ProvisionedPollerConfig",
    "LoggingConfig",
)
# What of the Lambda API this kind records (see function.RECORDED): CreateEventSourceMapping's
# arguments, the function (and qualifier) and Enabled. Tags are not in the listing: the mapping_tags
# kind reads them, only for functions that changed (this kind runs every time).
RECORDED: dict[str, tuple[str, ...]] = {
    "CreateEventSourceMapping": ("FunctionName", "Enabled", *_CREATE_FIELDS),
}
# update_event_source_mapping cannot change these
_FIXED = {
    "EventSourceArn",
    "StartingPosition",
    "StartingPositionTimestamp",
    "Topics",
    "Queues",
    "SelfManagedEventSource",
    "AmazonManagedKafkaEventSourceConfig",
    "SelfManagedKafkaEventSourceConfig",
}


def unqualified(arn: str) -> str:
    return ":".join(arn.split(":")[:7])


def discover(ctx: RegionContext) -> dict[str, list[dict[str, Any]]]:
    """The region's mappings by unqualified function ARN: one listing per region and run (shared
    with mapping_tags through the run's memo)."""
    return memo(ctx.cache, (NAME, ctx.region), lambda: _index(ctx))


def _index(ctx: RegionContext) -> dict[str, list[dict[str, Any]]]:
    index: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for m in pages(ctx.client("lambda"), "list_event_source_mappings", "EventSourceMappings"):
        index[unqualified(m["FunctionArn"])].append(m)
    return index


def capture(
    ctx: RegionContext, index: dict[str, list[dict[str, Any]]], fn: dict[str, Any]
) -> list[dict[str, Any]] | None:
    out = []
    for m in index.get(fn["FunctionArn"], []):
        parts = m["FunctionArn"].split(":")
        out.append(
            {
                "qualifier": parts[7] if len(parts) > 7 else "",
                "enabled": m.get("State", "Enabled") in ("Enabled", "Enabling", "Updating", "Creating"),
                "args": {k: m[k] for k in _CREATE_FIELDS if m.get(k) not in (None, [], {})},
            }
        )
    return out or None


def plan(ctx: RestoreContext, record: dict[str, Any], data: list[dict[str, Any]]) -> list[Change]:
    region, name = ctx.target_region(record), ctx.target_name(record)
    client = ctx.client("lambda", region)
    try:
        live = list(pages(client, "list_event_source_mappings", "EventSourceMappings", FunctionName=name))
    except AwsError as exc:
        if error_code(exc) not in NOT_FOUND["lambda"]:  # only "no such function" means "no mappings yet"
            raise
        live = []  # the function does not exist yet
    changes = []
    for m in data:
        args: dict[str, Any] = _args(ctx, region, m)
        fn_name = _function(ctx, record, name, m)
        source = args.get("EventSourceArn")
        target = f"{fn_name} <- {source} ({region})" if source else f"{fn_name} ({region})"
        found = None
        if not ctx.version_unknown(record, m["qualifier"]):
            found = next(
                (x for x in live if x.get("EventSourceArn") == source and x["FunctionArn"].endswith(f":{fn_name}")),
                None,
            )
        if found is None:
            changes.append(
                Change(NAME, target, "create", apply=partial(_create, ctx, client, region, name, record, m))
            )
            continue
        diff = sorted(k for k, v in args.items() if k not in _FIXED and found.get(k) != v)
        if not diff:
            changes.append(Change(NAME, target, "unchanged"))
            continue
        apply = partial(_update, ctx, client, region, name, record, m, found["UUID"])
        changes.append(Change(NAME, target, "update", ", ".join(diff), fields=diff, apply=apply))
    return changes


def _args(ctx: RestoreContext, region: str, m: dict[str, Any]) -> dict[str, Any]:
    args: dict[str, Any] = ctx.mapper.map_obj(m["args"])
    if "EventSourceArn" in args:
        args["EventSourceArn"] = _current_stream(ctx, region, args["EventSourceArn"])
    return args


def _function(ctx: RestoreContext, record: dict[str, Any], name: str, m: dict[str, Any]) -> str:
    q = ctx.version(record, m["qualifier"])
    return f"{name}:{q}" if q else name


def _enabled(ctx: RestoreContext, m: dict[str, Any]) -> bool:
    """As recorded; a drill's mappings stay disabled (its copy must not take production's records)."""
    return bool(m["enabled"]) and not ctx.isolated


def _create(ctx: RestoreContext, client: Any, region: str, name: str, record: dict[str, Any],
            m: dict[str, Any]) -> None:
    tags = {"Tags": ctx.drill_tags()} if ctx.isolated else {}
    call(client, "create_event_source_mapping", FunctionName=_function(ctx, record, name, m),
         Enabled=_enabled(ctx, m), **_args(ctx, region, m), **tags)


def _update(ctx: RestoreContext, client: Any, region: str, name: str, record: dict[str, Any],
            m: dict[str, Any], uuid: str) -> None:
    update = {k: v for k, v in _args(ctx, region, m).items() if k not in _FIXED}
    call(client, "update_event_source_mapping", UUID=uuid, FunctionName=_function(ctx, record, name, m),
         Enabled=_enabled(ctx, m), **update)


def _current_stream(ctx: RestoreContext, region: str, arn: str) -> str:
    """A DynamoDB stream ARN ends in a creation-time label, so a mapped ARN names a stream that never
    existed in the target; the target table's current stream is the one to wire."""
    parts = arn.split(":")
    if parts[2] != "dynamodb" or "/stream/" not in arn:
        return arn
    table = parts[5].split("/")[1]
    try:
        latest = call(ctx.client("dynamodb", region), "describe_table", TableName=table)["Table"].get("LatestStreamArn")
    except AwsError as exc:
        if error_code(exc) not in NOT_FOUND["dynamodb"]:
            raise
        return arn  # no such table: creating the mapping will fail and say so
    return str(latest or arn)


def mapping_id(record: dict[str, Any], qualifier: str, source: str, topics: list[str]) -> str:
    """The logical id of one mapping (mapping_tags patches its Tags by it)."""
    return iac.logical("Fn", iac.function_name(record), "Mapping", qualifier,
                       iac.short("\n".join([source, *topics])))


# create_event_source_mapping names -> CloudFormation property names, where they differ
_CFN_NAMES = {"KMSKeyArn": "KmsKeyArn"}


def to_iac(record: dict[str, Any], data: list[dict[str, Any]]) -> iac.Fragment:
    frag = iac.Fragment()
    for m in data:
        target = iac.qualifier_ref(record, m["qualifier"])
        if target is None:
            frag.notes.append(f"{iac.function_name(record)}: the mapping of {m['qualifier']} is not exported "
                              "(the version or alias is not)")
            continue
        props: dict[str, Any] = {_CFN_NAMES.get(k, k): v for k, v in m["args"].items()}
        if "StartingPositionTimestamp" in props:  # CloudFormation takes seconds since the epoch
            props["StartingPositionTimestamp"] = _epoch(props["StartingPositionTimestamp"])
        source = m["args"].get("EventSourceArn", "")
        if ":dynamodb:" in source and "/stream/" in source:
            frag.notes.append(f"{iac.function_name(record)}: the mapping from {source.split('/stream/')[0]} names "
                              "the stream by its creation time; where the table is new, point it at the table's "
                              "current stream")
        mid = mapping_id(record, m["qualifier"], source, m["args"].get("Topics") or [])
        frag.add(mid, "AWS::Lambda::EventSourceMapping", {"FunctionName": target, "Enabled": m["enabled"], **props})
    return frag


def _epoch(value: Any) -> Any:
    from datetime import datetime

    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value).timestamp()
        except ValueError:
            return value
    return value
