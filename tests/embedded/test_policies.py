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
    rid = lam.get_alias(FunctionName=name, Name="live")["RevisionId"]
    lam.remove_permission(FunctionName=name, StatementId="same-sid", Qualifier="live", RevisionId=rid)
    assert statements(lam, name, "live") == []
    assert [s["Sid"] for s in statements(lam, name)] == ["same-sid"]
    with pytest.raises(botocore.exceptions.ClientError) as info:
        lam.remove_permission(FunctionName=name, StatementId="same-sid", RevisionId="stale")
    assert info.value.response["Error"]["Code"] == "PreconditionFailedException"
