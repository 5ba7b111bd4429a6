"""Kinesis Data Firehose delivery streams that transform records with a function (a `Lambda`
processor in a destination's `ProcessingConfiguration`).

Restore re-points the processor on the same-named delivery stream in the target region with
UpdateDestination, which merges into the destination's configuration (only `ProcessingConfiguration`
is sent, with every ARN in it mapped; the version id read just before the write guards against a
concurrent update). lambda-ark never creates a delivery stream (its destination, buffering and
encryption are not in the snapshot): a missing one is a failed change. Firehose invokes through
its own role, not the function's resource policy.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from ..aws import call
from .base import Change, RegionContext, RestoreContext
from .common import maybe, offered
from .triggers import FunctionIndex, is_function_arn

NAME = "firehose"
SERVICE = "firehose"
PERMISSIONS = ("firehose:ListDeliveryStreams", "firehose:DescribeDeliveryStream", "firehose:UpdateDestination",
               "iam:PassRole")
SCOPE = "region"
ORDER_REASON = "after the function and its versions/aliases: a processor names them"


def processors(processing: dict[str, Any]) -> list[str]:
    """The functions a ProcessingConfiguration's Lambda processors name."""
    return [p["ParameterValue"] for proc in processing.get("Processors", []) if proc.get("Type") == "Lambda"
            for p in proc.get("Parameters", []) if p.get("ParameterName") == "LambdaArn"
            and is_function_arn(p.get("ParameterValue", ""))]


def _names(client: Any) -> list[str]:
    """ListDeliveryStreams pages by the last name seen, not by a token."""
    names: list[str] = []
    while True:
        got = call(client, "list_delivery_streams", Limit=100, **({"ExclusiveStartDeliveryStreamName": names[-1]}
                                                                  if names else {}))
        names += got.get("DeliveryStreamNames", [])
        if not got.get("HasMoreDeliveryStreams") or not got.get("DeliveryStreamNames"):
            return names


def discover(ctx: RegionContext) -> FunctionIndex:
    """ListDeliveryStreams (100 a call), DescribeDeliveryStream per stream."""
    if not offered(ctx, SERVICE):
        return FunctionIndex()
    index = FunctionIndex()
    client = ctx.client("firehose")
    for name in _names(client):
        got = maybe(client, "describe_delivery_stream", DeliveryStreamName=name)
        if got is None:  # deleted since listed
            continue
        stream = got["DeliveryStreamDescription"]
        for destination in stream.get("Destinations", []):
            for key, value in destination.items():
                processing = value.get("ProcessingConfiguration") if isinstance(value, dict) else None
                for function in set(processors(processing or {})):
                    index.add(function, {"name": name, "arn": stream["DeliveryStreamARN"],
                                         "destination_id": destination["DestinationId"],
                                         "destination": key.removesuffix("DestinationDescription"),
                                         "processing": processing})
    return index


def capture(ctx: RegionContext, index: FunctionIndex, fn: dict[str, Any]) -> list[dict[str, Any]] | None:
    return sorted(index.get(fn), key=lambda e: (e["name"], e["destination_id"])) or None


def plan(ctx: RestoreContext, record: dict[str, Any], data: list[dict[str, Any]]) -> list[Change]:
    region = ctx.target_region(record)
    client = ctx.client("firehose", region)
    changes = []
    for entry in data:
        label = f"delivery stream {entry['name']} {entry['destination']} processor ({region})"
        live = _destination(client, entry)
        if isinstance(live, str):
            changes.append(Change(NAME, label, "failed", live))
            continue
        want = ctx.mapper.map_obj(entry["processing"])
        pending = any(ctx.arn_unknown(a) for a in processors(entry["processing"]))
        if live == want and not pending:
            changes.append(Change(NAME, label, "unchanged"))
            continue
        changes.append(Change(NAME, label, "update", ", ".join(processors(want)), fields=["ProcessingConfiguration"],
                              apply=partial(_update, ctx, client, entry)))
    return changes


def _destination(client: Any, entry: dict[str, Any]) -> dict[str, Any] | str:
    """The live ProcessingConfiguration of the recorded destination, or why there is none."""
    region = client.meta.region_name
    got = maybe(client, "describe_delivery_stream", DeliveryStreamName=entry["name"])
    if got is None:
        return (f"delivery stream {entry['name']} does not exist in {region} (lambda-ark does not create "
                "delivery streams)")
    for destination in got["DeliveryStreamDescription"].get("Destinations", []):
        if destination["DestinationId"] == entry["destination_id"]:
            described = destination.get(entry["destination"] + "DestinationDescription")
            if isinstance(described, dict):
                return dict(described.get("ProcessingConfiguration") or {})
    return f"delivery stream {entry['name']} in {region} has no {entry['destination']} destination " \
           f"{entry['destination_id']}"


def _update(ctx: RestoreContext, client: Any, entry: dict[str, Any]) -> None:
    stream = call(client, "describe_delivery_stream", DeliveryStreamName=entry["name"])["DeliveryStreamDescription"]
    call(client, "update_destination", DeliveryStreamName=entry["name"],
         CurrentDeliveryStreamVersionId=stream["VersionId"], DestinationId=entry["destination_id"],
         **{entry["destination"] + "DestinationUpdate": {
             "ProcessingConfiguration": ctx.mapper.map_obj(entry["processing"])}})


def to_iac(record: dict[str, Any], data: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A partial AWS::KinesisFirehose::DeliveryStream: the processing configuration only."""
    return [{"Type": "AWS::KinesisFirehose::DeliveryStream",
             "Metadata": {"lambda-ark": {"partial": f"{e['destination']} ProcessingConfiguration only"}},
             "Properties": {"DeliveryStreamName": e["name"],
                            f"{e['destination']}DestinationConfiguration": {"ProcessingConfiguration":
                                                                           e["processing"]}}} for e in data]
