"""The Lambda API surface a backup must keep: every writable member of the operations that build a
function and what hangs off it is recorded by some kind, or left out with a reason (botocore's
model says what the members are, so a new AWS field fails here until someone decides).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from ownaccount import backup, create_function, not_unchanged, own_account, restore

from lambda_ark.aws import Aws
from lambda_ark.backup import BackupOptions, run_backup
from lambda_ark.kinds import KINDS, function
from lambda_ark.restore.apply import RestoreOptions

OPERATIONS = (
    "CreateFunction",
    "UpdateFunctionConfiguration",
    "CreateAlias",
    "CreateEventSourceMapping",
    "CreateFunctionUrlConfig",
    "PutFunctionEventInvokeConfig",
)
_MODEL = botocore.session.get_session().get_service_model("lambda")


def _members(operation: str) -> set[str]:
    return set(_MODEL.operation_model(operation).input_shape.members)


def _recorded(operation: str) -> set[str]:
    return {m for kind in KINDS for m in getattr(kind, "RECORDED", {}).get(operation, ())}


def _excluded(operation: str) -> dict[str, str]:
    return {m: why for kind in KINDS for m, why in getattr(kind, "NOT_RECORDED", {}).get(operation, {}).items()}


@pytest.mark.parametrize("operation", OPERATIONS)
def test_every_writable_member_is_recorded_or_excluded_with_a_reason(operation: str) -> None:
    members, recorded, excluded = _members(operation), _recorded(operation), _excluded(operation)
    assert sorted(members - recorded - set(excluded)) == [], "neither recorded nor excluded: decide, in the kind"
    assert sorted(recorded & set(excluded)) == [], "both recorded and excluded"
    assert sorted((recorded | set(excluded)) - members) == [], "declared but not in the API (renamed? removed?)"
    assert all(len(why.split()) >= 3 for why in excluded.values()), "a reason says why"


def test_create_only_members_are_those_update_cannot_take() -> None:
    only_at_create = _members("CreateFunction") - _members("UpdateFunctionConfiguration")
    for member in function.CREATE_ONLY:
        assert member in only_at_create and member in function._CONFIG_FIELDS
    # every configuration field create takes and update does not is declared create-only
    assert {m for m in only_at_create if m in function._CONFIG_FIELDS} == set(function.CREATE_ONLY)
    assert set(function.ENABLED_ONLY_AT_CREATE) <= _members("UpdateFunctionConfiguration")


def _everything(own: Aws, region: str) -> dict[str, Any]:
    """CreateFunction arguments setting every recorded configuration field the endpoint can hold."""
    account = own.account_id()
    ec2 = own.client("ec2", region)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName="fn", Description="fn", VpcId=vpc)["GroupId"]
    layer = own.client("lambda", region).publish_layer_version(LayerName="shared", Content={"ZipFile": b"PK\x05\x06"
                                                                                              + b"\x00" * 18})
    return {
        "Description": "all of it", "Timeout": 30, "MemorySize": 256,
        "VpcConfig": {"SubnetIds": [subnet], "SecurityGroupIds": [group]},
        "DeadLetterConfig": {"TargetArn": f"arn:aws:sqs:{region}:{account}:dlq"},
        "Environment": {"Variables": {"A": "1"}},
        "KMSKeyArn": f"arn:aws:kms:{region}:{account}:key/k",
        "TracingConfig": {"Mode": "Active"},
        "Layers": [layer["LayerVersionArn"]],
        "FileSystemConfigs": [{"Arn": f"arn:aws:elasticfilesystem:{region}:{account}:access-point/fsap-1",
                               "LocalMountPath": "/mnt/efs"}],
        "EphemeralStorage": {"Size": 1024},
        "LoggingConfig": {"LogFormat": "JSON", "ApplicationLogLevel": "INFO", "SystemLogLevel": "WARN",
                          "LogGroup": "/custom/group"},
        "SnapStart": {"ApplyOn": "PublishedVersions"},
        "TenancyConfig": {"TenantIsolationMode": "PER_TENANT"},
        "CapacityProviderConfig": {"LambdaManagedInstancesCapacityProviderConfig": {
            "CapacityProviderArn": f"arn:aws:lambda:{region}:{account}:capacity-provider:cp",
            "PerExecutionEnvironmentMaxConcurrency": 4}},
        "DurableConfig": {"ExecutionTimeout": 3600, "RetentionPeriodInDays": 7},
        "RuntimeConfig": {"RuntimeArn": f"arn:aws:lambda:{region}:{account}:runtime:custom", "RuntimeAlias": "live"},
        "AcceleratorConfig": {"AcceleratorMemorySize": 16},
        "Architectures": ["arm64"],
        "Tags": {"team": "a"},
    }


def test_a_function_with_every_field_is_captured_whole(aws: Aws, tmp_path: Path) -> None:
    region = "eu-south-2"
    own = own_account(aws)
    create_function(own, region, "whole", **_everything(own, region))
    lam = own.client("lambda", region)
    lam.create_function(FunctionName="image", PackageType="Image", Role=f"arn:aws:iam::{own.account_id()}:role/fn",
                        Code={"ImageUri": f"{own.account_id()}.dkr.ecr.{region}.amazonaws.com/app:1"},
                        ImageConfig={"Command": ["app.handler"]})
    repo, result = backup(own, tmp_path, region)
    assert result.errors == []
    records = {r["name"]: r["items"]["function"] for r in repo.load_snapshot("latest").body["functions"]}
    whole, image = records["whole"], records["image"]
    outside_config = {"FunctionName", "Code", "PackageType", "Architectures", "Tags", "ImageConfig"}
    assert set(whole["config"]) == set(function.RECORDED["CreateFunction"]) - outside_config
    assert image["config"]["ImageConfig"]["Command"] == ["app.handler"]
    assert (whole["architectures"], whole["tags"], whole["package_type"]) == (["arm64"], {"team": "a"}, "Zip")


def test_2025_fields_come_back_in_another_region_and_in_place(aws: Aws, tmp_path: Path) -> None:
    src, dst = "eu-south-1", "eu-central-2"
    own = own_account(aws)
    account = own.account_id()
    fields = {
        "TenancyConfig": {"TenantIsolationMode": "PER_TENANT"},
        "DurableConfig": {"ExecutionTimeout": 3600, "RetentionPeriodInDays": 7},
        "AcceleratorConfig": {"AcceleratorMemorySize": 16},
        "CapacityProviderConfig": {"LambdaManagedInstancesCapacityProviderConfig": {
            "CapacityProviderArn": f"arn:aws:lambda:{src}:{account}:capacity-provider:cp"}},
    }
    create_function(own, src, "modern", **fields)
    repo, result = backup(own, tmp_path, src)
    assert result.errors == []

    moved = RestoreOptions(to_region=dst)
    assert restore(own, repo, moved).failed == []
    got = own.client("lambda", dst).get_function_configuration(FunctionName="modern")
    assert {k: got[k] for k in fields} == {**fields, "CapacityProviderConfig": {
        "LambdaManagedInstancesCapacityProviderConfig": {
            "CapacityProviderArn": f"arn:aws:lambda:{dst}:{account}:capacity-provider:cp"}}}
    assert not_unchanged(restore(own, repo, moved)) == []

    # in place, after drift: an update must not send what only create takes
    lam = own.client("lambda", src)
    lam.update_function_configuration(FunctionName="modern", Timeout=99, AcceleratorConfig={"AcceleratorMemorySize": 8})
    lam.get_waiter("function_updated_v2").wait(FunctionName="modern")
    in_place = RestoreOptions()
    applied = restore(own, repo, in_place)
    assert applied.failed == [], applied.failed
    got = lam.get_function_configuration(FunctionName="modern")
    assert (got["Timeout"], got["AcceleratorConfig"]) == (3, {"AcceleratorMemorySize": 16})
    assert not_unchanged(restore(own, repo, in_place)) == []


def test_mapping_tags_and_logging_config_are_recorded_and_restored(aws: Aws, tmp_path: Path) -> None:
    src, dst = "ap-southeast-1", "ap-southeast-3"
    own = own_account(aws)
    create_function(own, src, "consumer")
    for region in (src, dst):
        own.client("kinesis", region).create_stream(StreamName="events", ShardCount=1)
    stream = own.client("kinesis", src).describe_stream(StreamName="events")["StreamDescription"]["StreamARN"]
    own.client("lambda", src).create_event_source_mapping(
        FunctionName="consumer", EventSourceArn=stream, StartingPosition="LATEST", Tags={"team": "a"},
        LoggingConfig={"SystemLogLevel": "WARN"}, MetricsConfig={"Metrics": ["EventCount"]},
    )
    # CloudTrail stamps events to the second: a backup in the same second as a change must read it
    # again next time; one a second later has seen it for certain.
    time.sleep(1.1)
    repo, result = backup(own, tmp_path, src)
    assert result.errors == []
    (record,) = repo.load_snapshot("latest").body["functions"]
    (mapping,) = record["items"]["mappings"]
    assert mapping["args"]["LoggingConfig"] == {"SystemLogLevel": "WARN"}
    assert record["items"]["mapping_tags"] == [{"qualifier": "", "source": stream, "topics": [], "tags": {"team": "a"}}]

    options = RestoreOptions(to_region=dst)
    assert restore(own, repo, options).failed == []
    lam = own.client("lambda", dst)
    (restored,) = lam.list_event_source_mappings(FunctionName="consumer")["EventSourceMappings"]
    assert restored["LoggingConfig"] == {"SystemLogLevel": "WARN"}
    assert lam.list_tags(Resource=restored["EventSourceMappingArn"])["Tags"] == {"team": "a"}
    assert not_unchanged(restore(own, repo, options)) == []

    # tags are read again only for functions captured afresh: an unchanged function costs no ListTags
    before = own.calls["lambda.ListTags"]
    again = run_backup(own, repo, BackupOptions(regions=[src]))
    assert (again.captured, own.calls["lambda.ListTags"]) == (0, before)
    (record,) = repo.load_snapshot("latest").body["functions"]
    assert record["items"]["mapping_tags"][0]["tags"] == {"team": "a"}  # carried forward
