"""Code signing configs and a function's link to one, as AWS answers (LocalStack's recorded AWS
responses: TestCodeSigningConfig::test_function_code_signing_config, test_code_signing_not_found_excs)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import botocore.exceptions
import pytest

from .conftest import create_function

PROFILE = "arn:aws:signer:us-east-1:123456789012:/signing-profiles/test/abcdef1234"


def error_code(call: Callable[..., Any], **kwargs: Any) -> str:
    with pytest.raises(botocore.exceptions.ClientError) as info:
        call(**kwargs)
    return str(info.value.response["Error"]["Code"])


def test_config_lifecycle(client: Callable[..., Any], role: str, unique: Callable[[str], str]) -> None:
    lam = client("lambda")
    created = lam.create_code_signing_config(
        Description="signed", AllowedPublishers={"SigningProfileVersionArns": [PROFILE]},
        CodeSigningPolicies={"UntrustedArtifactOnDeployment": "Enforce"}, Tags={"team": "a"},
    )["CodeSigningConfig"]
    arn = created["CodeSigningConfigArn"]
    assert arn == f"arn:aws:lambda:us-east-1:123456789012:code-signing-config:{created['CodeSigningConfigId']}"
    assert created["CodeSigningConfigId"].startswith("csc-") and len(created["CodeSigningConfigId"]) == 21
    assert created["AllowedPublishers"] == {"SigningProfileVersionArns": [PROFILE]}
    assert lam.list_tags(Resource=arn)["Tags"] == {"team": "a"}

    updated = lam.update_code_signing_config(CodeSigningConfigArn=arn,
                                             CodeSigningPolicies={"UntrustedArtifactOnDeployment": "Warn"})
    assert updated["CodeSigningConfig"]["CodeSigningPolicies"] == {"UntrustedArtifactOnDeployment": "Warn"}
    assert updated["CodeSigningConfig"]["Description"] == "signed"  # unchanged members stay
    assert lam.get_code_signing_config(CodeSigningConfigArn=arn)["CodeSigningConfig"] == updated["CodeSigningConfig"]
    assert arn in [c["CodeSigningConfigArn"] for c in lam.list_code_signing_configs()["CodeSigningConfigs"]]

    name = unique("csc-fn")
    create_function(lam, name, role)
    fn_arn = lam.get_function_configuration(FunctionName=name)["FunctionArn"]
    got = lam.get_function_code_signing_config(FunctionName=name)
    assert "CodeSigningConfigArn" not in got  # none yet: 200 with no ARN
    assert lam.put_function_code_signing_config(FunctionName=name, CodeSigningConfigArn=arn)[
        "CodeSigningConfigArn"] == arn
    assert lam.get_function_code_signing_config(FunctionName=name) | {"ResponseMetadata": None} == {
        "CodeSigningConfigArn": arn, "FunctionName": name, "ResponseMetadata": None}
    assert lam.list_functions_by_code_signing_config(CodeSigningConfigArn=arn)["FunctionArns"] == [fn_arn]

    lam.delete_function_code_signing_config(FunctionName=name)
    lam.delete_function_code_signing_config(FunctionName=name)  # nothing to delete: still 204
    assert "CodeSigningConfigArn" not in lam.get_function_code_signing_config(FunctionName=name)
    lam.delete_code_signing_config(CodeSigningConfigArn=arn)
    assert error_code(lam.get_code_signing_config, CodeSigningConfigArn=arn) == "ResourceNotFoundException"


def test_created_with_a_function(client: Callable[..., Any], role: str, unique: Callable[[str], str]) -> None:
    lam = client("lambda")
    arn = lam.create_code_signing_config(AllowedPublishers={"SigningProfileVersionArns": [PROFILE]})[
        "CodeSigningConfig"]["CodeSigningConfigArn"]
    assert lam.get_code_signing_config(CodeSigningConfigArn=arn)["CodeSigningConfig"]["CodeSigningPolicies"] == {
        "UntrustedArtifactOnDeployment": "Warn"}  # AWS's default
    name = unique("csc-create")
    create_function(lam, name, role, CodeSigningConfigArn=arn)
    assert lam.get_function_code_signing_config(FunctionName=name)["CodeSigningConfigArn"] == arn


def test_missing_things(client: Callable[..., Any], role: str, unique: Callable[[str], str]) -> None:
    lam = client("lambda")
    gone = "arn:aws:lambda:us-east-1:123456789012:code-signing-config:csc-0000000000000000a"
    name = unique("csc-missing")
    create_function(lam, name, role)
    assert error_code(lam.get_code_signing_config, CodeSigningConfigArn=gone) == "ResourceNotFoundException"
    assert error_code(lam.update_code_signing_config, CodeSigningConfigArn=gone,
                      Description="x") == "ResourceNotFoundException"
    assert error_code(lam.delete_code_signing_config, CodeSigningConfigArn=gone) == "ResourceNotFoundException"
    assert error_code(lam.list_functions_by_code_signing_config,
                      CodeSigningConfigArn=gone) == "ResourceNotFoundException"
    assert error_code(lam.put_function_code_signing_config, FunctionName=name,
                      CodeSigningConfigArn=gone) == "CodeSigningConfigNotFoundException"
    assert error_code(lam.get_function_code_signing_config, FunctionName="no-such-fn") == "ResourceNotFoundException"
    assert error_code(lam.delete_function_code_signing_config,
                      FunctionName="no-such-fn") == "ResourceNotFoundException"
    with pytest.raises(botocore.exceptions.ClientError) as info:
        create_function(lam, unique("csc-bad"), role, CodeSigningConfigArn=gone)
    assert info.value.response["Error"]["Code"] == "CodeSigningConfigNotFoundException"


def test_configs_are_listed_in_pages(client: Callable[..., Any]) -> None:
    lam = client("lambda")
    for i in range(3):
        lam.create_code_signing_config(Description=f"p{i}", AllowedPublishers={"SigningProfileVersionArns": [PROFILE]})
    first = lam.list_code_signing_configs(MaxItems=2)
    assert len(first["CodeSigningConfigs"]) == 2 and first["NextMarker"]
    listed = [c for page in lam.get_paginator("list_code_signing_configs").paginate()
              for c in page["CodeSigningConfigs"]]
    assert len({c["CodeSigningConfigArn"] for c in listed}) == len(listed) >= 3
