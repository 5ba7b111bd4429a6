"""API Gateway REST APIs whose methods integrate a function (`AWS` / `AWS_PROXY` integrations).

A function's record holds, per API, the API's own settings, its stages, and the methods that
integrate this function (resource path, method settings, integration, responses). Restore finds the
API in the target (see `apigateway_target.find_api`) or creates it, puts these methods with
integration URIs rewritten through the mapper, redeploys the stages, and grants the (possibly new)
API permission to invoke. An API shared by many functions is rebuilt method by method as each
function's record is restored; methods that integrate no function (MOCK, HTTP) are not recorded.
"""

from __future__ import annotations

import re
from typing import Any

from ..aws import call
from . import apigateway_target as target
from .base import Change, RegionContext, RestoreContext
from .common import pages
from .triggers import FunctionIndex, check_permission, is_function_arn

NAME = "apigateway"
SERVICE = "apigateway"
PERMISSIONS = (
    "apigateway:GET",
    "apigateway:POST",
    "apigateway:PUT",
    "apigateway:PATCH",
    "apigateway:DELETE",
    "lambda:GetPolicy",
    "lambda:AddPermission",
)
SCOPE = "region"
ORDER_REASON = "after the function, versions/aliases and policy: integrations name them; adds the new API's permission"

_URI_RE = re.compile(r":lambda:path/\d{4}-\d{2}-\d{2}/functions/(.+)/invocations$")
_API_FIELDS = (
    "name",
    "description",
    "endpointConfiguration",
    "binaryMediaTypes",
    "apiKeySource",
    "minimumCompressionSize",
    "disableExecuteApiEndpoint",
    "tags",
)


def function_of_uri(uri: str) -> str | None:
    """The function ARN an integration URI invokes, or None (not Lambda, or a stage variable in it)."""
    m = _URI_RE.search(uri)
    return m.group(1) if m and is_function_arn(m.group(1)) else None


def discover(ctx: RegionContext) -> FunctionIndex:
    index = FunctionIndex()
    client = ctx.client("apigateway")
    for api in pages(client, "get_rest_apis", "items"):
        found = []
        for res in pages(client, "get_resources", "items", restApiId=api["id"], embed=["methods"]):
            for verb, method in sorted(res.get("resourceMethods", {}).items()):
                if "methodIntegration" not in method:  # not embedded: ask for the method itself
                    method = call(client, "get_method", restApiId=api["id"], resourceId=res["id"], httpMethod=verb)
                integration = method.get("methodIntegration", {})
                fn_arn = function_of_uri(integration.get("uri", ""))
                if integration.get("type") in ("AWS", "AWS_PROXY") and fn_arn:
                    found.append((fn_arn, _method(res["path"], verb, method, integration)))
                elif "${stageVariables." in integration.get("uri", ""):
                    ctx.warnings.append(
                        f"{NAME}: {api['name']} {verb} {res['path']} picks its function by stage "
                        "variable; lambda-ark records only integrations that name a function"
                    )
        if found:
            stages = call(client, "get_stages", restApiId=api["id"]).get("item", [])
            entry = {
                "id": api["id"],
                "api": target.clean(api, _API_FIELDS),
                "stages": sorted(
                    (target.clean(s, ("stageName", "description", "variables")) for s in stages),
                    key=lambda s: s["stageName"],
                ),
            }
            for fn_arn, method in found:
                index.add(fn_arn, (entry, {**method, "function_arn": fn_arn}))
    return index


def _method(path: str, verb: str, method: dict[str, Any], integration: dict[str, Any]) -> dict[str, Any]:
    return {
        "path": path,
        "httpMethod": verb,
        "method": target.clean(method, target.METHOD_FIELDS),
        "integration": target.clean(integration, target.INTEGRATION_FIELDS),
    }


def execute_arn(region: str, account: str, api_id: str, verb: str, path: str, stage: str = "*") -> str:
    return f"arn:aws:execute-api:{region}:{account}:{api_id}/{stage}/{'*' if verb == 'ANY' else verb}{path}"


def capture(ctx: RegionContext, index: FunctionIndex, fn: dict[str, Any]) -> list[dict[str, Any]] | None:
    apis: dict[str, dict[str, Any]] = {}
    for entry, method in index.get(fn):
        stage = entry["stages"][0]["stageName"] if entry["stages"] else "stage"
        source = execute_arn(ctx.region, ctx.account, entry["id"], method["httpMethod"], method["path"], stage)
        check_permission(ctx, NAME, method["function_arn"], "apigateway.amazonaws.com", source)
        apis.setdefault(entry["id"], {**entry, "methods": []})["methods"].append(method)
    return [apis[k] for k in sorted(apis)] or None


def restore(ctx: RestoreContext, record: dict[str, Any], data: list[dict[str, Any]]) -> list[Change]:
    region = ctx.target_region(record)
    client = ctx.client("apigateway", region)
    changes: list[Change] = []
    for entry in data:
        label = f"REST API {entry['api']['name']} ({region})"
        api_id, change = target.find_or_create_api(ctx, client, record, entry, target.REST, label)
        if change is not None:
            changes.append(change)
        methods = [target.put_method(ctx, client, api_id, label, m) for m in entry["methods"]]
        changes.extend(methods)
        changed = any(c.action in ("create", "update") for c in methods)
        changes.extend(target.deploy(ctx, client, api_id, label, entry["stages"], changed))
        for m in entry["methods"]:
            changes.append(target.grant(ctx, NAME, api_id, region, m["function_arn"], m["httpMethod"], m["path"]))
    return changes


def to_iac(record: dict[str, Any], data: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for entry in data:
        api = {k: v for k, v in entry["api"].items() if k != "tags"}
        out.append({"Type": "AWS::ApiGateway::RestApi", "Properties": {"Name": api.pop("name"), **api}})
        for m in entry["methods"]:
            i = m["integration"]
            out.append(
                {
                    "Type": "AWS::ApiGateway::Method",
                    "Metadata": {"Path": m["path"]},
                    "Properties": {
                        "HttpMethod": m["httpMethod"],
                        "AuthorizationType": m["method"].get("authorizationType", "NONE"),
                        "Integration": {
                            "Type": i["type"],
                            "IntegrationHttpMethod": i.get("httpMethod"),
                            "Uri": i["uri"],
                        },
                    },
                }
            )
        out.extend(
            {"Type": "AWS::ApiGateway::Stage", "Properties": {"StageName": s["stageName"]}} for s in entry["stages"]
        )
    return out
