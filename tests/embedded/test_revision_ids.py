"""RevisionId is where AWS reports it and moves when AWS moves it: on code and configuration changes
and publishing, not on anything kept beside the configuration (aliases, tags, concurrency, URLs,
invoke configs, event source mappings, permissions). Backup must see those changes some other way,
and this endpoint must not hide that by being kinder than AWS."""

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


@pytest.mark.parametrize("change", ["code", "configuration", "publish"])
def test_code_configuration_and_publishing_give_a_new_revision_id(
    change: str, client: Callable[..., Any], role: str, unique: Callable[[str], str]
) -> None:
    lam = client("lambda")
    name = unique(f"rev-{change}")
    create_function(lam, name, role)
    before = lam.get_function_configuration(FunctionName=name)["RevisionId"]
    if change == "code":
        resp = lam.update_function_code(FunctionName=name, ZipFile=zip_bytes("v2"))
    elif change == "configuration":
        resp = lam.update_function_configuration(FunctionName=name, MemorySize=256)
    else:
        resp = lam.publish_version(FunctionName=name)  # AWS: publishing moves $LATEST's id too
    after = lam.get_function_configuration(FunctionName=name)["RevisionId"]
    assert after != before
    assert listed(lam, name)["RevisionId"] == after
    if change != "publish":
        assert resp["RevisionId"] == after


def _esm_queue(client: Callable[..., Any], name: str) -> str:
    sqs = client("sqs")
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    return str(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"])


# Each change, made on a function with a version 1, an alias "live" and a permission "s0".
SIDE_CHANGES: dict[str, Callable[[Any, str, str, Callable[..., Any]], Any]] = {
    "create_alias": lambda lam, n, arn, c: lam.create_alias(FunctionName=n, Name="beta", FunctionVersion="1"),
    "update_alias": lambda lam, n, arn, c: lam.update_alias(FunctionName=n, Name="live", Description="moved"),
    "delete_alias": lambda lam, n, arn, c: lam.delete_alias(FunctionName=n, Name="live"),
    "tag": lambda lam, n, arn, c: lam.tag_resource(Resource=arn, Tags={"team": "a"}),
    "untag": lambda lam, n, arn, c: lam.untag_resource(Resource=arn, TagKeys=["keep"]),
    "reserved_concurrency": lambda lam, n, arn, c: lam.put_function_concurrency(
        FunctionName=n, ReservedConcurrentExecutions=3),
    "provisioned_concurrency": lambda lam, n, arn, c: lam.put_provisioned_concurrency_config(
        FunctionName=n, Qualifier="live", ProvisionedConcurrentExecutions=1),
    "url": lambda lam, n, arn, c: lam.create_function_url_config(FunctionName=n, AuthType="AWS_IAM"),
    "invoke_config": lambda lam, n, arn, c: lam.put_function_event_invoke_config(
        FunctionName=n, MaximumRetryAttempts=1),
    "event_source_mapping": lambda lam, n, arn, c: lam.create_event_source_mapping(
        FunctionName=n, EventSourceArn=_esm_queue(c, f"{n}-q")),
    "add_permission": lambda lam, n, arn, c: lam.add_permission(
        FunctionName=n, StatementId="s1", Action="lambda:InvokeFunction", Principal="sns.amazonaws.com"),
    "remove_permission": lambda lam, n, arn, c: lam.remove_permission(FunctionName=n, StatementId="s0"),
}


@pytest.mark.parametrize("change", sorted(SIDE_CHANGES))
def test_what_lives_beside_the_configuration_does_not_move_the_revision_id(
    change: str, client: Callable[..., Any], role: str, unique: Callable[[str], str]
) -> None:
    lam = client("lambda")
    name = unique(f"rev-{change.replace('_', '-')}")
    arn = create_function(lam, name, role, Publish=True, Tags={"keep": "x"})["FunctionArn"]
    lam.add_permission(FunctionName=name, StatementId="s0", Action="lambda:InvokeFunction",
                       Principal="s3.amazonaws.com")
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    before = lam.get_function_configuration(FunctionName=name)["RevisionId"]
    version_before = lam.get_function_configuration(FunctionName=name, Qualifier="1")["RevisionId"]

    SIDE_CHANGES[change](lam, name, arn, client)

    assert lam.get_function_configuration(FunctionName=name)["RevisionId"] == before
    assert listed(lam, name)["RevisionId"] == before
    assert lam.get_function_configuration(FunctionName=name, Qualifier="1")["RevisionId"] == version_before


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
    with pytest.raises(botocore.exceptions.ClientError) as info:
        lam.update_alias(FunctionName=name, Name="live", Description="y", RevisionId=created["RevisionId"])
    assert info.value.response["Error"]["Code"] == "PreconditionFailedException"


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


def test_the_policy_has_its_own_revision_id_checked_by_permission_changes(
    client: Callable[..., Any], role: str, unique: Callable[[str], str]
) -> None:
    lam = client("lambda")
    name = unique("rev-policy")
    create_function(lam, name, role)
    lam.add_permission(FunctionName=name, StatementId="s", Action="lambda:InvokeFunction",
                       Principal="events.amazonaws.com")
    first = lam.get_policy(FunctionName=name)
    assert [s["Sid"] for s in json.loads(first["Policy"])["Statement"]] == ["s"]
    lam.add_permission(FunctionName=name, StatementId="t", Action="lambda:InvokeFunction",
                       Principal="sns.amazonaws.com", RevisionId=first["RevisionId"])
    second = lam.get_policy(FunctionName=name)["RevisionId"]
    assert second != first["RevisionId"]
    with pytest.raises(botocore.exceptions.ClientError) as info:  # a stale policy revision
        lam.remove_permission(FunctionName=name, StatementId="s", RevisionId=first["RevisionId"])
    assert info.value.response["Error"]["Code"] == "PreconditionFailedException"
    lam.remove_permission(FunctionName=name, StatementId="s", RevisionId=second)
    assert [s["Sid"] for s in json.loads(lam.get_policy(FunctionName=name)["Policy"])["Statement"]] == ["t"]
