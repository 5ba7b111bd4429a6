"""AppSync GraphQL APIs that use a function: Lambda data sources and Lambda authorizers (the API's
default authorization or an additional provider).

Restore finds the target API (the same API in place, an explicit `--map`, else the only API with
the same name in the target region; lambda-ark never creates one: its schema and resolvers are not
in the snapshot), creates or updates each Lambda data source (AppSync invokes it through the data
source's role), and re-points the authorizer with UpdateGraphqlApi, sending every other setting of
the API back as it is (the request replaces the API's configuration). An authorizer is invoked
through the function's resource policy (principal `appsync.amazonaws.com`); an API found under
another id gets the source's statement for its ARN (`regrant`).
"""

from __future__ import annotations

from functools import partial
from typing import Any

from ..aws import call
from .base import Change, RegionContext, RestoreContext
from .common import maybe, offered, pages
from .regrant import plan_regrant
from .shapes import input_of
from .triggers import FunctionIndex, check_permission, is_function_arn

NAME = "appsync"
SERVICE = "appsync"
PERMISSIONS = ("appsync:ListGraphqlApis", "appsync:GetGraphqlApi", "appsync:ListDataSources",
               "appsync:GetDataSource", "appsync:CreateDataSource", "appsync:UpdateDataSource",
               "appsync:UpdateGraphqlApi", "iam:PassRole", "lambda:GetPolicy", "lambda:AddPermission")
SCOPE = "region"
ORDER_REASON = "after the function, its versions/aliases and policy: data sources and authorizers name them"
INVOKERS = ("appsync.amazonaws.com",)
_PRINCIPAL = INVOKERS[0]
_LAMBDA = "AWS_LAMBDA"


def _authorizers(api: dict[str, Any]) -> list[dict[str, Any]]:
    """The API's Lambda authorizers: {"default": bool, "config": lambdaAuthorizerConfig}."""
    out = []
    if api.get("authenticationType") == _LAMBDA and api.get("lambdaAuthorizerConfig"):
        out.append({"default": True, "config": api["lambdaAuthorizerConfig"]})
    for provider in api.get("additionalAuthenticationProviders") or []:
        if provider.get("authenticationType") == _LAMBDA and provider.get("lambdaAuthorizerConfig"):
            out.append({"default": False, "config": provider["lambdaAuthorizerConfig"]})
    return [a for a in out if is_function_arn(a["config"].get("authorizerUri", ""))]


def discover(ctx: RegionContext) -> FunctionIndex:
    """ListGraphqlApis (paged; it carries each API's authorizers), ListDataSources per API."""
    if not offered(ctx, SERVICE):
        return FunctionIndex()
    index = FunctionIndex()
    client = ctx.client("appsync")
    for api in pages(client, "list_graphql_apis", "graphqlApis"):
        base = {"api_id": api["apiId"], "api_name": api["name"], "api_arn": api["arn"]}
        for auth in _authorizers(api):
            index.add(auth["config"]["authorizerUri"], {**base, "authorizer": auth})
        for ds in pages(client, "list_data_sources", "dataSources", apiId=api["apiId"]):
            function = (ds.get("lambdaConfig") or {}).get("lambdaFunctionArn", "")
            if ds.get("type") == _LAMBDA and is_function_arn(function):
                index.add(function, {**base, "data_source": {k: v for k, v in ds.items() if k != "dataSourceArn"}})
    return index


def capture(ctx: RegionContext, index: FunctionIndex, fn: dict[str, Any]) -> list[dict[str, Any]] | None:
    apis: dict[str, dict[str, Any]] = {}
    for item in index.get(fn):
        entry = apis.setdefault(item["api_id"], {k: item[k] for k in ("api_id", "api_name", "api_arn")}
                                | {"authorizers": [], "data_sources": []})
        if "authorizer" in item:
            entry["authorizers"].append(item["authorizer"])
            check_permission(ctx, NAME, item["authorizer"]["config"]["authorizerUri"], _PRINCIPAL, item["api_arn"])
        else:
            entry["data_sources"].append(item["data_source"])
    for entry in apis.values():
        entry["data_sources"].sort(key=lambda d: d["name"])
    return [apis[k] for k in sorted(apis)] or None


def sources(record: dict[str, Any], data: list[dict[str, Any]]) -> list[str]:
    return [e["api_arn"] for e in data if e["authorizers"]]


def plan(ctx: RestoreContext, record: dict[str, Any], data: list[dict[str, Any]]) -> list[Change]:
    region = ctx.target_region(record)
    client = ctx.client("appsync", region)
    changes: list[Change] = []
    for entry in data:
        label = f"GraphQL API {entry['api_name']} ({region})"
        api = _target_api(ctx, client, entry)
        if isinstance(api, str):
            changes.append(Change(NAME, label, "failed", api))
            continue
        for ds in entry["data_sources"]:
            changes.append(_plan_data_source(ctx, client, api["apiId"], label, ds))
        if entry["authorizers"]:
            for auth in entry["authorizers"]:
                grant = plan_regrant(ctx, NAME, record, auth["config"]["authorizerUri"], _PRINCIPAL, entry["api_arn"],
                                     api["arn"], partial(str, api["arn"]))
                if grant is not None:
                    changes.append(grant)
            live = input_of(client, "UpdateGraphqlApi", api, drop=("apiId",))
            want = authorized(ctx, entry, live)
            pending = any(ctx.arn_unknown(a["config"]["authorizerUri"]) for a in entry["authorizers"])
            if want == live and not pending:
                changes.append(Change(NAME, f"{label} authorizer", "unchanged", f"API {api['apiId']}"))
            else:
                changes.append(Change(NAME, f"{label} authorizer", "update", f"API {api['apiId']}",
                                      fields=sorted(k for k in want if want[k] != live.get(k)),
                                      apply=partial(_authorize, ctx, client, entry, api["apiId"])))
    return changes


def _target_api(ctx: RestoreContext, client: Any, entry: dict[str, Any]) -> dict[str, Any] | str:
    region = client.meta.region_name
    explicit = ctx.mapper.explicit.get(entry["api_arn"])
    if explicit:
        api_id = explicit.rsplit("/", 1)[-1]
    elif ctx.mapper.arn(entry["api_arn"]) == entry["api_arn"]:
        api_id = entry["api_id"]
    else:
        named = [a for a in pages(client, "list_graphql_apis", "graphqlApis") if a["name"] == entry["api_name"]]
        if len(named) != 1:
            return (f"{'no' if not named else len(named)} GraphQL APIs named {entry['api_name']} in {region} "
                    f"(lambda-ark does not create GraphQL APIs; map one with --map {entry['api_arn']}=<API ARN>)")
        api_id = named[0]["apiId"]
    got = maybe(client, "get_graphql_api", apiId=api_id)
    if got is None:
        return f"GraphQL API {api_id} does not exist in {region} (lambda-ark does not create GraphQL APIs)"
    return dict(got["graphqlApi"])


def _plan_data_source(ctx: RestoreContext, client: Any, api_id: str, label: str, ds: dict[str, Any]) -> Change:
    label = f"{label} data source {ds['name']}"
    want = ctx.mapper.map_obj(ds)
    got = maybe(client, "get_data_source", apiId=api_id, name=ds["name"])
    if got is None:
        return Change(NAME, label, "create", want["lambdaConfig"]["lambdaFunctionArn"],
                      apply=partial(_put_data_source, ctx, client, api_id, ds, "create_data_source"))
    have = {k: v for k, v in got["dataSource"].items() if k != "dataSourceArn"}
    differ = sorted(k for k in set(want) | set(have) if want.get(k) != have.get(k))
    if not differ and not ctx.arn_unknown(ds["lambdaConfig"]["lambdaFunctionArn"]):
        return Change(NAME, label, "unchanged")
    return Change(NAME, label, "update", ", ".join(differ), fields=differ,
                  apply=partial(_put_data_source, ctx, client, api_id, ds, "update_data_source"))


def _put_data_source(ctx: RestoreContext, client: Any, api_id: str, ds: dict[str, Any], operation: str) -> None:
    want = ctx.mapper.map_obj(ds)  # now: a republished version has its number
    call(client, operation, apiId=api_id, **want)


def authorized(ctx: RestoreContext, entry: dict[str, Any], live: dict[str, Any]) -> dict[str, Any]:
    """UpdateGraphqlApi's arguments: the live API with this function's authorizers put in (mapped)."""
    out = dict(live)
    for auth in entry["authorizers"]:
        config = ctx.mapper.map_obj(auth["config"])
        if auth["default"]:
            out.update(authenticationType=_LAMBDA, lambdaAuthorizerConfig=config)
            continue
        providers = [dict(p) for p in out.get("additionalAuthenticationProviders") or []]
        at = next((i for i, p in enumerate(providers) if p.get("authenticationType") == _LAMBDA), None)
        if at is None:
            providers.append({"authenticationType": _LAMBDA, "lambdaAuthorizerConfig": config})
        else:
            providers[at]["lambdaAuthorizerConfig"] = config
        out["additionalAuthenticationProviders"] = providers
    return out


def _authorize(ctx: RestoreContext, client: Any, entry: dict[str, Any], api_id: str) -> None:
    api = call(client, "get_graphql_api", apiId=api_id)["graphqlApi"]  # now: nobody's change is lost
    live = input_of(client, "UpdateGraphqlApi", api, drop=("apiId",))
    call(client, "update_graphql_api", apiId=api_id, **authorized(ctx, entry, live))


def to_iac(record: dict[str, Any], data: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for entry in data:
        for ds in entry["data_sources"]:
            props = {"ApiId": entry["api_id"], "Name": ds["name"], "Type": ds["type"],
                     "ServiceRoleArn": ds.get("serviceRoleArn"), "Description": ds.get("description"),
                     "LambdaConfig": {"LambdaFunctionArn": ds["lambdaConfig"]["lambdaFunctionArn"]}}
            out.append({"Type": "AWS::AppSync::DataSource", "Properties": {k: v for k, v in props.items() if v}})
        for auth in entry["authorizers"]:
            config = {"AuthorizerUri": auth["config"]["authorizerUri"],
                      "AuthorizerResultTtlInSeconds": auth["config"].get("authorizerResultTtlInSeconds"),
                      "IdentityValidationExpression": auth["config"].get("identityValidationExpression")}
            out.append({"Type": "AWS::AppSync::GraphQLApi",
                        "Metadata": {"lambda-ark": {"api_id": entry["api_id"], "partial": "Lambda authorizer only",
                                                    "default": auth["default"]}},
                        "Properties": {"Name": entry["api_name"], "AuthenticationType": _LAMBDA,
                                       "LambdaAuthorizerConfig": {k: v for k, v in config.items() if v}}})
    return out
