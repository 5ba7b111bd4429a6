"""CloudFormation's Lambda resources create what the API would (embedded/patches/cloudformation_lambda.py).

AWS CloudFormation resource reference: AWS::Lambda::Function takes every CreateFunction setting and
ReservedConcurrentExecutions / RecursiveLoop; Ref of a function is its name, GetAtt Arn its ARN; Ref of
a Version is the version's ARN, GetAtt Version its number, and a CodeSha256 that differs from the
function's code fails it; Ref of an Alias or LayerVersion is its ARN.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from .conftest import sha256_b64, zip_bytes


def _template(name: str, role: str, layer_zip_sha: str, code_sha: str) -> dict[str, Any]:
    fn = {"Ref": "Fn"}
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Resources": {
            "Layer": {"Type": "AWS::Lambda::LayerVersion", "Properties": {
                "LayerName": f"{name}-layer", "Description": "helpers", "CompatibleArchitectures": ["arm64"],
                "Content": {"S3Bucket": "cfn-code", "S3Key": "layer.zip"}}},
            "Fn": {"Type": "AWS::Lambda::Function", "Properties": {
                "FunctionName": name, "Runtime": "python3.12", "Handler": "handler.main", "Role": role,
                "Code": {"S3Bucket": "cfn-code", "S3Key": "fn.zip"}, "Layers": [{"Ref": "Layer"}],
                "Architectures": ["arm64"], "Tags": [{"Key": "team", "Value": "shop"}],
                "TracingConfig": {"Mode": "Active"}, "KmsKeyArn": "arn:aws:kms:us-east-1:123456789012:key/k",
                "ReservedConcurrentExecutions": 3, "RecursiveLoop": "Allow", "EphemeralStorage": {"Size": 1024}}},
            "V1": {"Type": "AWS::Lambda::Version", "Properties": {
                "FunctionName": fn, "Description": "first", "CodeSha256": code_sha}},
            "Live": {"Type": "AWS::Lambda::Alias", "Properties": {
                "FunctionName": fn, "Name": "live", "FunctionVersion": {"Fn::GetAtt": ["V1", "Version"]},
                "ProvisionedConcurrencyConfig": {"ProvisionedConcurrentExecutions": 2}}},
            "Url": {"Type": "AWS::Lambda::Url", "DependsOn": ["Live"], "Properties": {
                "TargetFunctionArn": {"Fn::GetAtt": ["Fn", "Arn"]}, "Qualifier": "live", "AuthType": "AWS_IAM"}},
            "Async": {"Type": "AWS::Lambda::EventInvokeConfig", "Properties": {
                "FunctionName": fn, "Qualifier": "$LATEST", "MaximumRetryAttempts": 0}},
            "Perm": {"Type": "AWS::Lambda::Permission", "Properties": {
                "FunctionName": {"Ref": "Live"}, "Action": "lambda:InvokeFunction", "Principal": "s3.amazonaws.com",
                "SourceArn": "arn:aws:s3:::uploads", "SourceAccount": "123456789012"}},
        },
        "Outputs": {"VersionRef": {"Value": {"Ref": "V1"}},
                    "VersionNumber": {"Value": {"Fn::GetAtt": ["V1", "Version"]}},
                    "AliasRef": {"Value": {"Ref": "Live"}}, "LayerRef": {"Value": {"Ref": "Layer"}},
                    "FunctionRef": {"Value": fn}},
    }


@pytest.fixture
def code(client: Callable[..., Any]) -> tuple[bytes, bytes]:
    s3 = client("s3")
    try:
        s3.create_bucket(Bucket="cfn-code")
    except s3.exceptions.BucketAlreadyOwnedByYou:
        pass
    fn, layer = zip_bytes("def main(e, c):\n    return 1\n"), zip_bytes("X = 1\n", "python/x.py")
    s3.put_object(Bucket="cfn-code", Key="fn.zip", Body=fn)
    s3.put_object(Bucket="cfn-code", Key="layer.zip", Body=layer)
    return fn, layer


def test_a_version_whose_code_sha256_differs_fails_and_rolls_back_the_stack(
    client: Callable[..., Any], role: str, unique: Callable[[str], str], code: tuple[bytes, bytes]
) -> None:
    name = unique("cfn")
    cfn = client("cloudformation")
    template = _template(name, role, sha256_b64(code[1]), "AAAA" + sha256_b64(code[0])[4:])
    cfn.create_stack(StackName=name, TemplateBody=json.dumps(template))  # answers, as AWS does
    assert cfn.describe_stacks(StackName=name)["Stacks"][0]["StackStatus"] == "ROLLBACK_COMPLETE"
    failed = [e for e in cfn.describe_stack_events(StackName=name)["StackEvents"]
              if e["ResourceStatus"] == "CREATE_FAILED"]
    assert [(e["LogicalResourceId"], e["ResourceType"]) for e in failed] == [("V1", "AWS::Lambda::Version")]
    assert "does not match the function's code" in failed[0]["ResourceStatusReason"]
    with pytest.raises(client("lambda").exceptions.ResourceNotFoundException):  # rolled back
        client("lambda").get_function(FunctionName=name)


def test_lambda_resources_are_created_as_the_api_would(client: Callable[..., Any], role: str,
                                                       unique: Callable[[str], str], code: tuple[bytes, bytes]) -> None:
    name = unique("cfn")
    cfn, lam = client("cloudformation"), client("lambda")
    cfn.create_stack(StackName=name, TemplateBody=json.dumps(_template(name, role, sha256_b64(code[1]),
                                                                       sha256_b64(code[0]))))
    outputs = {o["OutputKey"]: o["OutputValue"] for o in cfn.describe_stacks(StackName=name)["Stacks"][0]["Outputs"]}
    got = lam.get_function(FunctionName=name)
    conf = got["Configuration"]
    arn = conf["FunctionArn"]
    assert outputs == {"VersionRef": f"{arn}:1", "VersionNumber": "1", "AliasRef": f"{arn}:live",
                       "LayerRef": conf["Layers"][0]["Arn"], "FunctionRef": name}
    assert (conf["Architectures"], conf["TracingConfig"], conf["KMSKeyArn"], conf["EphemeralStorage"]) == (
        ["arm64"], {"Mode": "Active"}, "arn:aws:kms:us-east-1:123456789012:key/k", {"Size": 1024})
    assert got["Tags"] == {"team": "shop"} and got["Concurrency"]["ReservedConcurrentExecutions"] == 3
    assert lam.get_function_recursion_config(FunctionName=name)["RecursiveLoop"] == "Allow"
    layer = lam.get_layer_version_by_arn(Arn=outputs["LayerRef"])
    assert (layer["Description"], layer["CompatibleArchitectures"]) == ("helpers", ["arm64"])
    (version,) = [v for v in lam.list_versions_by_function(FunctionName=name)["Versions"] if v["Version"] == "1"]
    assert version["Description"] == "first"
    assert lam.get_alias(FunctionName=name, Name="live")["FunctionVersion"] == "1"
    assert lam.get_provisioned_concurrency_config(FunctionName=name, Qualifier="live")[
        "RequestedProvisionedConcurrentExecutions"] == 2
    assert lam.get_function_url_config(FunctionName=name, Qualifier="live")["AuthType"] == "AWS_IAM"
    assert lam.get_function_event_invoke_config(FunctionName=name)["MaximumRetryAttempts"] == 0
    (statement,) = json.loads(lam.get_policy(FunctionName=name, Qualifier="live")["Policy"])["Statement"]
    assert statement["Principal"] == {"Service": "s3.amazonaws.com"}
    assert statement["Condition"] == {"StringEquals": {"AWS:SourceAccount": "123456789012"},
                                      "ArnLike": {"AWS:SourceArn": "arn:aws:s3:::uploads"}}
