"""EventBridge Pipes whose enrichment or target is a function (a pipe's source is a queue or stream).

A pipe is recorded whole (source and its parameters, filter, enrichment, target and their
parameters, role, logging, KMS key, desired state, tags) with every function that it names. Restore
creates the pipe with every ARN mapped, or updates a same-named pipe that differs (UpdatePipe takes
fewer source parameters than CreatePipe: only those it takes are sent). A pipe's source cannot be
changed: a same-named pipe reading from another source is a failed change. Pipes invoke through the
pipe's role, not the function's resource policy: there is no permission to check or grant.

A pipe naming two restored functions (enrichment and target) is planned once per restore.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from ..aws import call
from .base import Change, RegionContext, RestoreContext, once
from .common import maybe, offered, pages
from .shapes import input_of
from .triggers import FunctionIndex, is_function_arn

NAME = "pipes"
SERVICE = "pipes"
PERMISSIONS = ("pipes:ListPipes", "pipes:DescribePipe", "pipes:CreatePipe", "pipes:UpdatePipe", "iam:PassRole")
SCOPE = "region"
ORDER_REASON = "after the function and its versions/aliases: a pipe's enrichment and target name them"

_ROLES = ("Source", "Enrichment", "Target")
_READ_ONLY = ("Arn", "Name", "CurrentState", "StateReason", "CreationTime", "LastModifiedTime", "ResponseMetadata")


def discover(ctx: RegionContext) -> FunctionIndex:
    """ListPipes (paged) names each pipe's source, enrichment and target: DescribePipe only for pipes
    that name a function."""
    if not offered(ctx, SERVICE):
        return FunctionIndex()
    index = FunctionIndex()
    client = ctx.client("pipes")
    for summary in pages(client, "list_pipes", "Pipes"):
        named = [summary.get(r, "") for r in _ROLES if is_function_arn(summary.get(r, ""))]
        if not named:
            continue
        got = maybe(client, "describe_pipe", Name=summary["Name"])
        if got is None:  # deleted since listed
            continue
        entry = {"name": got["Name"], "arn": got["Arn"],
                 "pipe": {k: v for k, v in got.items() if k not in _READ_ONLY and v not in (None, {}, "")}}
        for function in set(named):
            index.add(function, entry)
    return index


def capture(ctx: RegionContext, index: FunctionIndex, fn: dict[str, Any]) -> list[dict[str, Any]] | None:
    return sorted(index.get(fn), key=lambda e: e["name"]) or None


def _mapped(ctx: RestoreContext, pipe: dict[str, Any]) -> dict[str, Any]:
    mapped: dict[str, Any] = ctx.mapper.map_obj(pipe)
    return mapped


def plan(ctx: RestoreContext, record: dict[str, Any], data: list[dict[str, Any]]) -> list[Change]:
    region = ctx.target_region(record)
    client = ctx.client("pipes", region)
    planned: dict[tuple[str, str], Change] = ctx.shared(NAME).setdefault("planned", {})
    changes = []
    for entry in data:
        key = (region, entry["name"])
        if key not in planned:
            planned[key] = _plan_pipe(ctx, client, entry)
        first = planned[key]
        changes.append(Change(NAME, first.target, first.action, first.detail, list(first.fields), first.apply))
    return changes


def _plan_pipe(ctx: RestoreContext, client: Any, entry: dict[str, Any]) -> Change:
    region = client.meta.region_name
    label = f"pipe {entry['name']} ({region})"
    want = _mapped(ctx, entry["pipe"])
    live = maybe(client, "describe_pipe", Name=entry["name"])
    if live is None:
        return Change(NAME, label, "create", f"{want['Source']} -> {want.get('Target', '')}",
                      apply=once(partial(_put, ctx, client, entry)))
    if live.get("Source") != want.get("Source"):
        return Change(NAME, label, "failed", f"pipe {entry['name']} in {region} reads from {live.get('Source')}, "
                                             f"not {want.get('Source')} (a pipe's source cannot be changed)")
    have = {k: v for k, v in live.items() if k not in _READ_ONLY and v not in (None, {}, "")}
    differ = sorted(k for k in set(want) | set(have) if k != "Tags" and want.get(k) != have.get(k))
    pending = any(ctx.arn_unknown(entry["pipe"].get(r, "")) for r in _ROLES)
    if not differ and not pending:
        return Change(NAME, label, "unchanged")
    return Change(NAME, label, "update", ", ".join(differ), fields=differ,
                  apply=once(partial(_put, ctx, client, entry)))


def _put(ctx: RestoreContext, client: Any, entry: dict[str, Any]) -> str:
    want = _mapped(ctx, entry["pipe"])  # now: republished versions have their numbers
    if maybe(client, "describe_pipe", Name=entry["name"]) is None:
        call(client, "create_pipe", Name=entry["name"], **input_of(client, "CreatePipe", want))
        return f"created in {want.get('DesiredState', 'RUNNING')} state"
    call(client, "update_pipe", Name=entry["name"], **input_of(client, "UpdatePipe", want, drop=("Source", "Tags")))
    return f"updated ({want.get('DesiredState', 'RUNNING')})"


def to_iac(record: dict[str, Any], data: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"Type": "AWS::Pipes::Pipe", "Properties": {"Name": e["name"], **e["pipe"]}} for e in data]
