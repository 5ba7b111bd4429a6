"""API Gateway HTTP (and WebSocket) APIs: Lambda integrations, the routes that use them, stages.

Recorded per function: the API's settings and stages, each integration that invokes the function
and the routes that target it. Restore finds or creates the API exactly as for REST APIs
(`apigateway_target.find_or_create_api`), reuses an integration with the same (mapped) URI or creates one,
points the routes at it, creates missing stages (deploying the ones without auto-deploy), and grants
the target API permission to invoke.
"""

from __future__ import annotations

from typing import Any

from ..aws import call
from ..errors import AwsError
from .apigateway import function_of_uri
from .apigateway_target import HTTP, clean, find_or_create_api, grant
from .base import Action, Change, RegionContext, RestoreContext
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
            source = f"arn:aws:execute-api:{ctx.region}:{ctx.account}:{entry['id']}/{stage}/{verb}{path}"
            check_permission(ctx, NAME, integration["function_arn"], "apigateway.amazonaws.com", source)
        apis.setdefault(entry["id"], {**entry, "integrations": []})["integrations"].append(integration)
    return [apis[k] for k in sorted(apis)] or None


def restore(ctx: RestoreContext, record: dict[str, Any], data: list[dict[str, Any]]) -> list[Change]:
    region = ctx.target_region(record)
    client = ctx.client("apigatewayv2", region)
    changes: list[Change] = []
    for entry in data:
        label = f"HTTP API {entry['api']['Name']} ({region})"
        api_id, change = find_or_create_api(ctx, client, record, entry, HTTP, label)
        changes.extend([change] if change else [])
        routes: list[Change] = []
        for integration in entry["integrations"]:
            routes.extend(_put_integration(ctx, client, api_id, label, integration))
        changes.extend(routes)
        changed = any(c.action != "unchanged" for c in routes)
        changes.extend(_stages(ctx, client, api_id, label, entry["stages"], changed))
        for integration in entry["integrations"]:
            for route in integration["routes"]:
                verb, path = route_parts(route["RouteKey"])
                changes.append(grant(ctx, NAME, api_id, region, integration["function_arn"], verb, path))
    return changes


def _put_integration(ctx: RestoreContext, client: Any, api_id: str, label: str, data: dict[str, Any]) -> list[Change]:
    want = dict(data["integration"], IntegrationUri=ctx.mapper.map_text(data["integration"]["IntegrationUri"]))
    if not api_id:  # a dry run's new API: everything would be created
        return [Change(NAME, f"{label} {r['RouteKey']}", "create", want["IntegrationUri"]) for r in data["routes"]]
    live = [
        i
        for i in pages(client, "get_integrations", "Items", ApiId=api_id)
        if i.get("IntegrationUri") == want["IntegrationUri"]
    ]
    integration_id = live[0]["IntegrationId"] if live else ""
    integration_action: Action = "unchanged"
    if not live or clean(live[0], _INTEGRATION_FIELDS) != want:
        integration_action = "update" if live else "create"
        if not ctx.dry_run and live:
            call(client, "update_integration", ApiId=api_id, IntegrationId=integration_id, **want)
        elif not ctx.dry_run:
            integration_id = call(client, "create_integration", ApiId=api_id, **want)["IntegrationId"]
    routes = {r["RouteKey"]: r for r in pages(client, "get_routes", "Items", ApiId=api_id)}
    out = []
    for route in data["routes"]:
        target = f"integrations/{integration_id}"
        have = routes.get(route["RouteKey"])
        same = have is not None and have.get("Target") == target and clean(have, _ROUTE_FIELDS) == route
        action: Action = "unchanged" if same and integration_action == "unchanged" else "update" if have else "create"
        if not same and not ctx.dry_run:
            if have is None:
                call(client, "create_route", ApiId=api_id, Target=target, **route)
            else:
                call(client, "update_route", ApiId=api_id, RouteId=have["RouteId"], Target=target, **route)
        out.append(Change(NAME, f"{label} {route['RouteKey']}", action, want["IntegrationUri"]))
    return out


def _stages(
    ctx: RestoreContext, client: Any, api_id: str, label: str, stages: list[dict[str, Any]], changed: bool
) -> list[Change]:
    live = {s["StageName"] for s in pages(client, "get_stages", "Items", ApiId=api_id)} if api_id else set()
    out = []
    for stage in stages:
        name = stage["StageName"]
        # auto-deploy stages pick changes up by themselves; others need a deployment to serve them
        redeploy = changed and not stage.get("AutoDeploy")
        action: Action = "create" if name not in live else "update" if redeploy else "unchanged"
        try:
            if action == "create" and not ctx.dry_run:
                call(client, "create_stage", ApiId=api_id, **stage)
            if action != "unchanged" and not ctx.dry_run and not stage.get("AutoDeploy"):
                call(client, "create_deployment", ApiId=api_id, StageName=name)
        except AwsError as exc:  # the routes are in place; only serving them waits for a deployment
            out.append(Change(NAME, f"{label} stage {name}", "failed", str(exc)))
            continue
        out.append(Change(NAME, f"{label} stage {name}", action))
    return out


def to_iac(record: dict[str, Any], data: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for entry in data:
        out.append({"Type": "AWS::ApiGatewayV2::Api", "Properties": entry["api"]})
        for integration in entry["integrations"]:
            out.append({"Type": "AWS::ApiGatewayV2::Integration", "Properties": integration["integration"]})
            out.extend({"Type": "AWS::ApiGatewayV2::Route", "Properties": route} for route in integration["routes"])
        out.extend({"Type": "AWS::ApiGatewayV2::Stage", "Properties": stage} for stage in entry["stages"])
    return out
