"""RevisionId is present everywhere AWS reports it and changes on every change to the function."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import botocore.exceptions
import pytest

from .conftest import create_function, zip_bytes


def listed(lam: Any, name: str) -> dict[str, Any]:
    for page in lam.get_paginator("list_functions").paginate():
        for fn in page["Functions"]:
            if fn["FunctionName"] == name:
                return dict(fn)
    raise AssertionError(f"{name} not listed")


def test_revision_id_on_create_get_and_list(client: Callable[..., Any], role: str,
                                            unique: Callable[[str], str]) -> None:
    lam = client("lambda")
    name = unique("rev")
    rid = create_function(lam, name, role)["RevisionId"]
    assert rid
    assert lam.get_function(FunctionName=name)["Configuration"]["RevisionId"] == rid
    assert lam.get_function_configuration(FunctionName=name)["RevisionId"] == rid
    assert listed(lam, name)["RevisionId"] == rid


@pytest.mark.parametrize("change", ["code", "configuration", "add_permission", "remove_permission",
                                    "create_alias", "update_alias", "delete_alias"])
def test_every_change_gives_a_new_revision_id(change: str, client: Callable[..., Any], role: str,
                                              unique: Callable[[str], str]) -> None:
    lam = client("lambda")
    name = unique(f"rev-{change}")
    create_function(lam, name, role, Publish=True)
    lam.add_permission(FunctionName=name, StatementId="s0", Action="lambda:InvokeFunction",
                       Principal="s3.amazonaws.com")
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    before = lam.get_function_configuration(FunctionName=name)["RevisionId"]

    if change == "code":
        resp = lam.update_function_code(FunctionName=name, ZipFile=zip_bytes("v2"))
    elif change == "configuration":
        resp = lam.update_function_configuration(FunctionName=name, MemorySize=256)
    elif change == "add_permission":
        resp = lam.add_permission(FunctionName=name, StatementId="s1", Action="lambda:InvokeFunction",
                                  Principal="sns.amazonaws.com")
    elif change == "remove_permission":
        resp = lam.remove_permission(FunctionName=name, StatementId="s0")
    elif change == "create_alias":
        resp = lam.create_alias(FunctionName=name, Name="beta", FunctionVersion="1")
    elif change == "update_alias":
        resp = lam.update_alias(FunctionName=name, Name="live", Description="moved")
    else:
        resp = lam.delete_alias(FunctionName=name, Name="live")

    after = lam.get_function_configuration(FunctionName=name)["RevisionId"]
    assert after != before
    assert listed(lam, name)["RevisionId"] == after
    if change in ("code", "configuration"):
        assert resp["RevisionId"] == after


def test_versions_keep_their_own_revision_id(client: Callable[..., Any], role: str,
                                             unique: Callable[[str], str]) -> None:
    lam = client("lambda")
    name = unique("rev-versions")
    create_function(lam, name, role)
    v1 = lam.publish_version(FunctionName=name)
    latest = lam.get_function_configuration(FunctionName=name)["RevisionId"]
    assert v1["RevisionId"] and v1["RevisionId"] != latest
    lam.update_function_configuration(FunctionName=name, Timeout=30)
    assert lam.get_function_configuration(FunctionName=name, Qualifier="1")["RevisionId"] == v1["RevisionId"]
    versions = lam.list_versions_by_function(FunctionName=name)["Versions"]
    by_version = {v["Version"]: v["RevisionId"] for v in versions}
    assert by_version["1"] == v1["RevisionId"]
    assert by_version["$LATEST"] == lam.get_function_configuration(FunctionName=name)["RevisionId"]


def test_alias_revision_id_changes_on_update(client: Callable[..., Any], role: str,
                                             unique: Callable[[str], str]) -> None:
    lam = client("lambda")
    name = unique("rev-alias")
    create_function(lam, name, role, Publish=True)
    created = lam.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    updated = lam.update_alias(FunctionName=name, Name="live", Description="x")
    assert updated["RevisionId"] != created["RevisionId"]
    assert lam.get_alias(FunctionName=name, Name="live")["RevisionId"] == updated["RevisionId"]


def test_stale_revision_id_is_a_failed_precondition(client: Callable[..., Any], role: str,
                                                    unique: Callable[[str], str]) -> None:
    lam = client("lambda")
    name = unique("rev-stale")
    stale = create_function(lam, name, role)["RevisionId"]
    lam.update_function_configuration(FunctionName=name, Description="changed")
    with pytest.raises(botocore.exceptions.ClientError) as info:
        lam.update_function_configuration(FunctionName=name, MemorySize=512, RevisionId=stale)
    assert info.value.response["Error"]["Code"] == "PreconditionFailedException"
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 412
    current = lam.get_function_configuration(FunctionName=name)["RevisionId"]
    assert lam.update_function_configuration(FunctionName=name, MemorySize=512, RevisionId=current)


def test_policy_revision_id_is_the_function_revision_id(client: Callable[..., Any], role: str,
                                                        unique: Callable[[str], str]) -> None:
    lam = client("lambda")
    name = unique("rev-policy")
    create_function(lam, name, role)
    lam.add_permission(FunctionName=name, StatementId="s", Action="lambda:InvokeFunction",
                       Principal="events.amazonaws.com")
    policy = lam.get_policy(FunctionName=name)
    assert policy["RevisionId"] == lam.get_function_configuration(FunctionName=name)["RevisionId"]
    assert [s["Sid"] for s in json.loads(policy["Policy"])["Statement"]] == ["s"]
