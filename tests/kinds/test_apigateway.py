"""REST APIs: recreated in another region, shared by two functions, redeployed, granted, idempotent."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError
from kindtest import ACCOUNT, actions, applied, planned, record_of

from lambda_ark.aws import Aws
from lambda_ark.kinds import apigateway as kind
from lambda_ark.kinds import policy
from lambda_ark.kinds.apigateway_target import SOURCE_TAG
from lambda_ark.restore.arns import ArnMapper

A, B = "eu-west-1", "eu-central-1"


IAC_RECORD = {"account": "1", "region": "r", "name": "f", "arn": "arn:aws:lambda:r:1:function:f", "items": {}}

def _uri(region: str, fn_arn: str) -> str:
    return f"arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{fn_arn}/invocations"


def _method(ag: Any, api: str, res: str, verb: str, fn_arn: str, kind_: str = "AWS_PROXY", **auth: Any) -> None:
    auth.setdefault("authorizationType", "NONE")
    ag.put_method(restApiId=api, resourceId=res, httpMethod=verb, **auth)
    ag.put_integration(restApiId=api, resourceId=res, httpMethod=verb, type=kind_, integrationHttpMethod="POST",
                       uri=_uri(A, fn_arn))


def _build_api(aws: Aws, name: str, fn: dict[str, Any], fn2: dict[str, Any]) -> str:
    ag = aws.client("apigateway", A)
    api = ag.create_rest_api(name=name, description="orders", binaryMediaTypes=["image/png"])["id"]
    root = ag.get_resources(restApiId=api)["items"][0]["id"]
    orders = ag.create_resource(restApiId=api, parentId=root, pathPart="orders")["id"]
    item = ag.create_resource(restApiId=api, parentId=orders, pathPart="{id}")["id"]
    _method(ag, api, item, "GET", f"{fn['FunctionArn']}:live")
    _method(ag, api, orders, "POST", fn["FunctionArn"], "AWS")
    ag.put_method_response(restApiId=api, resourceId=orders, httpMethod="POST", statusCode="200")
    ag.put_integration_response(restApiId=api, resourceId=orders, httpMethod="POST", statusCode="200",
                                selectionPattern="", responseTemplates={"application/json": ""})
    _method(ag, api, item, "DELETE", fn2["FunctionArn"])
    ag.put_method(restApiId=api, resourceId=root, httpMethod="GET", authorizationType="NONE")  # MOCK: not ours
    ag.put_integration(restApiId=api, resourceId=root, httpMethod="GET", type="MOCK")
    ag.create_deployment(restApiId=api, stageName="prod", variables={"tier": "gold"})
    return str(api)


def _apis_named(aws: Aws, region: str, name: str) -> list[dict[str, Any]]:
    return [a for a in aws.client("apigateway", region).get_rest_apis()["items"] if a["name"] == name]


def test_round_trip_recreates_one_shared_api(
    aws: Aws, uid: Callable[[str], str], make_function: Callable[..., dict[str, Any]],
    region_ctx: Callable[..., Any], restore_ctx: Callable[..., Any],
) -> None:
    name, name2, api_name = uid("agfn"), uid("agfn2"), uid("api")
    fn, fn2 = make_function(A, name), make_function(A, name2)
    lam = aws.client("lambda", A)
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion="$LATEST")
    api = _build_api(aws, api_name, fn, fn2)
    lam.add_permission(FunctionName=name, Qualifier="live", StatementId="api", Action="lambda:InvokeFunction",
                       Principal="apigateway.amazonaws.com",
                       SourceArn=f"arn:aws:execute-api:{A}:{ACCOUNT}:{api}/*/GET/orders/{{id}}")

    ctx = region_ctx(A)
    index = kind.discover(ctx)
    data, data2 = kind.capture(ctx, index, fn), kind.capture(ctx, index, fn2)
    assert data is not None and data2 is not None
    (entry,) = data
    assert entry["id"] == api and entry["api"]["description"] == "orders"  # (moto drops binaryMediaTypes)
    assert entry["stages"] == [{"stageName": "prod", "variables": {"tier": "gold"}}]
    assert sorted((m["httpMethod"], m["path"]) for m in entry["methods"]) == [
        ("GET", "/orders/{id}"), ("POST", "/orders")]
    assert [m["httpMethod"] for m in data2[0]["methods"]] == ["DELETE"]
    # POST has no permission statement: warned; GET on the alias has one
    assert [w for w in ctx.warnings if f"{api}/prod/POST/orders " in w]
    assert not [w for w in ctx.warnings if f"{api}/prod/GET/orders/{{id}} " in w]

    # each function's own policy goes with it: a recreated API gets the source's grants, for its new id
    items, items2 = {"policy": policy.capture(ctx, None, fn)}, {"policy": policy.capture(ctx, None, fn2)}
    aws.client("apigateway", A).delete_rest_api(restApiId=api)
    for n in (name, name2):
        lam.delete_function(FunctionName=n)
        make_function(B, n)
    aws.client("lambda", B).create_alias(FunctionName=name, Name="live", FunctionVersion="$LATEST")
    mapper = ArnMapper(region_map={A: B})
    rec, rec2 = record_of(fn, A, items), record_of(fn2, A, items2)

    dry = restore_ctx(mapper)
    plan = planned(kind, dry, rec, data) + planned(kind, dry, rec2, data2)
    assert sum(c.target.startswith("REST API") and c.target.endswith(f"({B})") for c in plan) == 1
    assert set(actions(plan)) == {"create"} and not _apis_named(aws, B, api_name)

    real = restore_ctx(mapper)
    done = applied(kind, real, rec, data) + applied(kind, real, rec2, data2)
    assert set(actions(done)) <= {"create", "update"}
    (new,) = _apis_named(aws, B, api_name)
    assert new["tags"][SOURCE_TAG] == f"{ACCOUNT}/{A}/{api}"
    ag = aws.client("apigateway", B)
    resources = {r["path"]: r for r in ag.get_resources(restApiId=new["id"], embed=["methods"])["items"]}
    get = resources["/orders/{id}"]["resourceMethods"]["GET"]["methodIntegration"]
    assert get["uri"] == _uri(B, f"arn:aws:lambda:{B}:{ACCOUNT}:function:{name}:live")
    post = ag.get_integration(restApiId=new["id"], resourceId=resources["/orders"]["id"], httpMethod="POST")
    assert post["type"] == "AWS" and "200" in post["integrationResponses"]
    assert "DELETE" in resources["/orders/{id}"]["resourceMethods"]
    assert "GET" not in resources["/"].get("resourceMethods", {})  # the MOCK method was not recorded
    (stage,) = ag.get_stages(restApiId=new["id"])["item"]
    assert stage["stageName"] == "prod" and stage["variables"] == {"tier": "gold"}
    granted = json.loads(aws.client("lambda", B).get_policy(FunctionName=name, Qualifier="live")["Policy"])
    assert [(s["Sid"], s["Condition"]["ArnLike"]["AWS:SourceArn"]) for s in granted["Statement"]] == [
        ("api", f"arn:aws:execute-api:{B}:{ACCOUNT}:{new['id']}/*/GET/orders/{{id}}")]
    # POST /orders and DELETE were never granted in the source: nor are they now (exact restore)
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        aws.client("lambda", B).get_policy(FunctionName=name2)

    again = restore_ctx(mapper)  # a new restore: finds the API by its tag
    assert set(actions(applied(kind, again, rec, data) + applied(kind, again, rec2, data2))) == {"unchanged"}


def test_changed_integration_is_updated_and_missing_authorizer_fails(
    aws: Aws, uid: Callable[[str], str], make_function: Callable[..., dict[str, Any]],
    region_ctx: Callable[..., Any], restore_ctx: Callable[..., Any],
) -> None:
    fn, other = make_function(A, uid("agupd")), make_function(A, uid("agother"))
    ag = aws.client("apigateway", A)
    api = ag.create_rest_api(name=uid("api"))["id"]
    root = ag.get_resources(restApiId=api)["items"][0]["id"]
    auth = ag.create_authorizer(restApiId=api, name="tok", type="TOKEN", authorizerUri=_uri(A, other["FunctionArn"]),
                                identitySource="method.request.header.A")["id"]
    _method(ag, api, root, "GET", fn["FunctionArn"])
    _method(ag, api, root, "PUT", fn["FunctionArn"], authorizationType="CUSTOM", authorizerId=auth)
    ctx = region_ctx(A)
    data = kind.capture(ctx, kind.discover(ctx), fn)
    ag.put_integration(restApiId=api, resourceId=root, httpMethod="GET", type="AWS_PROXY",
                       integrationHttpMethod="POST", uri=_uri(A, other["FunctionArn"]))
    ag.delete_authorizer(restApiId=api, authorizerId=auth)
    restored = applied(kind, restore_ctx(ArnMapper()), record_of(fn, A), data)
    changes = {c.target.split()[-2]: c for c in restored if c.target.endswith(" /")}  # "... GET /"
    assert changes["GET"].action == "update" and changes["PUT"].action == "failed"
    assert f"authorizer {auth}" in changes["PUT"].detail
    live = ag.get_integration(restApiId=api, resourceId=root, httpMethod="GET")
    assert live["uri"] == _uri(A, fn["FunctionArn"])


def test_to_iac_types() -> None:
    data = [{"id": "x", "api": {"name": "n"}, "stages": [{"stageName": "prod"}], "methods": [
        {"path": "/", "httpMethod": "GET", "method": {}, "function_arn": "f",
         "integration": {"type": "AWS_PROXY", "httpMethod": "POST", "uri": "u"}}]}]
    assert [r["Type"] for r in kind.to_iac(IAC_RECORD, data).resources.values()] == [
        "AWS::ApiGateway::RestApi", "AWS::ApiGateway::Method", "AWS::ApiGateway::Deployment",
        "AWS::ApiGateway::Stage"]


def test_stages_come_back_with_their_deployment_canary_and_tracing(
    aws: Aws, uid: Callable[[str], str], make_function: Callable[..., dict[str, Any]],
    region_ctx: Callable[..., Any], restore_ctx: Callable[..., Any],
) -> None:
    fn = make_function(A, uid("agstage"))
    ag = aws.client("apigateway", A)
    api_name = uid("api")
    api = ag.create_rest_api(name=api_name)["id"]
    root = ag.get_resources(restApiId=api)["items"][0]["id"]
    _method(ag, api, root, "GET", fn["FunctionArn"])
    ag.create_deployment(restApiId=api, stageName="prod", stageDescription="production", description="release 7",
                         variables={"tier": "gold"})
    ag.create_deployment(restApiId=api, stageName="prod", description="release 7",
                         canarySettings={"percentTraffic": 10.0, "stageVariableOverrides": {"tier": "beta"}})
    ag.update_stage(restApiId=api, stageName="prod",
                    patchOperations=[{"op": "replace", "path": "/tracingEnabled", "value": "true"}])
    ctx = region_ctx(A)
    data = kind.capture(ctx, kind.discover(ctx), fn)
    assert data is not None
    (stage,) = data[0]["stages"]
    assert stage == {"stageName": "prod", "description": "production", "variables": {"tier": "gold"},
                     "deploymentDescription": "release 7", "tracingEnabled": True,
                     "canarySettings": {"percentTraffic": 10.0, "stageVariableOverrides": {"tier": "beta"},
                                        "useStageCache": False}}

    mapper = ArnMapper(region_map={A: B})
    make_function(B, fn["FunctionName"])
    done = applied(kind, restore_ctx(mapper), record_of(fn, A), data)
    assert not [c for c in done if c.action == "failed"], done
    (new,) = _apis_named(aws, B, api_name)
    ag_b = aws.client("apigateway", B)
    live = ag_b.get_stage(restApiId=new["id"], stageName="prod")
    assert (live["description"], live["variables"], live["tracingEnabled"]) == ("production", {"tier": "gold"}, True)
    assert ag_b.get_deployment(restApiId=new["id"], deploymentId=live["deploymentId"])["description"] == "release 7"
    assert live["canarySettings"]["percentTraffic"] == 10.0
    assert live["canarySettings"]["stageVariableOverrides"] == {"tier": "beta"}

    # drift in the target is planned as an update of exactly the fields that moved, then undone
    ag_b.update_stage(restApiId=new["id"], stageName="prod", patchOperations=[
        {"op": "replace", "path": "/description", "value": "changed"},
        {"op": "replace", "path": "/canarySettings/percentTraffic", "value": "50"}])
    (change,) = [c for c in planned(kind, restore_ctx(mapper), record_of(fn, A), data) if "stage" in c.target]
    assert (change.action, change.fields) == ("update", ["canarySettings", "description"])
    applied(kind, restore_ctx(mapper), record_of(fn, A), data)
    assert set(actions(planned(kind, restore_ctx(mapper), record_of(fn, A), data))) == {"unchanged"}
    assert ag_b.get_stage(restApiId=new["id"], stageName="prod")["canarySettings"]["percentTraffic"] == 10.0
