"""The function itself: code (zip bytes or image URI), configuration and tags, from one get_function."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from ..aws import call, error_code
from ..errors import AwsError
from . import iac
from .base import Change, RegionContext, RestoreContext
from .common import differing, fetch_verified, maybe, memo, wait_updated

NAME = "function"
SERVICE = "lambda"
PERMISSIONS = (
    "lambda:GetFunction",
    "lambda:GetFunctionConfiguration",
    "lambda:CreateFunction",
    "lambda:UpdateFunctionCode",
    "lambda:UpdateFunctionConfiguration",
    "lambda:TagResource",
    "lambda:UntagResource",
    "iam:PassRole",
)
SCOPE = "function"
ORDER_REASON = "needs its role and layers; everything else attaches to it"
# Each function's restore at this step touches only that function: safe to run them in parallel.
PARALLEL = True

# Fields create_function/update_function_configuration accept, as get_function returns them.
_CONFIG_FIELDS = (
    "Runtime",
    "Role",
    "Handler",
    "Description",
    "Timeout",
    "MemorySize",
    "Environment",
    "VpcConfig",
    "DeadLetterConfig",
    "KMSKeyArn",
    "TracingConfig",
    "Layers",
    "FileSystemConfigs",
    "ImageConfig",
    "EphemeralStorage",
    "LoggingConfig",
    "SnapStart",
    "TenancyConfig",
    "CapacityProviderConfig",
    "DurableConfig",
    "RuntimeConfig",
    "AcceleratorConfig",
)

# Recorded, but AWS takes them only in CreateFunction: UpdateFunctionConfiguration has no such member
# ("Tenant isolation configuration cannot be modified after function creation"). Restore sets them
# when it creates the function and can only report a difference on an existing one (or recreate it).
CREATE_ONLY = ("TenancyConfig",)
# Updatable once set, but enabled only by CreateFunction ("You can only enable durable execution when
# creating a function"): an existing function without it cannot be given it by an update.
ENABLED_ONLY_AT_CREATE = ("DurableConfig",)

# What of the Lambda API this kind records, by operation and request member; the rest is left out
# with the reason. tests/kinds/test_api_surface.py holds every writable member of these operations
# (botocore's model) to one side or the other, across all kinds.
RECORDED: dict[str, tuple[str, ...]] = {
    "CreateFunction": ("FunctionName", "Code", "PackageType", "Architectures", "Tags", *_CONFIG_FIELDS),
    "UpdateFunctionConfiguration": ("FunctionName", *(f for f in _CONFIG_FIELDS if f not in CREATE_ONLY)),
}
NOT_RECORDED: dict[str, dict[str, str]] = {
    "CreateFunction": {
        "Publish": "an action: the versions kind republishes each recorded version, in order",
        "PublishTo": "an action (where this call publishes), not a setting the function keeps",
    },
    "UpdateFunctionConfiguration": {
        "RevisionId": "a precondition on the live revision, not state",
    },
}


def normalize_config(conf: dict[str, Any]) -> dict[str, Any]:
    """The restorable part of a function configuration, in create_function's shape."""
    out: dict[str, Any] = {}
    for key in _CONFIG_FIELDS:
        value = conf.get("ImageConfigResponse", {}).get("ImageConfig") if key == "ImageConfig" else conf.get(key)
        if value in (None, "", [], {}):
            continue
        if key == "Environment":
            value = {"Variables": value.get("Variables") or {}}
        elif key == "VpcConfig":
            if not value.get("SubnetIds"):
                continue
            value = {
                k: v for k, v in value.items() if k in ("SubnetIds", "SecurityGroupIds", "Ipv6AllowedForDualStack")
            }
        elif key == "Layers":
            value = [layer["Arn"] if isinstance(layer, dict) else layer for layer in value]
        elif key == "SnapStart":
            if value.get("ApplyOn", "None") == "None":
                continue
            value = {"ApplyOn": value["ApplyOn"]}
        elif key == "DeadLetterConfig" and not value.get("TargetArn"):
            continue
        out[key] = value
    return out


def store_code(ctx: RegionContext, sha: str, fetch: Callable[[], bytes]) -> str:
    """Store code once per CodeSha256 across the run and the previous snapshot; return its file key."""
    known: set[str] = ctx.cache.setdefault("known_files", set())
    if sha in known:
        return sha
    key = ctx.put_file(fetch())
    known.add(key)
    return key


def discover(ctx: RegionContext) -> None:
    return None


def capture(ctx: RegionContext, index: Any, fn: dict[str, Any]) -> dict[str, Any]:
    client = ctx.client("lambda")
    name = fn["FunctionName"]
    got = call(client, "get_function", FunctionName=fn["FunctionName"])
    conf = got["Configuration"]
    memo(ctx.cache, ("concurrency", ctx.region, name), lambda: got.get("Concurrency") or {})
    data: dict[str, Any] = {
        "package_type": conf.get("PackageType", "Zip"),
        "code_sha256": conf["CodeSha256"],
        "architectures": conf.get("Architectures", ["x86_64"]),
        "config": normalize_config(conf),
        "tags": got.get("Tags", {}) or {},
    }
    if data["package_type"] == "Image":
        # The image lives in ECR; copying it is out of scope, the URI is what restore needs.
        data["image_uri"] = got["Code"].get("ResolvedImageUri") or got["Code"].get("ImageUri")
        return data
    first: list[str] = [str(got["Code"]["Location"])]

    def location() -> str:
        if first:
            return first.pop()
        return str(call(client, "get_function", FunctionName=fn["FunctionName"])["Code"]["Location"])

    data["file"] = store_code(
        ctx, conf["CodeSha256"], lambda: fetch_verified(location, conf["CodeSha256"], f"{name} in {ctx.region}")
    )
    return data


def code_source(ctx: RestoreContext, data: dict[str, Any]) -> dict[str, Any]:
    """create_function/update_function_code's code argument for a captured function or version."""
    if data.get("image_uri"):
        return {"ImageUri": ctx.mapper.image_uri(data["image_uri"])}
    return {"ZipFile": ctx.read_file(data["file"])}


def desired_config(ctx: RestoreContext, record: dict[str, Any], config: dict[str, Any]) -> dict[str, Any]:
    """The configuration the target should have: every ARN (role, layers, DLQ, KMS) remapped;
    environment values that name ARNs only where the target has the resource (`restore.environment`)."""
    from ..restore.environment import environment

    rest = {k: v for k, v in config.items() if k != "Environment"}
    mapped: dict[str, Any] = ctx.mapper.map_obj(rest)
    if "Environment" in config:
        variables = environment(ctx, f"{ctx.target_name(record)} ({ctx.target_region(record)})",
                                config["Environment"]["Variables"])
        mapped["Environment"] = {"Variables": variables}
    return mapped


def plan(ctx: RestoreContext, record: dict[str, Any], data: dict[str, Any]) -> list[Change]:
    region, name = ctx.target_region(record), ctx.target_name(record)
    client = ctx.client("lambda", region)
    target = f"{name} ({region})"
    want = desired_config(ctx, record, data["config"])
    tags = {**data["tags"], **ctx.drill_tags()}
    live = maybe(client, "get_function", FunctionName=name)
    if live is None:

        def create() -> None:
            _create_when_role_ready(
                client,
                FunctionName=name,
                Code=code_source(ctx, data),
                PackageType=data["package_type"],
                Architectures=data["architectures"],
                Tags=tags,
                Publish=False,
                **desired_config(ctx, record, data["config"]),
            )
            client.get_waiter("function_active_v2").wait(
                FunctionName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 300}
            )

        return [Change(NAME, target, "create", "code and configuration", apply=create)]
    conf = live["Configuration"]
    fields = (["code"] if conf.get("CodeSha256") != data["code_sha256"] else []) + differing(
        want, normalize_config(conf)
    )
    live_tags = live.get("Tags", {}) or {}
    if live_tags != tags:
        fields.append("tags")
    if not fields:
        return [Change(NAME, target, "unchanged")]

    def update() -> None:
        _update(ctx, client, name, record, data, (live_tags, tags), conf["FunctionArn"])

    return [Change(NAME, target, "update", ", ".join(fields), fields=fields, apply=update)]


def set_code(ctx: RestoreContext, client: Any, name: str, data: dict[str, Any], live: dict[str, Any]) -> None:
    """$LATEST's code as `data` (a function's or a version's record) has it, unless it already is."""
    if live.get("CodeSha256") != data["code_sha256"]:
        call(client, "update_function_code", FunctionName=name, **code_source(ctx, data))
        wait_updated(client, name)


def update_args(config: dict[str, Any]) -> dict[str, Any]:
    """A configuration as update_function_configuration takes it (no CREATE_ONLY members)."""
    return {k: v for k, v in config.items() if k not in CREATE_ONLY}


def set_config(client: Any, name: str, want: dict[str, Any], live: dict[str, Any]) -> None:
    """$LATEST's configuration as `want`, unless it already is; a field `want` lacks is reset, not
    left behind (publishing a version must not inherit a newer version's settings)."""
    fields = differing(want, normalize_config(live))
    if not fields:
        return
    update = dict(want)
    for key in fields:
        if key not in want:
            update[key] = _EMPTY.get(key)
    call(client, "update_function_configuration", FunctionName=name,
         **{k: v for k, v in update_args(update).items() if v is not None})
    wait_updated(client, name)


# IAM is eventually consistent: a role created moments ago (by the role kind) can be refused.
_ROLE_WAIT = (1.0, 2.0, 4.0, 8.0, 10.0)


def _create_when_role_ready(client: Any, **kwargs: Any) -> None:
    for delay in (*_ROLE_WAIT, None):
        try:
            call(client, "create_function", **kwargs)
            return
        except AwsError as exc:
            if delay is None or error_code(exc) != "InvalidParameterValueException" or "role" not in str(exc).lower():
                raise
            time.sleep(delay)


def _update(
    ctx: RestoreContext,
    client: Any,
    name: str,
    record: dict[str, Any],
    data: dict[str, Any],
    tags: tuple[dict[str, str], dict[str, str]],
    arn: str,
) -> None:
    """Bring code, configuration and tags (live, wanted) to the snapshot's (decided again now:
    layers published by this restore have their ARNs only now)."""
    conf = call(client, "get_function_configuration", FunctionName=name)
    set_code(ctx, client, name, data, conf)
    set_config(client, name, desired_config(ctx, record, data["config"]), conf)
    live_tags, want = tags
    if live_tags != want:
        if want:
            call(client, "tag_resource", Resource=arn, Tags=want)
        stale = sorted(set(live_tags) - set(want))
        if stale:
            call(client, "untag_resource", Resource=arn, TagKeys=stale)


# What "no value" looks like for each field in update_function_configuration.
_EMPTY: dict[str, Any] = {
    "Description": "",
    "Environment": {"Variables": {}},
    "Layers": [],
    "VpcConfig": {"SubnetIds": [], "SecurityGroupIds": []},
    "DeadLetterConfig": {"TargetArn": ""},
    "KMSKeyArn": "",
}


# create_function names -> CloudFormation property names, where they differ
_CFN_NAMES = {"KMSKeyArn": "KmsKeyArn"}
# Recorded, but AWS::Lambda::Function has no such property (yet)
_NO_CFN = ("RuntimeConfig", "AcceleratorConfig")


def to_iac(record: dict[str, Any], data: dict[str, Any]) -> iac.Fragment:
    """The function; each environment value is a NoEcho parameter (never a literal in a template)."""
    frag = iac.Fragment()
    name, fid = iac.function_name(record), iac.function_id(record)
    props: dict[str, Any] = {_CFN_NAMES.get(k, k): v for k, v in data["config"].items() if k not in _NO_CFN}
    frag.notes += [f"{name}: {k} is not a CloudFormation property yet; not exported" for k in _NO_CFN
                   if k in data["config"]]
    env = props.get("Environment", {}).get("Variables")
    if env:
        variables = {}
        for key in env:
            param = iac.logical("Env", name, key)
            frag.parameters[param] = {"Type": "String", "NoEcho": True,
                                      "Description": f"environment variable {key} of {name}"}
            variables[key] = {"Ref": param}
        props["Environment"] = {"Variables": variables}
    if data.get("image_uri"):
        code: dict[str, Any] = {"ImageUri": _image_uri(record, data["image_uri"])}
    else:
        code = iac.asset(data["file"])
    props.update(FunctionName=name, Code=code, PackageType=data["package_type"], Architectures=data["architectures"],
                 Tags=iac.tag_list(data["tags"]))
    frag.add(fid, "AWS::Lambda::Function", props)
    frag.arns[str(record["arn"])] = f"${{{fid}.Arn}}"
    return frag


def _image_uri(record: dict[str, Any], uri: str) -> Any:
    """The image in the deploying account's and region's ECR (as restore maps it): a Fn::Sub."""
    own = f"{record['account']}.dkr.ecr.{record['region']}."
    if not uri.startswith(own):
        return uri
    return {"Fn::Sub": "${AWS::AccountId}.dkr.ecr.${AWS::Region}." + uri[len(own):].replace("${", "${!")}
