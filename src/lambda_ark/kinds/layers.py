"""Layer versions a function uses: content stored once per layer version, republished before functions.

A republished layer gets a new version number in the target; the mapping goes into the ARN mapper's
explicit table, so the function's `Layers` follow it.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from ..aws import call, error_code
from ..errors import AwsError
from . import iac
from .base import Change, RegionContext, RestoreContext
from .common import NOT_FOUND, fetch_verified, memo, pages

NAME = "layers"
SERVICE = "lambda"
PERMISSIONS = ("lambda:GetLayerVersion", "lambda:ListLayerVersions", "lambda:PublishLayerVersion")
SCOPE = "function"
ORDER_REASON = "before functions, whose configuration names layer version ARNs"

def discover(ctx: RegionContext) -> None:
    return None


def capture(ctx: RegionContext, index: Any, fn: dict[str, Any]) -> list[dict[str, Any]] | None:
    arns = [layer["Arn"] for layer in fn.get("Layers") or []]
    # A layer version never changes once published: one the previous snapshot holds (with its content
    # still in the repository) is taken from there; any other is read once per run, however many
    # functions use it.
    known: dict[str, dict[str, Any]] = ctx.cache.get("known_layers", {})
    return [known.get(arn) or memo(ctx.cache, ("layer", arn), partial(_capture_one, ctx, arn)) for arn in arns] or None


def _capture_one(ctx: RegionContext, arn: str) -> dict[str, Any]:
    region = arn.split(":")[3]
    client = ctx.client("lambda", region)
    try:
        got = _get_layer_version(client, arn)
    except AwsError as exc:
        if error_code(exc) in ("AccessDeniedException", *NOT_FOUND["lambda"]):
            # Another account's (or AWS's) layer: restore can only reference it.
            ctx.warnings.append(f"layer {arn} is not readable ({error_code(exc)}); recorded by reference")
            return {"arn": arn, "external": True}
        raise
    sha = got["Content"]["CodeSha256"]
    from .function import store_code

    first = [got["Content"]["Location"]]

    def location() -> str:
        return first.pop() if first else str(_get_layer_version(client, arn)["Content"]["Location"])

    return {
        "arn": arn,
        "name": arn.split(":")[6],
        "version": int(got["Version"]),
        "description": got.get("Description", ""),
        "compatible_runtimes": got.get("CompatibleRuntimes", []),
        "compatible_architectures": got.get("CompatibleArchitectures", []),
        "license_info": got.get("LicenseInfo"),
        "code_sha256": sha,
        "file": store_code(ctx, sha, lambda: fetch_verified(location, sha, f"layer {arn}")),
    }


def _get_layer_version(client: Any, arn: str) -> Any:
    # GetLayerVersion takes the layer's ARN plus a number; equivalent to GetLayerVersionByArn.
    layer_arn, _, number = arn.rpartition(":")
    return call(client, "get_layer_version", LayerName=layer_arn, VersionNumber=int(number))


def plan(ctx: RestoreContext, record: dict[str, Any], data: list[dict[str, Any]]) -> list[Change]:
    planned = ctx.shared(NAME)  # layer ARN -> the function whose plan republishes it
    changes = []
    for layer in data:
        if layer.get("external"):
            changes.append(Change(NAME, layer["arn"], "skipped", "owned by another account; referenced as is"))
        elif layer["arn"] in planned:  # once per layer version per restore, however many functions use it
            label = f"{layer['name']} ({ctx.mapper.region(layer['arn'].split(':')[3])})"
            changes.append(Change(NAME, label, "unchanged", planned[layer["arn"]]))
        else:
            change = _plan_one(ctx, layer)
            planned[layer["arn"]] = f"{change.action} with {record['name']}"
            changes.append(change)
    return changes


def _plan_one(ctx: RestoreContext, layer: dict[str, Any]) -> Change:
    region = ctx.mapper.region(layer["arn"].split(":")[3])
    client = ctx.client("lambda", region)
    name = ctx.drill_layer_name(layer["name"]) if ctx.isolated else layer["name"]
    label = f"{name} ({region})"
    for v in pages(client, "list_layer_versions", "LayerVersions", LayerName=name):
        got = _get_layer_version(client, v["LayerVersionArn"])
        if got["Content"]["CodeSha256"] == layer["code_sha256"] and got.get("Description", "") == layer["description"]:
            ctx.mapper.explicit[layer["arn"]] = v["LayerVersionArn"]
            return Change(NAME, label, "unchanged", f"is {v['LayerVersionArn']}")

    def publish() -> str:
        args: dict[str, Any] = {
            "LayerName": name,
            "Description": layer["description"],
            "Content": {"ZipFile": ctx.read_file(layer["file"])},
        }
        if layer["compatible_runtimes"]:
            args["CompatibleRuntimes"] = layer["compatible_runtimes"]
        if layer["compatible_architectures"]:
            args["CompatibleArchitectures"] = layer["compatible_architectures"]
        if layer.get("license_info"):
            args["LicenseInfo"] = layer["license_info"]
        published = call(client, "publish_layer_version", **args)
        ctx.mapper.explicit[layer["arn"]] = published["LayerVersionArn"]
        return f"as {published['LayerVersionArn']}"

    return Change(NAME, label, "create", f"republish version {layer['version']}", apply=publish)


def to_iac(record: dict[str, Any], data: list[dict[str, Any]]) -> iac.Fragment:
    frag = iac.Fragment()
    for layer in data:
        if layer.get("external"):  # another account's layer is referenced, not declared
            frag.notes.append(f"{iac.function_name(record)}: layer {layer['arn']} belongs to another account; "
                              "the template references it as it is")
            continue
        lid = iac.logical("Layer", layer["name"], str(layer["version"]))
        frag.add(lid, "AWS::Lambda::LayerVersion", {
            "LayerName": layer["name"],
            "Description": layer["description"],
            "Content": iac.asset(layer["file"]),
            "CompatibleRuntimes": layer["compatible_runtimes"],
            "CompatibleArchitectures": layer["compatible_architectures"],
            "LicenseInfo": layer.get("license_info"),
        })
        frag.arns[layer["arn"]] = f"${{{lid}}}"
    return frag
