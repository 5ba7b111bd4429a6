"""Published versions: each one's code and configuration, republished in order on restore.

Restore cannot choose version numbers, so it records old -> new in the ARN mapper; aliases,
policies, mappings and CloudFront associations restored later follow the new numbers.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from ..aws import call
from . import function, iac
from .base import Change, RegionContext, RestoreContext
from .common import fetch_verified, maybe, pages, versions_of, wait_updated

NAME = "versions"
SERVICE = "lambda"
PERMISSIONS = ("lambda:ListVersionsByFunction", "lambda:GetFunction", "lambda:PublishVersion")
SCOPE = "function"
ORDER_REASON = "after the function (published from it); before aliases, which point at versions"
# Each function's restore at this step touches only that function: safe to run them in parallel.
PARALLEL = True


def discover(ctx: RegionContext) -> None:
    return None


def capture(ctx: RegionContext, index: Any, fn: dict[str, Any]) -> list[dict[str, Any]] | None:
    client = ctx.client("lambda")
    out = []
    for v in versions_of(ctx.cache, client, fn["FunctionName"]):
        record: dict[str, Any] = {
            "version": v["Version"],
            "description": v.get("Description", ""),
            "code_sha256": v["CodeSha256"],
            "config": function.normalize_config(v),
        }
        if v.get("PackageType", "Zip") == "Image":
            got = call(client, "get_function", FunctionName=fn["FunctionName"], Qualifier=v["Version"])
            record["image_uri"] = got["Code"].get("ResolvedImageUri") or got["Code"].get("ImageUri")
        else:
            record["file"] = function.store_code(
                ctx, v["CodeSha256"], partial(_fetch, client, fn["FunctionName"], v["Version"], v["CodeSha256"])
            )
        out.append(record)
    return out or None


def _fetch(client: Any, name: str, version: str, sha: str) -> bytes:
    def location() -> str:
        return str(call(client, "get_function", FunctionName=name, Qualifier=version)["Code"]["Location"])

    return fetch_verified(location, sha, f"{name}:{version} in {client.meta.region_name}")


def _matches(live: dict[str, Any], want: dict[str, Any], config: dict[str, Any]) -> bool:
    return (
        live["CodeSha256"] == want["code_sha256"]
        and live.get("Description", "") == want["description"]
        and function.normalize_config(live) == config
    )


def restore(ctx: RestoreContext, record: dict[str, Any], data: list[dict[str, Any]]) -> list[Change]:
    region, name = ctx.target_region(record), ctx.target_name(record)
    client = ctx.client("lambda", region)
    live = []
    if maybe(client, "get_function_configuration", FunctionName=name) is not None:  # else: still to create
        live = [
            v
            for v in pages(client, "list_versions_by_function", "Versions", FunctionName=name)
            if v["Version"] != "$LATEST"
        ]
    mapping: dict[str, str] = {}
    todo: list[dict[str, Any]] = []
    used: set[str] = set()
    for want in sorted(data, key=lambda v: int(v["version"])):
        config = ctx.mapper.map_obj(want["config"])
        match = next((v["Version"] for v in live if v["Version"] not in used and _matches(v, want, config)), None)
        if match is not None and not todo:
            mapping[want["version"]] = match
            used.add(match)
        else:
            todo.append(want)
    changes = [
        Change(NAME, f"{name}:{old} ({region})", "unchanged", f"is version {new}") for old, new in mapping.items()
    ]
    if todo and not ctx.dry_run:
        for want in todo:
            mapping[want["version"]] = _publish(ctx, client, name, want)
        _reset_latest(ctx, client, name, record)
    for want in todo:
        new = mapping.get(want["version"], "?")
        changes.append(Change(NAME, f"{name}:{want['version']} ({region})", "create", f"published as version {new}"))
    ctx.mapper.versions[str(record["name"])] = mapping
    return changes


def _publish(ctx: RestoreContext, client: Any, name: str, want: dict[str, Any]) -> str:
    live = call(client, "get_function_configuration", FunctionName=name)
    if live["CodeSha256"] != want["code_sha256"]:
        call(client, "update_function_code", FunctionName=name, **function.code_source(ctx, want))
        wait_updated(client, name)
    config = ctx.mapper.map_obj(want["config"])
    if function.normalize_config(live) != config:
        call(client, "update_function_configuration", FunctionName=name, **function.update_args(config))
        wait_updated(client, name)
    published = call(client, "publish_version", FunctionName=name, Description=want["description"])
    return str(published["Version"])


def _reset_latest(ctx: RestoreContext, client: Any, name: str, record: dict[str, Any]) -> None:
    """Publishing walked $LATEST through old versions; put it back to the snapshot's $LATEST."""
    fn_data = record["items"].get(function.NAME)
    if fn_data is None:
        return
    live = call(client, "get_function_configuration", FunctionName=name)
    if live["CodeSha256"] != fn_data["code_sha256"]:
        call(client, "update_function_code", FunctionName=name, **function.code_source(ctx, fn_data))
        wait_updated(client, name)
    want = function.desired_config(ctx, fn_data)
    if function.normalize_config(live) != want:
        call(client, "update_function_configuration", FunctionName=name, **function.update_args(want))
        wait_updated(client, name)


def to_iac(record: dict[str, Any], data: list[dict[str, Any]]) -> list[dict[str, Any]]:
    # CloudFormation publishes from the function's current code; CodeSha256 makes it refuse a mismatch
    return [
        iac.resource(
            "AWS::Lambda::Version",
            {
                "FunctionName": iac.function_name(record),
                "Description": v["description"],
                "CodeSha256": v["code_sha256"],
            },
        )
        for v in sorted(data, key=lambda v: int(v["version"]))
    ]
