"""Cognito user pool triggers (`LambdaConfig`): sign-up, confirmation, authentication, challenges,
custom messages, token generation (with its event version), user migration, custom SMS/email
senders (with their KMS key), inbound federation.

Restore updates the target pool's `LambdaConfig` and nothing else. UpdateUserPool resets every
setting the request leaves out to its default (AWS documents this), so the request carries the
pool's current settings, read just before the write, with only this function's triggers changed:
other functions' triggers and every other setting stay as they are. lambda-ark never creates a
user pool (its users, clients and domains are not in the snapshot): the target pool is the same
pool (in place), the pool an explicit `--map` names, or the only pool with the same name in the
target region. A pool found under another id gets the source's invoke permission for its own ARN.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from ..aws import call
from .base import Change, RegionContext, RestoreContext
from .common import maybe, offered, pages
from .regrant import plan_regrant
from .triggers import FunctionIndex, check_permission, is_function_arn

NAME = "cognito"
SERVICE = "cognito-idp"
PERMISSIONS = (
    "cognito-idp:ListUserPools",
    "cognito-idp:DescribeUserPool",
    "cognito-idp:UpdateUserPool",
    "lambda:GetPolicy",
    "lambda:AddPermission",
)
SCOPE = "region"
ORDER_REASON = "after the function, its versions/aliases and policy: a trigger names them and needs permission"
INVOKERS = ("cognito-idp.amazonaws.com",)
_PRINCIPAL = INVOKERS[0]
_SENDERS = ("CustomSMSSender", "CustomEmailSender")  # these need the pool's KMSKeyID


def _target_of(value: Any) -> str:
    """The function ARN a LambdaConfig entry names ("" if none): a plain ARN or {LambdaArn, ...}."""
    arn = value.get("LambdaArn", "") if isinstance(value, dict) else value
    return str(arn) if isinstance(arn, str) and is_function_arn(arn) else ""


def discover(ctx: RegionContext) -> FunctionIndex:
    """ListUserPools (paged, 60 a call) carries each pool's LambdaConfig: no per-pool call."""
    if not offered(ctx, SERVICE):
        return FunctionIndex()
    index = FunctionIndex()
    for pool in pages(ctx.client("cognito-idp"), "list_user_pools", "UserPools", MaxResults=60):
        config = pool.get("LambdaConfig") or {}
        for key, value in config.items():
            if target := _target_of(value):
                index.add(target, (pool, key, value, config.get("KMSKeyID")))
    return index


def pool_arn(region: str, account: str, pool_id: str, partition: str = "aws") -> str:
    return f"arn:{partition}:cognito-idp:{region}:{account}:userpool/{pool_id}"


def capture(ctx: RegionContext, index: FunctionIndex, fn: dict[str, Any]) -> list[dict[str, Any]] | None:
    pools: dict[str, dict[str, Any]] = {}
    for pool, key, value, kms in index.get(fn):
        arn = pool_arn(ctx.region, ctx.account, pool["Id"], fn["FunctionArn"].split(":")[1])
        entry = pools.setdefault(pool["Id"], {"pool_id": pool["Id"], "pool_name": pool["Name"], "pool_arn": arn,
                                              "triggers": {}})
        entry["triggers"][key] = value
        if key in _SENDERS and kms:
            entry["kms_key_id"] = kms
        check_permission(ctx, NAME, _target_of(value), _PRINCIPAL, arn)
    return [pools[k] for k in sorted(pools)] or None


def sources(record: dict[str, Any], data: list[dict[str, Any]]) -> list[str]:
    return [e["pool_arn"] for e in data]


def _mapped(ctx: RestoreContext, value: Any) -> Any:
    if isinstance(value, dict):
        return {**value, "LambdaArn": ctx.mapper.arn(value["LambdaArn"])}
    return ctx.mapper.arn(value)


def wanted(ctx: RestoreContext, entry: dict[str, Any], live: dict[str, Any]) -> dict[str, Any]:
    """The pool's LambdaConfig with this function's triggers (mapped) put in; the rest as it is."""
    config = {**live, **{k: _mapped(ctx, v) for k, v in entry["triggers"].items()}}
    if "kms_key_id" in entry:
        config["KMSKeyID"] = ctx.mapper.arn(entry["kms_key_id"])
    return config


def plan(ctx: RestoreContext, record: dict[str, Any], data: list[dict[str, Any]]) -> list[Change]:
    region = ctx.target_region(record)
    client = ctx.client("cognito-idp", region)
    changes: list[Change] = []
    for entry in data:
        label = f"user pool {entry['pool_name']} ({region})"
        pool = _target_pool(ctx, client, record, entry)
        if isinstance(pool, str):
            changes.append(Change(NAME, label, "failed", pool))
            continue
        new_arn = pool.get("Arn") or pool_arn(region, ctx.mapper.account(record["account"]), pool["Id"])
        for target in sorted({_target_of(v) for v in entry["triggers"].values()}):
            grant = plan_regrant(ctx, NAME, record, target, _PRINCIPAL, entry["pool_arn"], new_arn,
                                 partial(str, new_arn))
            if grant is not None:
                changes.append(grant)
        live = pool.get("LambdaConfig") or {}
        want = wanted(ctx, entry, live)
        differ = sorted(k for k in want if want[k] != live.get(k))
        pending = any(ctx.arn_unknown(_target_of(v)) for v in entry["triggers"].values())
        if not differ and not pending:
            changes.append(Change(NAME, label, "unchanged", f"pool {pool['Id']}"))
            continue
        changes.append(Change(NAME, label, "update", f"pool {pool['Id']}: " + ", ".join(sorted(entry["triggers"])),
                              fields=differ, apply=partial(_update, ctx, client, entry, pool["Id"])))
    return changes


def _target_pool(
    ctx: RestoreContext, client: Any, record: dict[str, Any], entry: dict[str, Any]
) -> dict[str, Any] | str:
    """The target pool (its description), or why there is none."""
    region = client.meta.region_name
    explicit = ctx.mapper.explicit.get(entry["pool_arn"])
    if explicit:
        pool_id = explicit.rsplit("/", 1)[-1]
    elif ctx.mapper.arn(entry["pool_arn"]) == entry["pool_arn"]:
        pool_id = entry["pool_id"]  # in place: the same pool
    else:
        named = [p for p in pages(client, "list_user_pools", "UserPools", MaxResults=60)
                 if p["Name"] == entry["pool_name"]]
        if len(named) != 1:
            why = "no user pool" if not named else f"{len(named)} user pools"
            return (f"{why} named {entry['pool_name']} in {region} (lambda-ark does not create user pools; "
                    f"map one with --map {entry['pool_arn']}=<pool ARN>)")
        pool_id = named[0]["Id"]
    got = maybe(client, "describe_user_pool", UserPoolId=pool_id)
    if got is None:
        return f"user pool {pool_id} does not exist in {region} (lambda-ark does not create user pools)"
    return dict(got["UserPool"])


def update_args(client: Any, pool: dict[str, Any]) -> dict[str, Any]:
    """UpdateUserPool's arguments that keep `pool` as it is: every member the request takes, from the
    pool's description (the client's model says which, so a new setting is carried too)."""
    members = client.meta.service_model.operation_model("UpdateUserPool").input_shape.members
    args = {k: v for k, v in pool.items() if k in members and k != "UserPoolId"}
    if "PoolName" in members and "Name" in pool:
        args["PoolName"] = pool["Name"]
    # AWS rejects the deprecated UnusedAccountValidityDays next to the password policy's own setting
    admin = args.get("AdminCreateUserConfig")
    if isinstance(admin, dict) and "UnusedAccountValidityDays" in admin and (
        args.get("Policies", {}).get("PasswordPolicy", {}).get("TemporaryPasswordValidityDays") is not None
    ):
        args["AdminCreateUserConfig"] = {k: v for k, v in admin.items() if k != "UnusedAccountValidityDays"}
    return {k: v for k, v in args.items() if v is not None}


def _update(ctx: RestoreContext, client: Any, entry: dict[str, Any], pool_id: str) -> None:
    pool = call(client, "describe_user_pool", UserPoolId=pool_id)["UserPool"]  # now: nobody's change is lost
    args = update_args(client, pool)
    args["LambdaConfig"] = wanted(ctx, entry, pool.get("LambdaConfig") or {})
    call(client, "update_user_pool", UserPoolId=pool_id, **args)


def to_iac(record: dict[str, Any], data: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A partial AWS::Cognito::UserPool: its LambdaConfig only (Metadata names the pool)."""
    out = []
    for entry in data:
        config = dict(entry["triggers"])
        if "kms_key_id" in entry:
            config["KMSKeyID"] = entry["kms_key_id"]
        out.append({"Type": "AWS::Cognito::UserPool",
                    "Metadata": {"lambda-ark": {"pool_id": entry["pool_id"], "partial": "LambdaConfig only"}},
                    "Properties": {"UserPoolName": entry["pool_name"], "LambdaConfig": config}})
    return out
