"""Tags of a function's event source mappings (ListTags on each mapping's ARN).

ListEventSourceMappings carries no tags, and the mappings kind re-reads that listing on every run;
asking ListTags for every mapping of every function on every run would make backup cost follow the
estate's size. Tags are read here instead, per function, only when the function is captured afresh
(function scope: carried forward otherwise, like aliases), from the region's one mapping listing.
Restore tags the mapping the mappings kind restored (found by function, qualifier and source), and
removes tags the snapshot does not have, as the function kind does for the function's own.
"""

from __future__ import annotations

from typing import Any

from ..aws import call, error_code
from ..errors import AwsError
from . import iac
from .base import Action, Change, RegionContext, RestoreContext
from .common import NOT_FOUND, maybe, pages
from .mappings import discover as mapping_index
from .mappings import mapping_id

NAME = "mapping_tags"
SERVICE = "lambda"
PERMISSIONS = ("lambda:ListTags", "lambda:ListEventSourceMappings", "lambda:TagResource", "lambda:UntagResource")
SCOPE = "function"
ORDER_REASON = "after mappings, which create the mappings these tags go on"
# One function's mappings are its own.
PARALLEL = True
# What of the Lambda API this kind records (see function.RECORDED).
RECORDED: dict[str, tuple[str, ...]] = {"CreateEventSourceMapping": ("Tags",)}


def discover(ctx: RegionContext) -> None:
    return None


def capture(ctx: RegionContext, index: Any, fn: dict[str, Any]) -> list[dict[str, Any]] | None:
    client = ctx.client("lambda")
    out = []
    for m in mapping_index(ctx).get(fn["FunctionArn"], []):
        if not m.get("EventSourceMappingArn"):
            continue
        got = maybe(client, "list_tags", Resource=m["EventSourceMappingArn"])  # None: deleted since listed
        tags = (got or {}).get("Tags") or {}
        if tags:
            parts = m["FunctionArn"].split(":")
            out.append({
                "qualifier": parts[7] if len(parts) > 7 else "",
                "source": m.get("EventSourceArn", ""),
                "topics": m.get("Topics") or [],
                "tags": dict(tags),
            })
    return out or None


def source_key(arn: str) -> str:
    """A source as restore can find it again: a DynamoDB stream's label changes with the table, so
    its table names it."""
    return arn.split("/stream/")[0] if ":dynamodb:" in arn else arn


def _find(client: Any, fn_name: str, source: str, topics: list[str]) -> dict[str, Any] | None:
    try:
        listed = list(pages(client, "list_event_source_mappings", "EventSourceMappings", FunctionName=fn_name))
    except AwsError as exc:
        if error_code(exc) in NOT_FOUND["lambda"]:  # the function is still to be created
            return None
        raise
    for m in listed:
        if source_key(m.get("EventSourceArn", "")) == source_key(source) and (m.get("Topics") or []) == topics:
            return dict(m)
    return None


def _function(ctx: RestoreContext, record: dict[str, Any], name: str, qualifier: str) -> str:
    q = ctx.version(record, qualifier)
    return f"{name}:{q}" if q else name


def plan(ctx: RestoreContext, record: dict[str, Any], data: list[dict[str, Any]]) -> list[Change]:
    region, name = ctx.target_region(record), ctx.target_name(record)
    client = ctx.client("lambda", region)
    changes = []
    for entry in data:
        source, want = ctx.mapper.arn(entry["source"]), {**entry["tags"], **ctx.drill_tags()}
        # a version this restore republishes has no number in the target until versions apply
        unknown = ctx.version_unknown(record, entry["qualifier"])
        fn_name = _function(ctx, record, name, entry["qualifier"])
        target = f"{fn_name} <- {source or ','.join(entry['topics'])} tags ({region})"
        found = None if unknown else _find(client, fn_name, source, entry["topics"])
        have = (call(client, "list_tags", Resource=found["EventSourceMappingArn"])["Tags"] or {}) if found else {}
        if found and have == want:
            changes.append(Change(NAME, target, "unchanged"))
            continue

        def apply(source: str = source, entry: dict[str, Any] = entry, want: dict[str, str] = want) -> str | None:
            fn_name = _function(ctx, record, name, entry["qualifier"])  # decided now: versions have applied
            mapping = _find(client, fn_name, source, entry["topics"])  # created by the mappings kind by now
            if mapping is None:
                raise AwsError(f"no event source mapping of {fn_name} from {source} in {region} to tag")
            arn = mapping["EventSourceMappingArn"]
            call(client, "tag_resource", Resource=arn, Tags=want)
            stale = sorted(set(call(client, "list_tags", Resource=arn)["Tags"] or {}) - set(want))
            if stale:
                call(client, "untag_resource", Resource=arn, TagKeys=stale)
            return None

        action: Action = "update" if found and have else "create"
        fields = sorted(k for k in set(want) | set(have) if want.get(k) != have.get(k))
        changes.append(Change(NAME, target, action, fields=fields, apply=apply))
    return changes


def to_iac(record: dict[str, Any], data: list[dict[str, Any]]) -> iac.Fragment:
    # No resource of its own: Tags is a property of AWS::Lambda::EventSourceMapping.
    frag = iac.Fragment()
    for entry in data:
        mid = mapping_id(record, entry["qualifier"], entry["source"], entry["topics"])
        frag.patches[mid] = {"Tags": iac.tag_list(entry["tags"])}
    return frag
