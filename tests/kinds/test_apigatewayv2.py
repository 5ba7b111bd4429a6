"""HTTP APIs: integration + routes + stages come back in another region; routes follow a changed target."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError
from kindtest import ACCOUNT, actions, applied, planned, record_of

from lambda_ark.aws import Aws
from lambda_ark.kinds import apigatewayv2 as kind
from lambda_ark.kinds import policy
from lambda_ark.kinds.apigateway_target import SOURCE_TAG
from lambda_ark.restore.arns import ArnMapper, FunctionId

A, B = "eu-west-1", "eu-central-1"


IAC_RECORD = {"account": "1", "region": "r", "name": "f", "arn": "arn:aws:lambda:r:1:function:f", "items": {}}

def _http_api(aws: Aws, name: str, fn_arn: str) -> tuple[str, str]:
    v2 = aws.client("apigatewayv2", A)
    api = v2.create_api(Name=name, ProtocolType="HTTP", Description="orders",
                        CorsConfiguration={"AllowOrigins": ["https://example.com"]})["ApiId"]
    integration = v2.create_integration(ApiId=api, IntegrationType="AWS_PROXY", IntegrationUri=fn_arn,
                                        PayloadFormatVersion="2.0", TimeoutInMillis=5000)["IntegrationId"]
    for key in ("GET /orders", "$default"):
        v2.create_route(ApiId=api, RouteKey=key, Target=f"integrations/{integration}")
    v2.create_route(ApiId=api, RouteKey="GET /health")  # no target: not this function's
    v2.create_stage(ApiId=api, StageName="$default", AutoDeploy=True)
    # (a stage without auto-deploy needs create_deployment, which moto's apigatewayv2 lacks: docs/triggers.md)
    v2.create_stage(ApiId=api, StageName="live", AutoDeploy=True, StageVariables={"tier": "gold"})
    return str(api), str(integration)


def test_round_trip_into_another_region(
    aws: Aws, uid: Callable[[str], str], make_function: Callable[..., dict[str, Any]],
    region_ctx: Callable[..., Any], restore_ctx: Callable[..., Any],
) -> None:
    name, api_name = uid("v2fn"), uid("http")
    fn = make_function(A, name)
    api, _ = _http_api(aws, api_name, fn["FunctionArn"])
    aws.client("lambda", A).add_permission(
        FunctionName=name, StatementId="http", Action="lambda:InvokeFunction", Principal="apigateway.amazonaws.com",
        SourceArn=f"arn:aws:execute-api:{A}:{ACCOUNT}:{api}/*/GET/orders")

    ctx = region_ctx(A)
    data = kind.capture(ctx, kind.discover(ctx), fn)
    assert data is not None
    (entry,) = data
    (integration,) = entry["integrations"]
    assert [r["RouteKey"] for r in integration["routes"]] == ["$default", "GET /orders"]
    assert integration["integration"]["PayloadFormatVersion"] == "2.0"
    assert [s["StageName"] for s in entry["stages"]] == ["$default", "live"]
    assert [w for w in ctx.warnings if f"{api}/$default/$default " in w]  # the $default route: no permission
    assert not [w for w in ctx.warnings if f"{api}/$default/GET/orders " in w]

    aws.client("apigatewayv2", A).delete_api(ApiId=api)
    make_function(B, f"{name}-dr")
    mapper = ArnMapper(region_map={A: B}, name_template="{name}-dr", sources={FunctionId(ACCOUNT, A, name)})
    # the function's own policy goes with it: the restored API gets the source's grant, for its new id
    record = record_of(fn, A, {"policy": policy.capture(ctx, None, fn)})
    assert set(actions(planned(kind, restore_ctx(mapper), record, data))) == {"create"}
    v2 = aws.client("apigatewayv2", B)
    assert not [a for a in v2.get_apis()["Items"] if a["Name"] == api_name]

    assert set(actions(applied(kind, restore_ctx(mapper), record, data))) == {"create"}
    (new,) = [a for a in v2.get_apis()["Items"] if a["Name"] == api_name]
    assert new["Tags"][SOURCE_TAG] == f"{ACCOUNT}/{A}/{api}"
    assert new["CorsConfiguration"]["AllowOrigins"] == ["https://example.com"]
    (live,) = v2.get_integrations(ApiId=new["ApiId"])["Items"]
    assert live["IntegrationUri"] == f"arn:aws:lambda:{B}:{ACCOUNT}:function:{name}-dr"
    routes = {r["RouteKey"]: r for r in v2.get_routes(ApiId=new["ApiId"])["Items"]}
    assert set(routes) == {"GET /orders", "$default"}
    assert all(r["Target"] == f"integrations/{live['IntegrationId']}" for r in routes.values())
    stages = {s["StageName"]: s for s in v2.get_stages(ApiId=new["ApiId"])["Items"]}
    assert stages["live"]["StageVariables"] == {"tier": "gold"} and stages["$default"]["AutoDeploy"]
    granted = json.loads(aws.client("lambda", B).get_policy(FunctionName=f"{name}-dr")["Policy"])["Statement"]
    # exactly the source's: GET /orders under its statement id; $default was never granted, nor is it now
    assert [(s["Sid"], s["Condition"]["ArnLike"]["AWS:SourceArn"]) for s in granted] == [
        ("http", f"arn:aws:execute-api:{B}:{ACCOUNT}:{new['ApiId']}/*/GET/orders")]
    assert set(actions(applied(kind, restore_ctx(mapper), record, data))) == {"unchanged"}


def test_route_pointing_elsewhere_is_updated(
    aws: Aws, uid: Callable[[str], str], make_function: Callable[..., dict[str, Any]],
    region_ctx: Callable[..., Any], restore_ctx: Callable[..., Any],
) -> None:
    fn, other = make_function(A, uid("v2upd")), make_function(A, uid("v2other"))
    api, _ = _http_api(aws, uid("http"), fn["FunctionArn"])
    ctx = region_ctx(A)
    data = kind.capture(ctx, kind.discover(ctx), fn)
    v2 = aws.client("apigatewayv2", A)
    elsewhere = v2.create_integration(ApiId=api, IntegrationType="AWS_PROXY", IntegrationUri=other["FunctionArn"],
                                      PayloadFormatVersion="2.0")["IntegrationId"]
    route = next(r for r in v2.get_routes(ApiId=api)["Items"] if r["RouteKey"] == "GET /orders")
    v2.update_route(ApiId=api, RouteId=route["RouteId"], Target=f"integrations/{elsewhere}")
    changes = applied(kind, restore_ctx(ArnMapper()), record_of(fn, A), data)
    by_target = {c.target.rsplit(") ", 1)[-1]: c.action for c in changes}
    assert by_target["GET /orders"] == "update" and by_target["$default"] == "unchanged"
    assert by_target["stage live"] == "unchanged"  # auto-deploy: nothing to redeploy
    mine = next(i for i in v2.get_integrations(ApiId=api)["Items"] if i["IntegrationUri"] == fn["FunctionArn"])
    route = next(r for r in v2.get_routes(ApiId=api)["Items"] if r["RouteKey"] == "GET /orders")
    assert route["Target"] == f"integrations/{mine['IntegrationId']}"


def test_to_iac_types() -> None:
    data = [{"id": "x", "api": {"Name": "n", "ProtocolType": "HTTP"}, "stages": [{"StageName": "$default"}],
             "integrations": [{"function_arn": "f", "integration": {"IntegrationType": "AWS_PROXY"},
                               "routes": [{"RouteKey": "$default"}]}]}]
    assert [r["Type"] for r in kind.to_iac(IAC_RECORD, data).resources.values()] == [
        "AWS::ApiGatewayV2::Api", "AWS::ApiGatewayV2::Integration", "AWS::ApiGatewayV2::Route",
        "AWS::ApiGatewayV2::Stage"]


def test_routes_the_source_never_granted_stay_so_unless_fix_permissions(
    aws: Aws, uid: Callable[[str], str], make_function: Callable[..., dict[str, Any]],
    region_ctx: Callable[..., Any], restore_ctx: Callable[..., Any],
) -> None:
    name = uid("v2fix")
    fn = make_function(A, name)
    api, _ = _http_api(aws, uid("http"), fn["FunctionArn"])  # no permission at all in the source
    ctx = region_ctx(A)
    data = kind.capture(ctx, kind.discover(ctx), fn)
    record = record_of(fn, A, {"policy": policy.capture(ctx, None, fn)})
    aws.client("apigatewayv2", A).delete_api(ApiId=api)
    make_function(B, f"{name}-x")
    mapper = ArnMapper(region_map={A: B}, name_template="{name}-x", sources={FunctionId(ACCOUNT, A, name)})

    exact = restore_ctx(mapper)
    assert not [c for c in applied(kind, exact, record, data) if "permission" in c.target or c.action == "failed"]
    with pytest.raises(ClientError, match="ResourceNotFoundException"):  # still no policy: as the source
        aws.client("lambda", B).get_policy(FunctionName=f"{name}-x")
    assert len([w for w in exact.warnings if "--fix-permissions" in w]) == 2  # GET /orders and $default

    fixed = applied(kind, restore_ctx(mapper, fix_permissions=True), record, data)
    assert [c.action for c in fixed if "permission" in c.target] == ["create", "create"]
    granted = json.loads(aws.client("lambda", B).get_policy(FunctionName=f"{name}-x")["Policy"])["Statement"]
    assert len(granted) == 2 and all(s["Principal"]["Service"] == "apigateway.amazonaws.com" for s in granted)
