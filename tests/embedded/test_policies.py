"""Each qualifier ($LATEST, a version, an alias) has its own resource policy."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import botocore.exceptions
import pytest

from .conftest import create_function


def statements(lam: Any, name: str, qualifier: str | None = None) -> list[dict[str, Any]]:
    kwargs = {"Qualifier": qualifier} if qualifier else {}
    try:
        policy = lam.get_policy(FunctionName=name, **kwargs)
    except botocore.exceptions.ClientError as exc:
        assert exc.response["Error"]["Code"] == "ResourceNotFoundException"
        return []
    return list(json.loads(policy["Policy"])["Statement"])


def add(lam: Any, name: str, sid: str, qualifier: str | None = None) -> None:
    kwargs = {"Qualifier": qualifier} if qualifier else {}
    lam.add_permission(FunctionName=name, StatementId=sid, Action="lambda:InvokeFunction",
                       Principal="apigateway.amazonaws.com",
                       SourceArn="arn:aws:execute-api:us-east-1:123456789012:abc/*", **kwargs)


def test_qualifiers_have_separate_policies(client: Callable[..., Any], role: str,
                                           unique: Callable[[str], str]) -> None:
    lam = client("lambda")
    name = unique("pol")
    create_function(lam, name, role, Publish=True)
    arn = lam.get_function_configuration(FunctionName=name)["FunctionArn"]
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    add(lam, name, "unqualified")
    add(lam, name, "on-version", "1")
    add(lam, name, "on-alias", "live")

    assert [(s["Sid"], s["Resource"]) for s in statements(lam, name)] == [("unqualified", arn)]
    assert [(s["Sid"], s["Resource"]) for s in statements(lam, name, "1")] == [("on-version", f"{arn}:1")]
    assert [(s["Sid"], s["Resource"]) for s in statements(lam, name, "live")] == [("on-alias", f"{arn}:live")]
    cond = statements(lam, name, "live")[0]["Condition"]
    assert cond == {"ArnLike": {"AWS:SourceArn": "arn:aws:execute-api:us-east-1:123456789012:abc/*"}}


def test_new_version_starts_without_a_policy(client: Callable[..., Any], role: str,
                                             unique: Callable[[str], str]) -> None:
    lam = client("lambda")
    name = unique("pol-new")
    create_function(lam, name, role)
    add(lam, name, "s")
    lam.publish_version(FunctionName=name)
    assert statements(lam, name, "1") == []
    assert [s["Sid"] for s in statements(lam, name)] == ["s"]


def test_remove_permission_honours_qualifier_and_revision(client: Callable[..., Any], role: str,
                                                          unique: Callable[[str], str]) -> None:
    lam = client("lambda")
    name = unique("pol-rm")
    create_function(lam, name, role, Publish=True)
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    add(lam, name, "same-sid")
    add(lam, name, "same-sid", "live")
    rid = lam.get_policy(FunctionName=name, Qualifier="live")["RevisionId"]  # the policy's own revision
    lam.remove_permission(FunctionName=name, StatementId="same-sid", Qualifier="live", RevisionId=rid)
    assert statements(lam, name, "live") == []
    assert [s["Sid"] for s in statements(lam, name)] == ["same-sid"]
    with pytest.raises(botocore.exceptions.ClientError) as info:
        lam.remove_permission(FunctionName=name, StatementId="same-sid", RevisionId="stale")
    assert info.value.response["Error"]["Code"] == "PreconditionFailedException"


def test_statements_carry_conditions_as_aws_writes_them(client: Callable[..., Any], role: str,
                                                        unique: Callable[[str], str]) -> None:
    # Shapes recorded from AWS (LocalStack's test_add_lambda_permission_fields snapshot) and the
    # function URL guide (urls-auth: InvokedViaFunctionUrl is a Bool condition).
    lam = client("lambda")
    name = unique("pol-shape")
    create_function(lam, name, role)
    arn = lam.get_function_configuration(FunctionName=name)["FunctionArn"]
    lam.add_permission(FunctionName=name, StatementId="url", Action="lambda:InvokeFunctionUrl", Principal="*",
                       SourceArn="arn:aws:s3:::b", SourceAccount="123456789012", PrincipalOrgID="o-1234567890",
                       FunctionUrlAuthType="NONE")
    lam.add_permission(FunctionName=name, StatementId="via-url", Action="lambda:InvokeFunction", Principal="*",
                       InvokedViaFunctionUrl=True)
    lam.add_permission(FunctionName=name, StatementId="alexa", Action="lambda:InvokeFunction", Principal="*",
                       EventSourceToken="amzn1.ask.skill.x")
    lam.add_permission(FunctionName=name, StatementId="account", Action="lambda:InvokeFunction",
                       Principal="111122223333")
    got = {s["Sid"]: s for s in statements(lam, name)}
    assert got["url"] == {
        "Sid": "url", "Effect": "Allow", "Principal": "*", "Action": "lambda:InvokeFunctionUrl", "Resource": arn,
        "Condition": {
            "StringEquals": {"AWS:SourceAccount": "123456789012", "lambda:FunctionUrlAuthType": "NONE",
                             "aws:PrincipalOrgID": "o-1234567890"},
            "ArnLike": {"AWS:SourceArn": "arn:aws:s3:::b"},
        },
    }
    assert got["via-url"]["Condition"] == {"Bool": {"lambda:InvokedViaFunctionUrl": "true"}}
    assert got["alexa"]["Condition"] == {"StringEquals": {"lambda:EventSourceToken": "amzn1.ask.skill.x"}}
    assert got["account"]["Principal"] == {"AWS": "arn:aws:iam::111122223333:root"}
    assert all("FunctionUrlAuthType" not in s and "InvokedViaFunctionUrl" not in s for s in got.values())


def test_a_statement_id_is_used_once_per_policy(client: Callable[..., Any], role: str,
                                                unique: Callable[[str], str]) -> None:
    lam = client("lambda")
    name = unique("pol-dup")
    create_function(lam, name, role)
    add(lam, name, "s3")
    with pytest.raises(botocore.exceptions.ClientError) as info:
        add(lam, name, "s3")
    assert info.value.response["Error"]["Code"] == "ResourceConflictException"
    assert [s["Sid"] for s in statements(lam, name)] == ["s3"]
