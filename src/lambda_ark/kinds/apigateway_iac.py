"""REST and HTTP APIs as CloudFormation (the `to_iac` of `apigateway` and `apigatewayv2`).

A REST API becomes the API, one AWS::ApiGateway::Resource per path segment, the recorded methods
with their integrations, and per stage a deployment (depending on every method) and the stage. An
HTTP API becomes the API, each integration, its routes and the stages. Several functions share an
API: each function's fragment declares the API again, identically, and its own methods; the exporter
merges them. Authorizers are not recorded, so a method's or route's authorizer id is dropped (noted).
"""

from __future__ import annotations

from typing import Any

from . import iac

# REST API fields (as recorded from GetRestApi) -> CloudFormation properties
_API = {"name": "Name", "description": "Description", "binaryMediaTypes": "BinaryMediaTypes",
        "apiKeySource": "ApiKeySourceType", "minimumCompressionSize": "MinimumCompressionSize",
        "disableExecuteApiEndpoint": "DisableExecuteApiEndpoint"}
_METHOD = {"authorizationType": "AuthorizationType", "apiKeyRequired": "ApiKeyRequired",
           "requestParameters": "RequestParameters", "operationName": "OperationName",
           "authorizationScopes": "AuthorizationScopes"}
_INTEGRATION = {"type": "Type", "httpMethod": "IntegrationHttpMethod", "uri": "Uri",
                "requestParameters": "RequestParameters", "requestTemplates": "RequestTemplates",
                "passthroughBehavior": "PassthroughBehavior", "contentHandling": "ContentHandling",
                "timeoutInMillis": "TimeoutInMillis", "cacheKeyParameters": "CacheKeyParameters"}
_RESPONSE = {"selectionPattern": "SelectionPattern", "responseParameters": "ResponseParameters",
             "responseTemplates": "ResponseTemplates", "contentHandling": "ContentHandling"}
_SOURCE_TAG = "lambda-ark:source"  # restore's own tag on APIs it recreated: not the user's


def _renamed(d: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    return {names[k]: v for k, v in d.items() if k in names}


def _execute_api(record: dict[str, Any], api_id: str, logical_id: str, frag: iac.Fragment) -> None:
    """Invoke permissions name the API by ARN (arn:…:execute-api:region:account:ID/stage/verb/path)."""
    prefix = f"arn:aws:execute-api:{record['region']}:{record['account']}:{api_id}"
    frag.arns[prefix] = "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${" + logical_id + "}"


def rest(record: dict[str, Any], data: list[dict[str, Any]]) -> iac.Fragment:
    frag = iac.Fragment()
    for entry in data:
        api_id = iac.logical("RestApi", entry["id"])
        api = entry["api"]
        props = _renamed(api, _API)
        if api.get("endpointConfiguration", {}).get("types"):
            props["EndpointConfiguration"] = {"Types": api["endpointConfiguration"]["types"]}
        props["Tags"] = iac.tag_list({k: v for k, v in (api.get("tags") or {}).items() if k != _SOURCE_TAG})
        frag.add(api_id, "AWS::ApiGateway::RestApi", props)
        _execute_api(record, entry["id"], api_id, frag)
        methods = [_method(frag, entry["id"], api_id, m) for m in entry["methods"]]
        for stage in entry["stages"]:
            name = stage["stageName"]
            deployment = iac.logical("RestApi", entry["id"], "Deployment", name)
            frag.add(deployment, "AWS::ApiGateway::Deployment",
                     {"RestApiId": {"Ref": api_id}, "Description": stage.get("deploymentDescription")},
                     depends_on=methods)
            frag.add(iac.logical("RestApi", entry["id"], "Stage", name), "AWS::ApiGateway::Stage",
                     _stage(api_id, deployment, stage))
    return frag


def _resource(frag: iac.Fragment, source_id: str, api_id: str, path: str) -> Any:
    """The resource id of `path`, declaring each missing segment (the root is the API's own)."""
    parent: Any = {"Fn::GetAtt": [api_id, "RootResourceId"]}
    current = ""
    for part in [p for p in path.split("/") if p]:
        current += "/" + part
        rid = iac.logical("RestApi", source_id, "Resource", current)
        frag.add(rid, "AWS::ApiGateway::Resource", {"RestApiId": {"Ref": api_id}, "ParentId": parent,
                                                    "PathPart": part})
        parent = {"Ref": rid}
    return parent


def _method(frag: iac.Fragment, source_id: str, api_id: str, m: dict[str, Any]) -> str:
    method = m["method"]
    props: dict[str, Any] = {"RestApiId": {"Ref": api_id}, "ResourceId": _resource(frag, source_id, api_id, m["path"]),
                             "HttpMethod": m["httpMethod"], **_renamed(method, _METHOD)}
    props.setdefault("AuthorizationType", "NONE")
    if method.get("authorizerId"):
        frag.notes.append(f"REST API {source_id} {m['httpMethod']} {m['path']}: its authorizer is not recorded; the "
                          "method is exported without it (AuthorizationType NONE)")
        props["AuthorizationType"] = "NONE"
    props["MethodResponses"] = [{"StatusCode": status, **_renamed(r, {"responseParameters": "ResponseParameters",
                                                                     "responseModels": "ResponseModels"})}
                                for status, r in sorted(method.get("methodResponses", {}).items())]
    integration = _renamed(m["integration"], _INTEGRATION)
    integration["IntegrationResponses"] = [{"StatusCode": status, **_renamed(r, _RESPONSE)} for status, r in
                                           sorted(m["integration"].get("integrationResponses", {}).items())]
    props["Integration"] = iac.clean(integration)
    mid = iac.logical("RestApi", source_id, "Method", m["httpMethod"], m["path"])
    frag.add(mid, "AWS::ApiGateway::Method", props)
    return mid


def _stage(api_id: str, deployment: str, s: dict[str, Any]) -> dict[str, Any]:
    props: dict[str, Any] = {"RestApiId": {"Ref": api_id}, "DeploymentId": {"Ref": deployment},
                             "StageName": s["stageName"], "Description": s.get("description"),
                             "Variables": s.get("variables"), "TracingEnabled": s.get("tracingEnabled")}
    if s.get("canarySettings"):
        c = s["canarySettings"]
        props["CanarySetting"] = iac.clean({"PercentTraffic": c.get("percentTraffic"),
                                            "StageVariableOverrides": c.get("stageVariableOverrides"),
                                            "UseStageCache": c.get("useStageCache")})
    return props


def http(record: dict[str, Any], data: list[dict[str, Any]]) -> iac.Fragment:
    frag = iac.Fragment()
    for entry in data:
        api_id = iac.logical("HttpApi", entry["id"])
        api = {k: v for k, v in entry["api"].items() if k != "Tags"}
        tags = {k: v for k, v in (entry["api"].get("Tags") or {}).items() if k != _SOURCE_TAG}
        frag.add(api_id, "AWS::ApiGatewayV2::Api", {**api, "Tags": tags})
        _execute_api(record, entry["id"], api_id, frag)
        routes: list[str] = []
        for integration in entry["integrations"]:
            iid = iac.logical("HttpApi", entry["id"], "Integration", iac.short(integration["function_arn"]))
            frag.add(iid, "AWS::ApiGatewayV2::Integration", {"ApiId": {"Ref": api_id}, **integration["integration"]})
            for route in integration["routes"]:
                props = {k: v for k, v in route.items() if k != "AuthorizerId"}
                if route.get("AuthorizerId"):
                    frag.notes.append(f"HTTP API {entry['id']} {route['RouteKey']}: its authorizer is not recorded; "
                                      "the route is exported without it")
                    props["AuthorizationType"] = "NONE"
                rid = iac.logical("HttpApi", entry["id"], "Route", route["RouteKey"])
                frag.add(rid, "AWS::ApiGatewayV2::Route",
                         {"ApiId": {"Ref": api_id}, **props, "Target": {"Fn::Sub": "integrations/${" + iid + "}"}})
                routes.append(rid)
        for stage in entry["stages"]:
            frag.add(iac.logical("HttpApi", entry["id"], "Stage", stage["StageName"]), "AWS::ApiGatewayV2::Stage",
                     {"ApiId": {"Ref": api_id}, **stage}, depends_on=routes)
    return frag
