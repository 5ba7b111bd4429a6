"""Reserved concurrency of the function and provisioned concurrency of its versions and aliases."""

from __future__ import annotations

from functools import partial
from typing import Any

from ..aws import call, error_code
from ..errors import AwsError
from . import iac
from .base import Change, RegionContext, RestoreContext
from .common import NOT_FOUND, maybe, memo, pages, versions_of

NAME = "concurrency"
SERVICE = "lambda"
PERMISSIONS = (
    "lambda:GetFunctionConcurrency",
    "lambda:ListVersionsByFunction",  # its versions (common.versions_of), when the backup has not listed them
    "lambda:PutFunctionConcurrency",
    "lambda:DeleteFunctionConcurrency",
    "lambda:ListProvisionedConcurrencyConfigs",
    "lambda:GetProvisionedConcurrencyConfig",
    "lambda:PutProvisionedConcurrencyConfig",
)
SCOPE = "function"
ORDER_REASON = "after versions and aliases, which provisioned concurrency is set on"
# Each function's restore at this step touches only that function: safe to run them in parallel.
PARALLEL = True


def discover(ctx: RegionContext) -> None:
    return None


def capture(ctx: RegionContext, index: Any, fn: dict[str, Any]) -> dict[str, Any] | None:
    client = ctx.client("lambda")
    name = fn["FunctionName"]
    # GetFunction (function kind) already answered this; ask again only if it did not run.
    got = memo(
        ctx.cache,
        ("concurrency", ctx.region, name),
        lambda: maybe(client, "get_function_concurrency", FunctionName=name) or {},
    )
    reserved = got.get("ReservedConcurrentExecutions")
    provisioned: dict[str, int] = {}
    if not versions_of(ctx.cache, client, name):
        # provisioned concurrency lives on a version or an alias (which points at a version)
        return {"reserved": reserved, "provisioned": {}} if reserved is not None else None
    try:
        for p in pages(
            client,
            "list_provisioned_concurrency_configs",
            "ProvisionedConcurrencyConfigs",
            FunctionName=fn["FunctionName"],
        ):
            provisioned[p["FunctionArn"].split(":")[7]] = int(p["RequestedProvisionedConcurrentExecutions"])
    except AwsError as exc:
        if error_code(exc) not in NOT_FOUND["lambda"]:  # the function was deleted since it was listed
            raise
    if reserved is None and not provisioned:
        return None
    return {"reserved": reserved, "provisioned": provisioned}


def plan(ctx: RestoreContext, record: dict[str, Any], data: dict[str, Any]) -> list[Change]:
    region, name = ctx.target_region(record), ctx.target_name(record)
    client = ctx.client("lambda", region)
    changes = []
    if data.get("reserved") is not None:
        count = data["reserved"]
        live = (maybe(client, "get_function_concurrency", FunctionName=name) or {}).get("ReservedConcurrentExecutions")
        target = f"{name} reserved ({region})"
        if live == count:
            changes.append(Change(NAME, target, "unchanged"))
        else:
            changes.append(
                Change(
                    NAME,
                    target,
                    "create" if live is None else "update",
                    str(count),
                    fields=["ReservedConcurrentExecutions"],
                    apply=partial(_put_reserved, client, name, count),
                )
            )
    for qualifier, count in data.get("provisioned", {}).items():
        q = ctx.version(record, qualifier)
        target = f"{name}:{q} provisioned ({region})"
        live = None
        if not ctx.version_unknown(record, qualifier):
            # AWS answers a qualifier without any with ProvisionedConcurrencyConfigNotFoundException
            live = maybe(client, "get_provisioned_concurrency_config", FunctionName=name, Qualifier=q)
        have = live.get("RequestedProvisionedConcurrentExecutions") if live else None
        if have == count:
            changes.append(Change(NAME, target, "unchanged"))
            continue
        changes.append(
            Change(
                NAME,
                target,
                "create" if have is None else "update",
                str(count),
                fields=["ProvisionedConcurrentExecutions"],
                apply=partial(_put_provisioned, ctx, client, name, record, qualifier, count),
            )
        )
    return changes


def _put_reserved(client: Any, name: str, count: int) -> None:
    call(client, "put_function_concurrency", FunctionName=name, ReservedConcurrentExecutions=count)


def _put_provisioned(
    ctx: RestoreContext, client: Any, name: str, record: dict[str, Any], qualifier: str, count: int
) -> str:
    q = ctx.version(record, qualifier)
    call(client, "put_provisioned_concurrency_config", FunctionName=name, Qualifier=q,
         ProvisionedConcurrentExecutions=count)
    return f"{count} on {q}"


def to_iac(record: dict[str, Any], data: dict[str, Any]) -> iac.Fragment:
    """No resource of its own: ReservedConcurrentExecutions is a property of the function, and
    ProvisionedConcurrencyConfig one of AWS::Lambda::Alias / Version."""
    frag = iac.Fragment()
    if data.get("reserved") is not None:
        frag.patches[iac.function_id(record)] = {"ReservedConcurrentExecutions": data["reserved"]}
    for qualifier, count in data.get("provisioned", {}).items():
        if qualifier not in iac.exported_versions(record) | iac.exported_aliases(record):
            frag.notes.append(f"{iac.function_name(record)}: provisioned concurrency of {qualifier} is not "
                              "exported (the version or alias is not)")
            continue
        owner = iac.version_id(record, qualifier) if qualifier.isdigit() else iac.alias_id(record, qualifier)
        frag.patches[owner] = {"ProvisionedConcurrencyConfig": {"ProvisionedConcurrentExecutions": count}}
    return frag
