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
from .common import fetch_verified, maybe, pages, versions_of

NAME = "versions"
SERVICE = "lambda"
# Republishing a version sets $LATEST to that version's code and configuration first, then back.
PERMISSIONS = ("lambda:ListVersionsByFunction", "lambda:GetFunction", "lambda:GetFunctionConfiguration",
               "lambda:UpdateFunctionCode", "lambda:UpdateFunctionConfiguration", "lambda:PublishVersion",
               "iam:PassRole")
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


def plan(ctx: RestoreContext, record: dict[str, Any], data: list[dict[str, Any]]) -> list[Change]:
    """Versions already in the target (same code, description and configuration, in order) are
    reused; the rest are republished in order. New numbers are known only once published: the plan
    marks them pending (`ctx.version_unknown`) and later kinds read the mapper when they apply."""
    region, name = ctx.target_region(record), ctx.target_name(record)
    client = ctx.client("lambda", region)
    live = []
    if maybe(client, "get_function_configuration", FunctionName=name) is not None:  # else: still to create
        live = [
            v
            for v in pages(client, "list_versions_by_function", "Versions", FunctionName=name)
            if v["Version"] != "$LATEST"
        ]
    source = ctx.source(record)
    mapping = ctx.mapper.versions.setdefault(source, {})
    todo: list[dict[str, Any]] = []
    used: set[str] = set()
    for want in sorted(data, key=lambda v: int(v["version"])):
        config = function.desired_config(ctx, record, want["config"])
        match = next((v["Version"] for v in live if v["Version"] not in used and _matches(v, want, config)), None)
        if match is not None and not todo:
            mapping[want["version"]] = match
            used.add(match)
        else:
            todo.append(want)
    ctx.mapper.pending[source] = {v["version"] for v in todo}
    changes = [
        Change(NAME, f"{name}:{old} ({region})", "unchanged", f"is version {new}") for old, new in mapping.items()
    ]
    for i, want in enumerate(todo):
        last = i == len(todo) - 1
        changes.append(
            Change(
                NAME,
                f"{name}:{want['version']} ({region})",
                "create",
                "republish",
                apply=partial(_publish, ctx, client, name, record, want, last),
            )
        )
    return changes


def _publish(
    ctx: RestoreContext, client: Any, name: str, record: dict[str, Any], want: dict[str, Any], last: bool
) -> str:
    try:
        live = call(client, "get_function_configuration", FunctionName=name)
        function.set_code(ctx, client, name, want, live)
        function.set_config(client, name, function.desired_config(ctx, record, want["config"]), live)
        published = call(client, "publish_version", FunctionName=name, Description=want["description"])
    except Exception:
        _reset_latest(ctx, client, name, record)  # the later versions will not be published now
        raise
    ctx.mapper.versions.setdefault(ctx.source(record), {})[want["version"]] = str(published["Version"])
    if last:
        _reset_latest(ctx, client, name, record)
    return f"published as version {published['Version']}"


def _reset_latest(ctx: RestoreContext, client: Any, name: str, record: dict[str, Any]) -> None:
    """Publishing walked $LATEST through old versions; put it back to the snapshot's $LATEST."""
    fn_data = record["items"].get(function.NAME)
    if fn_data is None:
        return
    live = call(client, "get_function_configuration", FunctionName=name)
    function.set_code(ctx, client, name, fn_data, live)
    function.set_config(client, name, function.desired_config(ctx, record, fn_data["config"]), live)


def to_iac(record: dict[str, Any], data: list[dict[str, Any]]) -> iac.Fragment:
    """CloudFormation publishes a version from the function as the template defines it, so only
    versions whose code and configuration are the function's own can be declared (in order, each
    after the previous); the others are noted. CodeSha256 makes a deploy refuse a mismatch."""
    frag = iac.Fragment()
    exported = iac.exported_versions(record)
    previous: list[str] = []
    for v in sorted(data, key=lambda v: int(v["version"])):
        number = str(v["version"])
        if number not in exported:
            frag.notes.append(f"{iac.function_name(record)}: version {number} differs from the function's current "
                              "code or configuration; CloudFormation publishes versions from the function, so it "
                              "is not in the template")
            continue
        vid = iac.version_id(record, number)
        frag.add(vid, "AWS::Lambda::Version", {
            "FunctionName": {"Ref": iac.function_id(record)},
            "Description": v["description"],
            "CodeSha256": v["code_sha256"],
        }, depends_on=previous)
        frag.arns[f"{record['arn']}:{number}"] = f"${{{vid}}}"
        previous = [vid]
    return frag
