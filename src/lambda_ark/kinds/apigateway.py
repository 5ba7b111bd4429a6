"""API Gateway REST APIs whose methods integrate a function (`AWS` / `AWS_PROXY` integrations).

A function's record holds, per API, the API's own settings, its stages (`apigateway_stages`), and the
methods that integrate this function (resource path, method settings, integration, responses).
Restore finds the API in the target or creates it (`apigateway_target`), puts these methods with
integration URIs rewritten through the mapper, redeploys the stages, and, where the API got a new id,
restores the source's invoke permission for that id. An API shared by many functions is rebuilt
method by method as each function's record is restored; methods that integrate no function (MOCK,
HTTP) are not recorded.
"""

from __future__ import annotations

import re
from functools import partial
from typing import Any

from ..aws import call
from . import apigateway_iac, iac
from . import apigateway_stages as stages
from . import apigateway_target as target
from .base import Change, RegionContext, RestoreContext
from .common import maybe, pages
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
ORDER_REASON = "after the function, versions/aliases and policy: integrations name them; re-grants a new API id"
INVOKERS = ("apigateway.amazonaws.com",)  # whom its triggers invoke through the resource policy

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
METHOD_FIELDS = (
    "authorizationType",
    "authorizerId",
    "apiKeyRequired",
    "requestParameters",
    "operationName",
    "authorizationScopes",
    "methodResponses",
)
INTEGRATION_FIELDS = (
    "type",
    "httpMethod",
    "uri",
    "requestParameters",
    "requestTemplates",
    "passthroughBehavior",
    "contentHandling",
    "timeoutInMillis",
    "cacheKeyParameters",
    "integrationResponses",
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
            entry = {
                "id": api["id"],
                "api": target.clean(api, _API_FIELDS),
                "stages": stages.capture(client, api["id"]),
            }
            for fn_arn, method in found:
                index.add(fn_arn, (entry, {**method, "function_arn": fn_arn}))
    return index


def _method(path: str, verb: str, method: dict[str, Any], integration: dict[str, Any]) -> dict[str, Any]:
    return {
        "path": path,
        "httpMethod": verb,
        "method": target.clean(method, METHOD_FIELDS),
        "integration": target.clean(integration, INTEGRATION_FIELDS),
    }


def capture(ctx: RegionContext, index: FunctionIndex, fn: dict[str, Any]) -> list[dict[str, Any]] | None:
    apis: dict[str, dict[str, Any]] = {}
    for entry, method in index.get(fn):
        stage = entry["stages"][0]["stageName"] if entry["stages"] else "stage"
        source = target.execute_arn(ctx.region, ctx.account, entry["id"], method["httpMethod"], method["path"], stage)
        check_permission(ctx, NAME, method["function_arn"], "apigateway.amazonaws.com", source)
        apis.setdefault(entry["id"], {**entry, "methods": []})["methods"].append(method)
    return [apis[k] for k in sorted(apis)] or None


def plan(ctx: RestoreContext, record: dict[str, Any], data: list[dict[str, Any]]) -> list[Change]:
    region = ctx.target_region(record)
    client = ctx.client("apigateway", region)
    changes: list[Change] = []
    for entry in data:
        label = f"REST API {entry['api']['name']} ({region})"
        api, change = target.find_or_create_api(ctx, client, record, entry, target.REST, label)
        changes.extend([change] if change else [])
        resources = _resources(client, api.planned) if api.planned else {}
        methods = [_plan_method(ctx, client, api, label, m, resources) for m in entry["methods"]]
        changes.extend(methods)
        changed = any(c.action in ("create", "update") for c in methods)
        changes.extend(stages.plan(ctx, client, api, label, entry["stages"], changed))
        first_stage = entry["stages"][0]["stageName"] if entry["stages"] else "*"
        for m in entry["methods"]:
            grant = target.plan_grant(
                ctx, NAME, record, api, m["function_arn"], m["httpMethod"], m["path"], first_stage
            )
            changes.extend([grant] if grant else [])
    return changes


def _resources(client: Any, api_id: str) -> dict[str, dict[str, Any]]:
    return {r["path"]: r for r in pages(client, "get_resources", "items", restApiId=api_id, embed=["methods"])}


def _ensure_path(client: Any, api_id: str, path: str) -> str:
    resources = _resources(client, api_id)
    current = "/"
    for part in [p for p in path.split("/") if p]:
        child = current.rstrip("/") + "/" + part
        if child not in resources:
            resources[child] = call(
                client, "create_resource", restApiId=api_id, parentId=resources[current]["id"], pathPart=part
            )
        current = child
    return str(resources[current]["id"])


def _plan_method(
    ctx: RestoreContext, client: Any, api: target.ApiRef, label: str, m: dict[str, Any],
    resources: dict[str, dict[str, Any]],
) -> Change:
    verb, path = m["httpMethod"], m["path"]
    label = f"{label} {verb} {path}"
    uri = ctx.mapper.map_text(m["integration"]["uri"])
    authorizer = m["method"].get("authorizerId")
    if authorizer and (
        not api.planned
        or maybe(client, "get_authorizer", restApiId=api.planned, authorizerId=authorizer) is None
    ):
        where = f"API {api.planned}" if api.planned else "the API this restore creates"
        return Change(
            NAME,
            label,
            "failed",
            f"authorizer {authorizer} does not exist in {where}; "
            "lambda-ark does not restore authorizers (the method would be open or broken)",
        )
    live = resources.get(path, {}).get("resourceMethods", {}).get(verb)
    if live is not None and "methodIntegration" not in live:
        live = call(client, "get_method", restApiId=api.planned, resourceId=resources[path]["id"], httpMethod=verb)
    same_method = live is not None and target.clean(live, METHOD_FIELDS) == m["method"]
    integration = dict(m["integration"], uri=uri)
    same_integration = (
        live is not None
        and not ctx.arn_unknown(m["function_arn"])
        and target.clean(live.get("methodIntegration", {}), INTEGRATION_FIELDS) == integration
    )
    if same_method and same_integration:
        return Change(NAME, label, "unchanged")
    fields = [] if live is None else [n for n, same in (("method", same_method), ("integration", same_integration))
                                      if not same]
    return Change(
        NAME,
        label,
        "create" if live is None else "update",
        uri,
        fields=fields,
        apply=partial(_put_method, ctx, client, api, m, replace=live is not None and not same_method,
                      put=not same_method),
    )


def _put_method(
    ctx: RestoreContext, client: Any, api: target.ApiRef, m: dict[str, Any], *, replace: bool, put: bool
) -> None:
    api_id = api.id()
    ids = {"restApiId": api_id, "resourceId": _ensure_path(client, api_id, m["path"]), "httpMethod": m["httpMethod"]}
    method = m["method"]
    if replace:  # put_method refuses an existing method; settings change by replacing it
        call(client, "delete_method", **ids)
    if put:
        call(client, "put_method", **ids, **{k: v for k, v in method.items() if k != "methodResponses"})
        for status, resp in method.get("methodResponses", {}).items():
            extra = target.clean(resp, ("responseParameters", "responseModels"))
            call(client, "put_method_response", **ids, **extra, statusCode=status)
    # now: the function ARN names a republished version by its new number
    integration = dict(m["integration"], uri=ctx.mapper.map_text(m["integration"]["uri"]))
    args = {k: v for k, v in integration.items() if k not in ("httpMethod", "integrationResponses")}
    if "httpMethod" in integration:
        args["integrationHttpMethod"] = integration["httpMethod"]
    call(client, "put_integration", **ids, **args)
    # put_integration replaced the integration with its responses: put them back
    for status, resp in integration.get("integrationResponses", {}).items():
        extra = target.clean(resp, ("selectionPattern", "responseParameters", "responseTemplates", "contentHandling"))
        call(client, "put_integration_response", **ids, statusCode=status, **extra)


def sources(record: dict[str, Any], data: list[dict[str, Any]]) -> list[str]:
    """The source ARNs this kind's triggers invoke from (any stage, method and path of each API)."""
    partition = str(record["arn"]).split(":")[1]
    return [f"arn:{partition}:execute-api:{record['region']}:{record['account']}:{e['id']}/*" for e in data]


def to_iac(record: dict[str, Any], data: list[dict[str, Any]]) -> iac.Fragment:
    return apigateway_iac.rest(record, data)
