"""Invariants across every registered kind: declared facts, unique names, a sensible restore order."""

from __future__ import annotations

from types import ModuleType

import pytest

from lambda_ark.kinds import KINDS, by_name

TRIGGERS = ("s3_notifications", "apigateway", "apigatewayv2", "eventbridge", "scheduler", "sns", "alb",
            "logs_subscriptions", "cognito", "pipes", "iot", "ses", "secrets_rotation", "firehose", "appsync",
            "cloudwatch_alarms", "cloudfront")


def _position(name: str) -> int | None:
    names = [k.NAME for k in KINDS]
    return names.index(name) if name in names else None


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.NAME)
def test_kind_declares_its_facts(kind: ModuleType) -> None:
    assert isinstance(kind.NAME, str) and kind.NAME
    assert isinstance(kind.SERVICE, str) and kind.SERVICE
    assert kind.SCOPE in ("function", "region")
    assert isinstance(kind.ORDER_REASON, str) and kind.ORDER_REASON.strip() and "\n" not in kind.ORDER_REASON
    assert isinstance(kind.PERMISSIONS, tuple) and kind.PERMISSIONS
    for permission in kind.PERMISSIONS:
        service, _, action = permission.partition(":")
        assert service and action[:1].isupper(), permission
    for verb in ("discover", "capture"):
        assert callable(getattr(kind, verb)), verb
    assert callable(getattr(kind, "plan", None) or getattr(kind, "restore", None))


def test_names_are_unique_and_found() -> None:
    names = [k.NAME for k in KINDS]
    assert len(names) == len(set(names))
    assert all(by_name(n).NAME == n for n in names)


def test_role_comes_before_function() -> None:
    role, function = _position("role"), _position("function")
    if role is None or function is None:
        pytest.skip("role or function kind not registered")
    assert role < function


@pytest.mark.parametrize("trigger", TRIGGERS)
def test_triggers_come_after_the_function_and_its_policy(trigger: str) -> None:
    at = _position(trigger)
    if at is None:
        pytest.skip(f"{trigger} not registered")
    for before in ("function", "versions", "aliases", "policy"):
        other = _position(before)
        if other is not None:
            assert other < at, f"{before} must be restored before {trigger}"
    assert by_name(trigger).SCOPE == "region"


def test_cloudfront_comes_after_every_other_trigger() -> None:
    at = _position("cloudfront")
    if at is None:
        pytest.skip("cloudfront not registered")
    assert all((p := _position(t)) is None or p < at for t in TRIGGERS if t != "cloudfront")


FN = "arn:aws:lambda:us-east-1:123456789012:function:f"
# One small recorded value per kind that has to_iac (each kind's own tests check the content).
SAMPLES: dict[str, object] = {
    "s3_notifications": [{"bucket": "b", "id": "i", "function_arn": FN, "events": ["s3:ObjectCreated:*"],
                          "filter": []}],
    "apigateway": [{"id": "a", "api": {"name": "n"}, "stages": [{"stageName": "prod"}], "methods": [
        {"path": "/", "httpMethod": "GET", "method": {}, "function_arn": FN,
         "integration": {"type": "AWS_PROXY", "httpMethod": "POST", "uri": "u"}}]}],
    "apigatewayv2": [{"id": "a", "api": {"Name": "n", "ProtocolType": "HTTP"}, "stages": [{"StageName": "$default"}],
                      "integrations": [{"function_arn": FN, "integration": {"IntegrationType": "AWS_PROXY"},
                                        "routes": [{"RouteKey": "$default"}]}]}],
    "eventbridge": [{"bus": "default", "name": "r", "arn": "x", "rule": {"ScheduleExpression": "rate(1 hour)"},
                     "targets": [{"Id": "t", "Arn": FN}]}],
    "scheduler": [{"group": "default", "name": "s", "schedule": {"ScheduleExpression": "rate(1 hour)",
                                                                 "Target": {"Arn": FN, "RoleArn": "r"}}}],
    "sns": [{"topic_arn": "arn:aws:sns:us-east-1:123456789012:t", "endpoint": FN, "attributes": {}}],
    "cloudfront": {"associations": [{"distribution_id": "E1", "distribution_arn": "d", "path": "*",
                                     "event_type": "origin-request", "include_body": False,
                                     "version_arn": FN + ":1"}],
                   "function_associations": [], "cloudfront_functions": {}},
    "role": {"arn": "arn:aws:iam::123456789012:role/r",
             "name": "r", "path": "/", "trust_policy": {}, "managed": [], "max_session_duration": 3600,
             "inline": {}, "customer_managed": {}},
    "function": {"package_type": "Zip", "code_sha256": "abc", "file": "abc", "architectures": ["x86_64"],
                 "tags": {"t": "v"},
                 "config": {"Runtime": "python3.12", "Handler": "h.h", "Role": "arn:aws:iam::1:role/r",
                            "KMSKeyArn": "k", "Environment": {"Variables": {"TOKEN": "s3cr3t"}}}},
    "versions": [{"version": "1", "description": "d", "code_sha256": "abc",
                  "config": {"Runtime": "python3.12", "Handler": "h.h", "Role": "arn:aws:iam::1:role/r",
                             "KMSKeyArn": "k", "Environment": {"Variables": {"TOKEN": "s3cr3t"}}}}],
    "aliases": [{"name": "live", "function_version": "1", "description": "", "weights": {"2": 0.1}}],
    "concurrency": {"reserved": 5, "provisioned": {"live": 2}},
    "layers": [{"arn": "l", "name": "shared", "version": 1, "description": "", "compatible_runtimes": [],
                "compatible_architectures": [], "code_sha256": "abc", "file": "abc"}],
    "url": {"": {"AuthType": "NONE", "InvokeMode": "BUFFERED"}},
    "invoke_config": {"live": {"MaximumRetryAttempts": 1}},
    "policy": {"": [{"Sid": "s", "Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"},
                     "Action": "lambda:InvokeFunction", "Resource": FN}]},
    "mappings": [{"qualifier": "", "enabled": True, "args": {"EventSourceArn": "q", "BatchSize": 5}}],
    "code_signing": {"arn": "c", "description": "d", "allowed_publishers": ["p"],
                     "policies": {"UntrustedArtifactOnDeployment": "Enforce"}, "tags": {}},
    "recursion": {"RecursiveLoop": "Allow"},
    "mapping_tags": [{"qualifier": "", "source": "q", "topics": [], "tags": {"team": "a"}}],
    "runtime_management": {"UpdateRuntimeOn": "Manual", "RuntimeVersionArn": "arn:aws:lambda:us-east-1::runtime:x"},
    "alb": [{"name": "tg", "arn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/tg/1", "target": FN,
             "settings": {"HealthCheckEnabled": False}, "attributes": {}, "tags": {}, "rules": []}],
    "logs_subscriptions": [{"log_group": "/g", "filter": "f", "function_arn": FN, "settings": {"filterPattern": ""}}],
    "cognito": [{"pool_id": "p", "pool_name": "n", "pool_arn": "a", "triggers": {"PreSignUp": FN}}],
    "pipes": [{"name": "p", "arn": "a", "pipe": {"Source": "arn:aws:sqs:us-east-1:123456789012:q", "Target": FN,
                                                 "RoleArn": "r"}}],
    "iot": [{"name": "r", "arn": "a", "payload": {"sql": "SELECT * FROM 't'", "actions": [
        {"lambda": {"functionArn": FN}}]}}],
    "ses": [{"rule_set": "s", "active": True, "after": [], "rule": {"Name": "r", "Actions": [
        {"LambdaAction": {"FunctionArn": FN}}]}}],
    "secrets_rotation": [{"name": "s", "arn": "a", "function_arn": FN, "rules": {"AutomaticallyAfterDays": 30},
                          "enabled": True}],
    "firehose": [{"name": "d", "arn": "a", "destination_id": "destinationId-000000000001",
                  "destination": "ExtendedS3", "processing": {"Enabled": True, "Processors": [
                      {"Type": "Lambda", "Parameters": [{"ParameterName": "LambdaArn", "ParameterValue": FN}]}]}}],
    "appsync": [{"api_id": "a", "api_name": "n", "api_arn": "arn", "data_sources": [
        {"name": "d", "type": "AWS_LAMBDA", "lambdaConfig": {"lambdaFunctionArn": FN}}],
                 "authorizers": [{"default": True, "config": {"authorizerUri": FN}}]}],
    "cloudwatch_alarms": [{"name": "a", "arn": "arn", "type": "metric", "tags": [],
                           "alarm": {"AlarmName": "a", "AlarmActions": [FN]}}],
}
RECORD = {"account": "123456789012", "region": "us-east-1", "name": "f", "arn": FN, "items": {}}
# Kinds whose to_iac declares no resource on purpose: what they record is a property of another
# kind's resource (reserved/provisioned concurrency, RecursiveLoop and RuntimeManagementConfig of the
# function or alias, a mapping's Tags): they patch it.
PROPERTY_KINDS = {"concurrency", "recursion", "runtime_management", "mapping_tags"}
NO_IAC = {"referenced_by"}  # other resources that name the function, not this function's
# Trigger kinds whose to_iac still returns CloudFormation snippets (a list) rather than a Fragment:
# the exporter keeps those as snippets in the template's metadata (see export/template.py).
SNIPPET_KINDS = {"alb", "logs_subscriptions", "cognito", "pipes", "iot", "ses", "secrets_rotation", "firehose",
                 "appsync", "cloudwatch_alarms"}


def test_every_kind_but_referenced_by_has_to_iac() -> None:
    assert {k.NAME for k in KINDS if not callable(getattr(k, "to_iac", None))} == NO_IAC


def test_function_to_iac_keeps_secrets_out_and_code_as_an_asset() -> None:
    frag = by_name("function").to_iac(RECORD, SAMPLES["function"])
    ((logical_id, resource),) = frag.resources.items()
    assert "s3cr3t" not in str(frag)
    variables = resource["Properties"]["Environment"]["Variables"]
    assert frag.parameters[variables["TOKEN"]["Ref"]]["NoEcho"] is True
    assert resource["Properties"]["KmsKeyArn"] == "k" and resource["Properties"]["Code"] == {"LambdaArk::Asset": "abc"}
    assert frag.arns == {FN: f"${{{logical_id}.Arn}}"}


@pytest.mark.parametrize("name", [*TRIGGERS, "role"])
def test_trigger_and_role_kinds_have_to_iac(name: str) -> None:
    if _position(name) is None:
        pytest.skip(f"{name} not registered")
    assert callable(getattr(by_name(name), "to_iac", None))


@pytest.mark.parametrize("kind", [k for k in KINDS if k.NAME not in NO_IAC], ids=lambda k: k.NAME)
def test_to_iac_produces_cloudformation_types(kind: ModuleType) -> None:
    from lambda_ark.kinds.iac import Fragment

    assert kind.NAME in SAMPLES, f"add a sample of {kind.NAME}'s data to SAMPLES"
    record = dict(RECORD, items={"versions": SAMPLES["versions"], "function": SAMPLES["function"],
                                 "aliases": SAMPLES["aliases"]})
    frag = kind.to_iac(record, SAMPLES[kind.NAME])
    if isinstance(frag, list):  # snippets: only the kinds listed, so a new kind writes a Fragment
        assert kind.NAME in SNIPPET_KINDS and frag
        assert all(r["Type"].startswith("AWS::") and isinstance(r.get("Properties"), dict) for r in frag)
        return
    assert isinstance(frag, Fragment)
    assert frag.resources or frag.patches or frag.outputs or (kind.NAME in PROPERTY_KINDS and frag.notes)
    for logical_id, resource in frag.resources.items():
        assert logical_id.isalnum() and len(logical_id) <= 255
        assert resource["Type"].startswith("AWS::") and isinstance(resource.get("Properties"), dict)


# Region-scoped kinds a drill may wire: mappings (created disabled), the API kinds (drill-owned
# copies), dependents (never rewired: --rewire-dependents is off in a drill).
DRILL_WIRES = {"mappings", "apigateway", "apigatewayv2", "referenced_by"}


@pytest.mark.parametrize("kind", [k for k in KINDS if k.SCOPE == "region" and k.NAME not in DRILL_WIRES],
                         ids=lambda k: k.NAME)
def test_a_drill_never_wires_a_trigger_production_uses(kind: ModuleType) -> None:
    """In isolation every other trigger kind is skipped: by restore's plan, or by its own (before
    any AWS call: the context here has no AWS at all)."""
    from typing import Any

    from lambda_ark.kinds.base import RestoreContext
    from lambda_ark.restore.arns import ArnMapper
    from lambda_ark.restore.plan import DRILL_SKIPS

    if kind.NAME in DRILL_SKIPS:
        return
    ctx = RestoreContext(aws=Any, mapper=ArnMapper(), read_file=lambda key: b"", drill="d1")  # type: ignore[arg-type]
    changes = kind.plan(ctx, RECORD, SAMPLES[kind.NAME])
    assert changes and all(c.action == "skipped" and c.detail.startswith("drill: ") for c in changes)
