"""Patched services that wire functions, as their API references document them: Secrets Manager
rotation without rotating, SES receipt rules with Lambda actions, AppSync data sources."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import botocore.exceptions
import pytest

from .conftest import create_function

ACCOUNT = "123456789012"


def _code(call: Callable[..., Any], **kwargs: Any) -> str:
    with pytest.raises(botocore.exceptions.ClientError) as info:
        call(**kwargs)
    return str(info.value.response["Error"]["Code"])


def test_rotate_secret_without_rotating_keeps_versions_and_rules(
    client: Callable[..., Any], role: str, unique: Callable[[str], str]
) -> None:
    lam, sm = client("lambda", "us-west-1"), client("secretsmanager", "us-west-1")
    arn = create_function(lam, unique("rotator"), role)["FunctionArn"]
    name = unique("secret")
    sm.create_secret(Name=name, SecretString="v1")
    before = sm.describe_secret(SecretId=name)
    rules = {"ScheduleExpression": "cron(0 4 * * ? *)", "Duration": "3h"}
    sm.rotate_secret(SecretId=name, RotationLambdaARN=arn, RotationRules=rules, RotateImmediately=False)
    after = sm.describe_secret(SecretId=name)
    assert after["VersionIdsToStages"] == before["VersionIdsToStages"]
    assert "LastRotatedDate" not in after or after.get("LastRotatedDate") == before.get("LastRotatedDate")
    assert (after["RotationEnabled"], after["RotationRules"], after["RotationLambdaARN"]) == (True, rules, arn)
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "v1"
    sm.cancel_rotate_secret(SecretId=name)
    assert sm.describe_secret(SecretId=name)["RotationEnabled"] is False


def test_receipt_rule_with_a_lambda_action(client: Callable[..., Any], role: str, unique: Callable[[str], str]) -> None:
    lam, ses = client("lambda", "us-west-2"), client("ses", "us-west-2")
    name, rule_set = unique("inbound"), unique("set")
    arn = create_function(lam, name, role)["FunctionArn"]
    ses.create_receipt_rule_set(RuleSetName=rule_set)
    rule = {"Name": "r", "Actions": [{"LambdaAction": {"FunctionArn": arn, "InvocationType": "Event"}}]}
    assert _code(ses.create_receipt_rule, RuleSetName=rule_set, Rule=rule) == "InvalidLambdaFunction"
    missing = {"Name": "r", "Actions": [{"LambdaAction": {"FunctionArn": arn + "-gone"}}]}
    assert _code(ses.create_receipt_rule, RuleSetName=rule_set, Rule=missing) == "InvalidLambdaFunction"
    lam.add_permission(FunctionName=name, StatementId="ses", Action="lambda:InvokeFunction",
                       Principal="ses.amazonaws.com", SourceAccount=ACCOUNT,
                       SourceArn=f"arn:aws:ses:us-west-2:{ACCOUNT}:receipt-rule-set/{rule_set}:receipt-rule/r")
    ses.create_receipt_rule(RuleSetName=rule_set, Rule=rule)
    assert ses.describe_receipt_rule(RuleSetName=rule_set, RuleName="r")["Rule"]["Actions"] == rule["Actions"]
    renamed = {"Name": "other", "Actions": rule["Actions"]}  # the permission names rule "r" only
    assert _code(ses.create_receipt_rule, RuleSetName=rule_set, Rule=renamed) == "InvalidLambdaFunction"
    ses.delete_receipt_rule(RuleSetName=rule_set, RuleName="r")
    assert ses.describe_receipt_rule_set(RuleSetName=rule_set)["Rules"] == []
    assert _code(ses.delete_receipt_rule, RuleSetName=unique("none"), RuleName="r") == "RuleSetDoesNotExist"


def test_appsync_data_sources(client: Callable[..., Any], role: str, unique: Callable[[str], str]) -> None:
    appsync = client("appsync", "eu-west-3")
    api = appsync.create_graphql_api(name=unique("api"), authenticationType="API_KEY")["graphqlApi"]
    fn = f"arn:aws:lambda:eu-west-3:{ACCOUNT}:function:resolver"
    made = appsync.create_data_source(apiId=api["apiId"], name="d1", type="AWS_LAMBDA", serviceRoleArn=role,
                                      lambdaConfig={"lambdaFunctionArn": fn})["dataSource"]
    assert made["dataSourceArn"] == f"{api['arn']}/datasources/d1"
    assert _code(appsync.create_data_source, apiId=api["apiId"], name="d1", type="NONE") == "BadRequestException"
    assert _code(appsync.create_data_source, apiId=api["apiId"], name="d2", type="AWS_LAMBDA") == "BadRequestException"
    for i in range(3):
        appsync.create_data_source(apiId=api["apiId"], name=f"n{i}", type="NONE")
    pages = appsync.get_paginator("list_data_sources").paginate(apiId=api["apiId"], PaginationConfig={"PageSize": 2})
    assert [d["name"] for p in pages for d in p["dataSources"]] == ["d1", "n0", "n1", "n2"]
    appsync.update_data_source(apiId=api["apiId"], name="d1", type="AWS_LAMBDA", serviceRoleArn=role,
                               lambdaConfig={"lambdaFunctionArn": fn + ":2"})
    got = appsync.get_data_source(apiId=api["apiId"], name="d1")["dataSource"]
    assert got["lambdaConfig"]["lambdaFunctionArn"] == fn + ":2"
    appsync.delete_data_source(apiId=api["apiId"], name="d1")
    assert _code(appsync.get_data_source, apiId=api["apiId"], name="d1") == "NotFoundException"
    assert _code(appsync.list_data_sources, apiId="no-such-api") == "NotFoundException"
