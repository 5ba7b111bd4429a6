"""Code signing: the config a function's deployments are checked against (allowed signing profiles,
and what to do with unsigned or badly signed code), from GetFunctionCodeSigningConfig.

The config is a resource of its own that many functions share: backup reads each one once per run
(GetCodeSigningConfig and its tags). Which config a function uses comes from one
GetFunctionCodeSigningConfig per function, or, when many functions of a region are read in full,
from the region's configs and their functions (ListCodeSigningConfigs, then
ListFunctionsByCodeSigningConfig per config: usually one call for the region instead of one per
function, on Lambda's shared quota). Restore reuses a config in the target with the same allowed
publishers and policy, or creates one, then points the function at it. Restore only adds or
re-points: a function whose snapshot has no config keeps whatever config it has in the target
(removing one would weaken a control someone put there; that is a decision for a person).
"""

from __future__ import annotations

import threading
from typing import Any

from ..aws import call
from ..errors import AwsError
from . import iac
from .base import Action, Change, RegionContext, RestoreContext
from .common import maybe, memo, optional, pages, unavailable

NAME = "code_signing"
SERVICE = "lambda"
PERMISSIONS = (
    "lambda:GetFunctionCodeSigningConfig",
    "lambda:ListFunctionsByCodeSigningConfig",
    "lambda:GetCodeSigningConfig",
    "lambda:ListTags",
    "lambda:ListCodeSigningConfigs",
    "lambda:CreateCodeSigningConfig",
    "lambda:TagResource",
    "lambda:PutFunctionCodeSigningConfig",
)
SCOPE = "function"
ORDER_REASON = "after versions: enforcing signatures first would refuse republishing an older unsigned version"
# Functions share configs (found or created once): one function at a time.
PARALLEL = False
# What of the Lambda API this kind records (see function.RECORDED).
RECORDED: dict[str, tuple[str, ...]] = {"CreateFunction": ("CodeSigningConfigArn",)}

_DEFAULT_POLICIES = {"UntrustedArtifactOnDeployment": "Warn"}
_lock = threading.Lock()  # find-or-create of a shared config, whatever runs plans and applies


def discover(ctx: RegionContext) -> None:
    return None


# Functions read in full in a region from which on the region's listing is cheaper than a call each
# (an estate usually has a handful of configs: the listing is one call plus one per config).
BULK_FROM = 3


def capture(ctx: RegionContext, index: Any, fn: dict[str, Any]) -> dict[str, Any] | None:
    users = _users(ctx) if ctx.cache.get("planned", {}).get(ctx.region, 0) >= BULK_FROM else None
    if users is not None:
        arn = users.get(fn["FunctionName"])
    else:
        got = optional(ctx, "get_function_code_signing_config", FunctionName=fn["FunctionName"])
        arn = (got or {}).get("CodeSigningConfigArn")
    if not arn:
        return None
    config = memo(ctx.cache, (NAME, ctx.region, arn), lambda: _read_config(ctx, arn))
    if config is None:
        ctx.warnings.append(f"code signing config {arn} of {fn['FunctionName']} was deleted during backup")
    return config


def _users(ctx: RegionContext) -> dict[str, str] | None:
    """Function name -> config ARN for the region, listed once per run; None where the listing is
    not available (then each function is asked on its own)."""

    def listing() -> dict[str, str] | None:
        client = ctx.client("lambda")
        try:
            found = list(pages(client, "list_code_signing_configs", "CodeSigningConfigs"))
            return {
                arn.split(":function:")[-1].split(":")[0]: conf["CodeSigningConfigArn"]
                for conf in found
                for arn in pages(client, "list_functions_by_code_signing_config", "FunctionArns",
                                 CodeSigningConfigArn=conf["CodeSigningConfigArn"])
            }
        except AwsError as exc:
            if unavailable(exc):
                return None
            raise

    return memo(ctx.cache, (NAME, "users", ctx.region), listing)


def _read_config(ctx: RegionContext, arn: str) -> dict[str, Any] | None:
    client = ctx.client("lambda")
    got = maybe(client, "get_code_signing_config", CodeSigningConfigArn=arn)
    if got is None:
        return None
    conf = got["CodeSigningConfig"]
    tags = (maybe(client, "list_tags", Resource=arn) or {}).get("Tags") or {}
    return {
        "arn": arn,
        "description": conf.get("Description", ""),
        "allowed_publishers": sorted(conf["AllowedPublishers"]["SigningProfileVersionArns"]),
        "policies": conf.get("CodeSigningPolicies") or dict(_DEFAULT_POLICIES),
        "tags": dict(tags),
    }


def _identity(publishers: list[str], policies: dict[str, str]) -> tuple[tuple[str, ...], str]:
    """What makes two configs interchangeable: who may sign, and what happens to unsigned code."""
    return tuple(sorted(publishers)), policies.get("UntrustedArtifactOnDeployment", "Warn")


def _live_identity(conf: dict[str, Any]) -> tuple[tuple[str, ...], str]:
    return _identity(conf["AllowedPublishers"]["SigningProfileVersionArns"], conf.get("CodeSigningPolicies") or {})


def desired(ctx: RestoreContext, data: dict[str, Any]) -> dict[str, Any]:
    """The snapshot's config with every ARN (signing profile versions) mapped to the target."""
    return {
        "description": data["description"],
        "allowed_publishers": sorted(ctx.mapper.map_obj(data["allowed_publishers"])),
        "policies": dict(data["policies"]),
        "tags": dict(data["tags"]),
    }


def _configs(ctx: RestoreContext, client: Any, region: str) -> list[dict[str, Any]]:
    """The target region's configs, listed once per restore (and kept current by `_find_or_create`)."""
    known: dict[str, list[dict[str, Any]]] = ctx.shared(NAME)
    with _lock:
        if region not in known:
            known[region] = list(pages(client, "list_code_signing_configs", "CodeSigningConfigs"))
        return list(known[region])


def _find(ctx: RestoreContext, client: Any, region: str, want: dict[str, Any]) -> str | None:
    wanted = _identity(want["allowed_publishers"], want["policies"])
    for conf in _configs(ctx, client, region):
        if _live_identity(conf) == wanted:
            return str(conf["CodeSigningConfigArn"])
    return None


def _find_or_create(ctx: RestoreContext, client: Any, region: str, want: dict[str, Any]) -> str:
    found = _find(ctx, client, region, want)
    if found is not None:
        return found
    with _lock:  # decided again under the lock: another function may have just created it
        for conf in ctx.shared(NAME)[region]:
            if _live_identity(conf) == _identity(want["allowed_publishers"], want["policies"]):
                return str(conf["CodeSigningConfigArn"])
        args: dict[str, Any] = {
            "Description": want["description"],
            "AllowedPublishers": {"SigningProfileVersionArns": want["allowed_publishers"]},
            "CodeSigningPolicies": want["policies"],
        }
        tags = {**want["tags"], **ctx.drill_tags()}
        if tags:
            args["Tags"] = tags
        created = call(client, "create_code_signing_config", **args)["CodeSigningConfig"]
        ctx.shared(NAME)[region].append(created)
        return str(created["CodeSigningConfigArn"])


def plan(ctx: RestoreContext, record: dict[str, Any], data: dict[str, Any]) -> list[Change]:
    region, name = ctx.target_region(record), ctx.target_name(record)
    client = ctx.client("lambda", region)
    target = f"{name} code signing ({region})"
    want = desired(ctx, data)
    wanted = _identity(want["allowed_publishers"], want["policies"])
    try:
        live = maybe(client, "get_function_code_signing_config", FunctionName=name)  # None: function still to create
    except AwsError as exc:
        if not unavailable(exc):
            raise
        return [Change(NAME, target, "skipped", f"not available in {region}: {exc}")]
    live_arn = (live or {}).get("CodeSigningConfigArn")
    if live_arn:
        conf = maybe(client, "get_code_signing_config", CodeSigningConfigArn=live_arn)
        if conf and _live_identity(conf["CodeSigningConfig"]) == wanted:
            return [Change(NAME, target, "unchanged")]
    reuse = _find(ctx, client, region, want)

    def apply() -> str | None:
        arn = _find_or_create(ctx, client, region, want)
        call(client, "put_function_code_signing_config", FunctionName=name, CodeSigningConfigArn=arn)
        return f"uses {arn}"

    action: Action = "update" if live_arn else "create"
    detail = f"use {reuse}" if reuse else "create a code signing config and use it"
    return [Change(NAME, target, action, detail, fields=["CodeSigningConfigArn"], apply=apply)]


def to_iac(record: dict[str, Any], data: dict[str, Any]) -> iac.Fragment:
    frag = iac.Fragment()
    cid = iac.logical("CodeSigning", data["arn"].rsplit(":", 1)[-1])
    frag.add(cid, "AWS::Lambda::CodeSigningConfig", {
        "Description": data["description"],
        "AllowedPublishers": {"SigningProfileVersionArns": data["allowed_publishers"]},
        "CodeSigningPolicies": data["policies"],
        "Tags": iac.tag_list(data["tags"]),
    })
    frag.arns[data["arn"]] = f"${{{cid}.CodeSigningConfigArn}}"
    frag.patches[iac.function_id(record)] = {"CodeSigningConfigArn": {"Fn::GetAtt": [cid, "CodeSigningConfigArn"]}}
    return frag
