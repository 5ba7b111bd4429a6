"""AppSync: a Lambda data source and a Lambda authorizer come back on the same (or same-named) API,
the API's other settings untouched; an API found under another id gets the source's permission."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from kindtest import ACCOUNT, ROLE, actions, applied, planned, record_of

from lambda_ark.aws import Aws
from lambda_ark.kinds import appsync as kind
from lambda_ark.restore.arns import ArnMapper

A, B = "ap-southeast-3", "ap-southeast-4"


def _api(aws: Aws, region: str, name: str, authorizer: str | None) -> dict[str, Any]:
    extra: dict[str, Any] = {"authenticationType": "API_KEY"}
    if authorizer:
        extra["additionalAuthenticationProviders"] = [{"authenticationType": "AWS_LAMBDA", "lambdaAuthorizerConfig": {
            "authorizerUri": authorizer, "authorizerResultTtlInSeconds": 60}}]
    api: dict[str, Any] = aws.client("appsync", region).create_graphql_api(name=name, xrayEnabled=True, **extra)[
        "graphqlApi"]
    return api


def test_data_source_and_authorizer_round_trip(
    aws: Aws, uid: Callable[[str], str], make_function: Callable[..., dict[str, Any]],
    region_ctx: Callable[..., Any], restore_ctx: Callable[..., Any],
) -> None:
    name, api_name = uid("gqlfn"), uid("api")
    fn = make_function(A, name)
    api = _api(aws, A, api_name, fn["FunctionArn"])
    aws.client("lambda", A).add_permission(FunctionName=name, StatementId="appsync", Action="lambda:InvokeFunction",
                                           Principal="appsync.amazonaws.com", SourceArn=api["arn"])
    client = aws.client("appsync", A)
    client.create_data_source(apiId=api["apiId"], name="orders", type="AWS_LAMBDA", serviceRoleArn=ROLE,
                              description="orders resolver", lambdaConfig={"lambdaFunctionArn": fn["FunctionArn"]})
    ctx = region_ctx(A)
    data = kind.capture(ctx, kind.discover(ctx), fn)
    assert data is not None and not ctx.warnings
    (entry,) = data
    assert [d["name"] for d in entry["data_sources"]] == ["orders"]
    assert entry["authorizers"] == [{"default": False, "config": {"authorizerUri": fn["FunctionArn"],
                                                                  "authorizerResultTtlInSeconds": 60}}]
    policy = json.loads(aws.client("lambda", A).get_policy(FunctionName=name)["Policy"])["Statement"]
    record = record_of(fn, A, {"policy": {"": policy}})

    client.delete_data_source(apiId=api["apiId"], name="orders")
    assert actions(applied(kind, restore_ctx(ArnMapper()), record, data)) == ["create", "unchanged"]
    got = client.get_data_source(apiId=api["apiId"], name="orders")["dataSource"]
    assert got["lambdaConfig"]["lambdaFunctionArn"] == fn["FunctionArn"] and got["description"] == "orders resolver"
    assert actions(applied(kind, restore_ctx(ArnMapper()), record, data)) == ["unchanged", "unchanged"]

    # another region: a standby API of the same name (another id), without the authorizer
    make_function(B, name)
    standby = _api(aws, B, api_name, None)
    mapper = ArnMapper(region_map={A: B})
    changes = planned(kind, restore_ctx(mapper), record, data)
    assert actions(changes) == ["create", "create", "update"]
    assert actions(applied(kind, restore_ctx(mapper), record, data)) == ["create", "create", "update"]
    fn_b = f"arn:aws:lambda:{B}:{ACCOUNT}:function:{name}"
    live = aws.client("appsync", B).get_graphql_api(apiId=standby["apiId"])["graphqlApi"]
    assert live["additionalAuthenticationProviders"][0]["lambdaAuthorizerConfig"]["authorizerUri"] == fn_b
    assert live["authenticationType"] == "API_KEY" and live["xrayEnabled"] is True
    statements = json.loads(aws.client("lambda", B).get_policy(FunctionName=name)["Policy"])["Statement"]
    assert [s["Condition"]["ArnLike"]["AWS:SourceArn"] for s in statements] == [standby["arn"]]
    assert actions(applied(kind, restore_ctx(mapper), record, data)) == ["unchanged"] * 3


def test_no_api_of_that_name_is_a_failed_change(
    aws: Aws, uid: Callable[[str], str], make_function: Callable[..., dict[str, Any]],
    region_ctx: Callable[..., Any], restore_ctx: Callable[..., Any],
) -> None:
    fn = make_function(A, uid("gqlnone"))
    api = _api(aws, A, uid("api"), None)
    aws.client("appsync", A).create_data_source(apiId=api["apiId"], name="d", type="AWS_LAMBDA", serviceRoleArn=ROLE,
                                                lambdaConfig={"lambdaFunctionArn": fn["FunctionArn"]})
    ctx = region_ctx(A)
    data = kind.capture(ctx, kind.discover(ctx), fn)
    (change,) = planned(kind, restore_ctx(ArnMapper(region_map={A: B})), record_of(fn, A), data)
    assert change.action == "failed" and "does not create GraphQL APIs" in change.detail


def test_to_iac() -> None:
    data = [{"api_id": "a", "api_name": "n", "api_arn": "x", "data_sources": [
        {"name": "d", "type": "AWS_LAMBDA", "lambdaConfig": {"lambdaFunctionArn": "f"}}],
             "authorizers": [{"default": True, "config": {"authorizerUri": "f"}}]}]
    assert [r["Type"] for r in kind.to_iac({}, data)] == ["AWS::AppSync::DataSource", "AWS::AppSync::GraphQLApi"]
