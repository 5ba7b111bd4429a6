"""API Gateway HTTP (and WebSocket) APIs: Lambda integrations, the routes that use them, stages.

Recorded per function: the API's settings and stages, each integration that invokes the function
and the routes that target it. Restore finds or creates the API exactly as for REST APIs
(`apigateway_target.find_or_create_api`), reuses an integration with the same (mapped) URI or creates one,
points the routes at it, creates missing stages (deploying the ones without auto-deploy), and grants
the target API permission to invoke.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from ..aws import call
from . import apigateway_iac, iac
from .apigateway import function_of_uri
from .apigateway_target import HTTP, ApiRef, clean, execute_arn, find_or_create_api, plan_grant
from .base import Change, RegionContext, RestoreContext, once
from .common import pages
from .triggers import FunctionIndex, check_permission, is_function_arn

NAME = "apigatewayv2"
SERVICE = "apigatewayv2"
PERMISSIONS = (
    "apigateway:GET",
    "apigateway:POST",
    "apigateway:PATCH",
    "lambda:GetPolicy",
    "lambda:AddPermission",
)
SCOPE = "region"
ORDER_REASON = "after the function, versions/aliases and policy: integrations name them; adds the new API's permission"
INVOKERS = ("apigateway.amazonaws.com",)  # whom its triggers invoke through the resource policy

_API_FIELDS = (
    "Name",
    "ProtocolType",
    "Description",
    "RouteSelectionExpression",
    "ApiKeySelectionExpression",
    "CorsConfiguration",
    "DisableExecuteApiEndpoint",
    "Tags",
)
_INTEGRATION_FIELDS = (
    "IntegrationType",
    "IntegrationUri",
    "IntegrationMethod",
    "PayloadFormatVersion",
    "TimeoutInMillis",
    "RequestParameters",
    "Description",
    "ConnectionType",
)
_ROUTE_FIELDS = (
    "RouteKey",
    "AuthorizationType",
    "AuthorizerId",
    "ApiKeyRequired",
    "AuthorizationScopes",
    "RequestParameters",
    "OperationName",
)
_STAGE_FIELDS = ("StageName", "AutoDeploy", "StageVariables", "Description")


def _function(integration: dict[str, Any]) -> str | None:
    uri = integration.get("IntegrationUri", "")
    return uri if is_function_arn(uri) else function_of_uri(uri)  # plain ARN (HTTP) or invocation URI


def discover(ctx: RegionContext) -> FunctionIndex:
    index = FunctionIndex()
    client = ctx.client("apigatewayv2")
    for api in pages(client, "get_apis", "Items"):
        found = [
            (fn, i)
            for i in pages(client, "get_integrations", "Items", ApiId=api["ApiId"])
            if i.get("IntegrationType") in ("AWS_PROXY", "AWS") and (fn := _function(i))
        ]
        if not found:
            continue
        routes = list(pages(client, "get_routes", "Items", ApiId=api["ApiId"]))
        stages = sorted(
            (clean(s, _STAGE_FIELDS) for s in pages(client, "get_stages", "Items", ApiId=api["ApiId"])),
            key=lambda s: s["StageName"],
        )
        entry = {"id": api["ApiId"], "api": clean(api, _API_FIELDS), "stages": stages}
        for fn_arn, integration in found:
            target = f"integrations/{integration['IntegrationId']}"
            used = [clean(r, _ROUTE_FIELDS) for r in routes if r.get("Target") == target]
            index.add(
                fn_arn,
                (
                    entry,
                    {
                        "function_arn": fn_arn,
                        "integration": clean(integration, _INTEGRATION_FIELDS),
                        "routes": sorted(used, key=lambda r: r["RouteKey"]),
                    },
                ),
            )
    return index


def route_parts(route_key: str) -> tuple[str, str]:
    """ "GET /orders/{id}" -> ("GET", "/orders/{id}"); "$default" -> ("$default", "")."""
    verb, _, path = route_key.partition(" ")
    return verb, path


def capture(ctx: RegionContext, index: FunctionIndex, fn: dict[str, Any]) -> list[dict[str, Any]] | None:
    apis: dict[str, dict[str, Any]] = {}
    for entry, integration in index.get(fn):
        stage = entry["stages"][0]["StageName"] if entry["stages"] else "$default"
        for route in integration["routes"]:
            verb, path = route_parts(route["RouteKey"])
            source = execute_arn(ctx.region, ctx.account, entry["id"], verb, path, stage)
            check_permission(ctx, NAME, integration["function_arn"], "apigateway.amazonaws.com", source)
        apis.setdefault(entry["id"], {**entry, "integrations": []})["integrations"].append(integration)
    return [apis[k] for k in sorted(apis)] or None


def plan(ctx: RestoreContext, record: dict[str, Any], data: list[dict[str, Any]]) -> list[Change]:
    region = ctx.target_region(record)
    client = ctx.client("apigatewayv2", region)
    changes: list[Change] = []
    for entry in data:
        label = f"HTTP API {entry['api']['Name']} ({region})"
        api, change = find_or_create_api(ctx, client, record, entry, HTTP, label)
        changes.extend([change] if change else [])
        live_integrations = list(pages(client, "get_integrations", "Items", ApiId=api.planned)) if api.planned else []
        live_routes = {r["RouteKey"]: r for r in pages(client, "get_routes", "Items", ApiId=api.planned)} \
            if api.planned else {}
        routes: list[Change] = []
        for integration in entry["integrations"]:
            routes.extend(_plan_integration(ctx, client, api, label, integration, live_integrations, live_routes))
        changes.extend(routes)
        changed = any(c.action != "unchanged" for c in routes)
        changes.extend(_plan_stages(client, api, label, entry["stages"], changed))
        stage = entry["stages"][0]["StageName"] if entry["stages"] else "*"
        for integration in entry["integrations"]:
            for route in integration["routes"]:
                verb, path = route_parts(route["RouteKey"])
                grant = plan_grant(ctx, NAME, record, api, integration["function_arn"], verb, path, stage)
                changes.extend([grant] if grant else [])
    return changes


def _uri(ctx: RestoreContext, data: dict[str, Any]) -> str:
    return ctx.mapper.map_text(data["integration"]["IntegrationUri"])


def _plan_integration(
    ctx: RestoreContext,
    client: Any,
    api: ApiRef,
    label: str,
    data: dict[str, Any],
    live_integrations: list[dict[str, Any]],
    live_routes: dict[str, dict[str, Any]],
) -> list[Change]:
    """One change per route: a route is what a person recognises; its integration goes with it."""
    want = dict(data["integration"], IntegrationUri=_uri(ctx, data))
    pending = ctx.arn_unknown(data["function_arn"])
    live = [] if pending else [i for i in live_integrations if i.get("IntegrationUri") == want["IntegrationUri"]]
    same_integration = bool(live) and clean(live[0], _INTEGRATION_FIELDS) == want
    put = once(partial(_put_integration, ctx, client, api, data))
    out = []
    for route in data["routes"]:
        have = live_routes.get(route["RouteKey"])
        same = (
            same_integration
            and have is not None
            and have.get("Target") == f"integrations/{live[0]['IntegrationId']}"
            and clean(have, _ROUTE_FIELDS) == route
        )
        target = f"{label} {route['RouteKey']}"
        if same:
            out.append(Change(NAME, target, "unchanged"))
            continue
        apply = partial(_put_route, client, api, route, put)
        out.append(Change(NAME, target, "update" if have else "create", want["IntegrationUri"], apply=apply))
    return out


def _put_integration(ctx: RestoreContext, client: Any, api: ApiRef, data: dict[str, Any]) -> str:
    """The integration for the function (reused, updated or created); returns its id."""
    api_id = api.id()
    want = dict(data["integration"], IntegrationUri=_uri(ctx, data))  # now: new version numbers known
    live = [
        i
        for i in pages(client, "get_integrations", "Items", ApiId=api_id)
        if i.get("IntegrationUri") == want["IntegrationUri"]
    ]
    if not live:
        return str(call(client, "create_integration", ApiId=api_id, **want)["IntegrationId"])
    if clean(live[0], _INTEGRATION_FIELDS) != want:
        call(client, "update_integration", ApiId=api_id, IntegrationId=live[0]["IntegrationId"], **want)
    return str(live[0]["IntegrationId"])


def _put_route(client: Any, api: ApiRef, route: dict[str, Any], integration: Any) -> None:
    api_id, target = api.id(), f"integrations/{integration()}"
    have = next((r for r in pages(client, "get_routes", "Items", ApiId=api_id) if r["RouteKey"] == route["RouteKey"]),
                None)
    if have is None:
        call(client, "create_route", ApiId=api_id, Target=target, **route)
    else:
        call(client, "update_route", ApiId=api_id, RouteId=have["RouteId"], Target=target, **route)


def _plan_stages(
    client: Any, api: ApiRef, label: str, stages: list[dict[str, Any]], changed: bool
) -> list[Change]:
    live = {s["StageName"] for s in pages(client, "get_stages", "Items", ApiId=api.planned)} if api.planned else set()
    out = []
    for stage in stages:
        name = stage["StageName"]
        # auto-deploy stages pick changes up by themselves; others need a deployment to serve them
        redeploy = changed and not stage.get("AutoDeploy")
        if name in live and not redeploy:
            out.append(Change(NAME, f"{label} stage {name}", "unchanged"))
            continue
        apply = partial(_put_stage, client, api, stage, create=name not in live)
        out.append(Change(NAME, f"{label} stage {name}", "update" if name in live else "create", apply=apply))
    return out


def _put_stage(client: Any, api: ApiRef, stage: dict[str, Any], *, create: bool) -> None:
    api_id = api.id()
    if create:
        call(client, "create_stage", ApiId=api_id, **stage)
    if not stage.get("AutoDeploy"):
        call(client, "create_deployment", ApiId=api_id, StageName=stage["StageName"])


def sources(record: dict[str, Any], data: list[dict[str, Any]]) -> list[str]:
    """The source ARNs this kind's triggers invoke from (any stage and route of each API)."""
    partition = str(record["arn"]).split(":")[1]
    return [f"arn:{partition}:execute-api:{record['region']}:{record['account']}:{e['id']}/*" for e in data]


def to_iac(record: dict[str, Any], data: list[dict[str, Any]]) -> iac.Fragment:
    return apigateway_iac.http(record, data)
