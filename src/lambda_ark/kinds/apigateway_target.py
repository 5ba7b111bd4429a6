"""The target side of restoring REST APIs: find or create the API, put methods, deploy, grant.

Finding an API (also used for HTTP APIs): an API lambda-ark created carries a tag naming its source
(account/region/id), so a second restore finds it again; failing that, the source API itself (same
id and name: an in-place restore), then the only API with the same name. Within one restore the
answer is remembered in `ctx.state`, so an API shared by many functions is created once.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from ..aws import call
from .base import Action, Change, RestoreContext
from .common import maybe, pages
from .triggers import ensure_permission

SOURCE_TAG = "lambda-ark:source"
NAME = "apigateway"
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


def clean(d: dict[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    """The named fields that carry a value: AWS omits empty ones where moto returns {} or []."""
    return {k: _no_nulls(d[k]) for k in fields if d.get(k) not in (None, {}, [], "")}


def _no_nulls(value: Any) -> Any:
    """API Gateway reads an empty template back as null but accepts only strings: make it "" again."""
    if isinstance(value, dict):
        return {k: "" if v is None else _no_nulls(v) for k, v in value.items()}
    return value


@dataclass(frozen=True)
class ApiShape:
    """Where REST (apigateway) and HTTP (apigatewayv2) APIs keep the same facts under other names."""

    kind: str  # the kind NAME whose ctx.state remembers found APIs
    list_op: str
    list_key: str
    create_op: str
    id_key: str
    name_key: str
    tags_key: str


REST = ApiShape("apigateway", "get_rest_apis", "items", "create_rest_api", "id", "name", "tags")
HTTP = ApiShape("apigatewayv2", "get_apis", "Items", "create_api", "ApiId", "Name", "Tags")


def pick_api(apis: list[dict[str, Any]], source: str, old_id: str, name: str, shape: ApiShape) -> dict[str, Any] | None:
    """The target API that stands for the source API, or None (see the module docstring)."""
    for candidates in (
        [a for a in apis if (a.get(shape.tags_key) or {}).get(SOURCE_TAG) == source],
        [a for a in apis if str(a[shape.id_key]) == old_id and str(a[shape.name_key]) == name],
    ):
        if candidates:
            return candidates[0]
    same_name = [a for a in apis if str(a[shape.name_key]) == name]
    return same_name[0] if len(same_name) == 1 else None


def source_key(record: dict[str, Any], old_id: str) -> str:
    return f"{record['account']}/{record['region']}/{old_id}"


def find_or_create_api(
    ctx: RestoreContext, client: Any, record: dict[str, Any], entry: dict[str, Any], shape: ApiShape, label: str
) -> tuple[str, Change | None]:
    """(target API id, or "" for one a dry run would create; a Change the first time it is seen)."""
    region = client.meta.region_name
    known = ctx.state.setdefault(shape.kind, {}).setdefault("apis", {})
    source = source_key(record, entry["id"])
    if (region, source) in known:
        return known[(region, source)], None
    api = entry["api"]
    found = pick_api(
        list(pages(client, shape.list_op, shape.list_key)), source, entry["id"], api[shape.name_key], shape
    )
    if found is not None:
        known[(region, source)] = found[shape.id_key]
        return found[shape.id_key], Change(shape.kind, label, "unchanged", f"is API {found[shape.id_key]}")
    new_id = ""
    if not ctx.dry_run:
        args = {k: v for k, v in api.items() if k != shape.tags_key}
        tags = {**api.get(shape.tags_key, {}), SOURCE_TAG: source}
        new_id = call(client, shape.create_op, **args, **{shape.tags_key: tags})[shape.id_key]
    known[(region, source)] = new_id
    return new_id, Change(shape.kind, label, "create", f"from API {entry['id']}")


def _resources(client: Any, api_id: str) -> dict[str, dict[str, Any]]:
    return {r["path"]: r for r in pages(client, "get_resources", "items", restApiId=api_id, embed=["methods"])}


def _ensure_path(client: Any, api_id: str, resources: dict[str, dict[str, Any]], path: str) -> str:
    current = "/"
    for part in [p for p in path.split("/") if p]:
        child = current.rstrip("/") + "/" + part
        if child not in resources:
            resources[child] = call(
                client, "create_resource", restApiId=api_id, parentId=resources[current]["id"], pathPart=part
            )
        current = child
    return str(resources[current]["id"])


def put_method(ctx: RestoreContext, client: Any, api_id: str, label: str, m: dict[str, Any]) -> Change:
    verb, path = m["httpMethod"], m["path"]
    label = f"{label} {verb} {path}"
    integration = dict(m["integration"], uri=ctx.mapper.map_text(m["integration"]["uri"]))
    if not api_id:
        return Change(NAME, label, "create", integration["uri"])
    resources = _resources(client, api_id)
    live = resources.get(path, {}).get("resourceMethods", {}).get(verb)
    if live is not None and "methodIntegration" not in live:
        live = call(client, "get_method", restApiId=api_id, resourceId=resources[path]["id"], httpMethod=verb)
    authorizer = m["method"].get("authorizerId")
    if (
        authorizer
        and maybe(client, "get_authorizer", restApiId=api_id, authorizerId=authorizer)
        is None
    ):
        return Change(
            NAME,
            label,
            "failed",
            f"authorizer {authorizer} does not exist in API {api_id}; "
            "lambda-ark does not restore authorizers (the method would be open or broken)",
        )
    same_method = live is not None and clean(live, METHOD_FIELDS) == m["method"]
    same_integration = live is not None and clean(live.get("methodIntegration", {}), INTEGRATION_FIELDS) == integration
    if same_method and same_integration:
        return Change(NAME, label, "unchanged")
    action: Action = "create" if live is None else "update"
    if not ctx.dry_run:
        _apply(
            client,
            api_id,
            _ensure_path(client, api_id, resources, path),
            verb,
            m["method"],
            integration,
            replace_method=live is not None and not same_method,
            put_method=not same_method,
        )
    return Change(NAME, label, action, integration["uri"])


def _apply(
    client: Any,
    api_id: str,
    res_id: str,
    verb: str,
    method: dict[str, Any],
    integration: dict[str, Any],
    replace_method: bool,
    put_method: bool,
) -> None:
    ids = {"restApiId": api_id, "resourceId": res_id, "httpMethod": verb}
    if replace_method:  # put_method refuses an existing method; settings change by replacing it
        call(client, "delete_method", **ids)
    if put_method:
        call(client, "put_method", **ids, **{k: v for k, v in method.items() if k != "methodResponses"})
        for status, resp in method.get("methodResponses", {}).items():
            call(
                client,
                "put_method_response",
                **ids,
                **clean(resp, ("responseParameters", "responseModels")),
                statusCode=status,
            )
    args = {k: v for k, v in integration.items() if k not in ("httpMethod", "integrationResponses")}
    if "httpMethod" in integration:
        args["integrationHttpMethod"] = integration["httpMethod"]
    call(client, "put_integration", **ids, **args)
    # put_integration replaced the integration with its responses: put them back
    for status, resp in integration.get("integrationResponses", {}).items():
        extra = clean(resp, ("selectionPattern", "responseParameters", "responseTemplates", "contentHandling"))
        call(client, "put_integration_response", **ids, statusCode=status, **extra)


def deploy(
    ctx: RestoreContext, client: Any, api_id: str, label: str, stages: list[dict[str, Any]], changed: bool
) -> list[Change]:
    """Create missing stages; redeploy existing ones when a method changed (else it would not serve)."""
    live = {s["stageName"] for s in call(client, "get_stages", restApiId=api_id).get("item", [])} if api_id else set()
    out = []
    for stage in stages:
        name = stage["stageName"]
        action: Action = "create" if name not in live else "update" if changed else "unchanged"
        if action == "create" and not ctx.dry_run:
            extra = {"variables": stage["variables"]} if stage.get("variables") else {}
            if stage.get("description"):
                extra["stageDescription"] = stage["description"]
            call(client, "create_deployment", restApiId=api_id, stageName=name, **extra)
        elif action == "update" and not ctx.dry_run:
            # deploy, then point the stage at it: the stage keeps its variables and settings
            deployment = call(client, "create_deployment", restApiId=api_id)["id"]
            call(
                client,
                "update_stage",
                restApiId=api_id,
                stageName=name,
                patchOperations=[{"op": "replace", "path": "/deploymentId", "value": deployment}],
            )
        out.append(Change(NAME, f"{label} stage {name}", action, "deployed" if action != "unchanged" else ""))
    return out


def statement_id(api_id: str, route: str) -> str:
    """Deterministic, so a second restore finds the statement the first one added."""
    return f"lambda-ark-{api_id}-{hashlib.sha256(route.encode()).hexdigest()[:10]}"


def grant(ctx: RestoreContext, kind: str, api_id: str, region: str, function_arn: str, verb: str, path: str) -> Change:
    """Let the target API invoke the restored function: the policy kind knew only the old API id."""
    fn_target = ctx.mapper.arn(function_arn)
    if not api_id:
        return Change(kind, f"{fn_target} invoke permission", "create", "for the API a real restore creates")
    account = fn_target.split(":")[4]
    source = f"arn:aws:execute-api:{region}:{account}:{api_id}/*/{'*' if verb in ('ANY', '*') else verb}{path}"
    return ensure_permission(
        ctx, kind, fn_target, "apigateway.amazonaws.com", source, statement_id(api_id, f"{verb} {path}")
    )
