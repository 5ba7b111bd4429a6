"""Configuration fields backup records survive create and update, as in AWS."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import botocore.exceptions
import pytest

from .conftest import create_function, zip_bytes

DLQ = "arn:aws:sqs:us-east-1:123456789012:dlq"
TOPIC = "arn:aws:sns:us-east-1:123456789012:topic"


def test_create_records_every_field(client: Callable[..., Any], role: str, unique: Callable[[str], str]) -> None:
    lam = client("lambda")
    name = unique("cfg")
    create_function(lam, name, role, DeadLetterConfig={"TargetArn": DLQ}, TracingConfig={"Mode": "Active"},
                    LoggingConfig={"LogFormat": "JSON", "ApplicationLogLevel": "INFO", "SystemLogLevel": "WARN"},
                    SnapStart={"ApplyOn": "PublishedVersions"}, EphemeralStorage={"Size": 1024},
                    Architectures=["arm64"], Environment={"Variables": {"A": "1"}}, Publish=True)
    cfg = lam.get_function_configuration(FunctionName=name)
    assert cfg["DeadLetterConfig"] == {"TargetArn": DLQ}
    assert cfg["TracingConfig"] == {"Mode": "Active"}
    assert cfg["LoggingConfig"]["LogFormat"] == "JSON"
    assert cfg["LoggingConfig"]["ApplicationLogLevel"] == "INFO"
    assert cfg["LoggingConfig"]["LogGroup"] == f"/aws/lambda/{name}"
    assert cfg["SnapStart"] == {"ApplyOn": "PublishedVersions", "OptimizationStatus": "Off"}
    assert cfg["EphemeralStorage"] == {"Size": 1024}
    assert cfg["Architectures"] == ["arm64"]
    assert cfg["Environment"] == {"Variables": {"A": "1"}}
    v1 = lam.get_function_configuration(FunctionName=name, Qualifier="1")
    assert v1["SnapStart"] == {"ApplyOn": "PublishedVersions", "OptimizationStatus": "On"}


def test_update_changes_every_field(client: Callable[..., Any], role: str, unique: Callable[[str], str]) -> None:
    lam = client("lambda")
    name = unique("cfg-upd")
    create_function(lam, name, role, TracingConfig={"Mode": "Active"}, DeadLetterConfig={"TargetArn": DLQ})
    resp = lam.update_function_configuration(
        FunctionName=name, TracingConfig={"Mode": "PassThrough"}, DeadLetterConfig={"TargetArn": TOPIC},
        EphemeralStorage={"Size": 2048}, LoggingConfig={"LogFormat": "JSON"}, Environment={},
        KMSKeyArn="arn:aws:kms:us-east-1:123456789012:key/k", SnapStart={"ApplyOn": "PublishedVersions"},
    )
    for cfg in (resp, lam.get_function_configuration(FunctionName=name)):
        assert cfg["TracingConfig"] == {"Mode": "PassThrough"}
        assert cfg["DeadLetterConfig"] == {"TargetArn": TOPIC}
        assert cfg["EphemeralStorage"] == {"Size": 2048}
        assert cfg["LoggingConfig"]["LogFormat"] == "JSON"
        assert cfg["KMSKeyArn"] == "arn:aws:kms:us-east-1:123456789012:key/k"
        assert cfg["SnapStart"]["ApplyOn"] == "PublishedVersions"
        assert "Environment" not in cfg or cfg["Environment"].get("Variables", {}) == {}
    lam.update_function_code(FunctionName=name, ZipFile=zip_bytes("v2"), Architectures=["arm64"])
    assert lam.get_function_configuration(FunctionName=name)["Architectures"] == ["arm64"]


CAPACITY = {"LambdaManagedInstancesCapacityProviderConfig": {
    "CapacityProviderArn": "arn:aws:lambda:us-east-1:123456789012:capacity-provider:cp",
    "PerExecutionEnvironmentMaxConcurrency": 4}}


def test_2025_fields_are_kept_and_reported(client: Callable[..., Any], role: str,
                                           unique: Callable[[str], str]) -> None:
    lam = client("lambda")
    name = unique("cfg-2025")
    created = create_function(
        lam, name, role, TenancyConfig={"TenantIsolationMode": "PER_TENANT"}, CapacityProviderConfig=CAPACITY,
        DurableConfig={"ExecutionTimeout": 3600, "RetentionPeriodInDays": 7},
        RuntimeConfig={"RuntimeArn": "arn:aws:lambda:us-east-1:123456789012:runtime:custom", "RuntimeAlias": "live"},
        AcceleratorConfig={"AcceleratorMemorySize": 16},
    )
    for cfg in (created, lam.get_function_configuration(FunctionName=name), lam.get_function(FunctionName=name)[
            "Configuration"]):
        assert cfg["TenancyConfig"] == {"TenantIsolationMode": "PER_TENANT"}
        assert cfg["CapacityProviderConfig"] == CAPACITY
        assert cfg["DurableConfig"] == {"ExecutionTimeout": 3600, "RetentionPeriodInDays": 7}
        assert cfg["RuntimeConfig"]["RuntimeArn"].endswith(":runtime:custom")
        assert cfg["AcceleratorConfig"] == {"AcceleratorMemorySize": 16}
    lam.update_function_configuration(FunctionName=name, DurableConfig={"ExecutionTimeout": 60},
                                      AcceleratorConfig={"AcceleratorMemorySize": 32})
    cfg = lam.get_function_configuration(FunctionName=name)
    assert (cfg["DurableConfig"], cfg["AcceleratorConfig"]) == ({"ExecutionTimeout": 60}, {"AcceleratorMemorySize": 32})
    assert cfg["TenancyConfig"] == {"TenantIsolationMode": "PER_TENANT"}


def test_durable_execution_is_enabled_only_at_creation(client: Callable[..., Any], role: str,
                                                       unique: Callable[[str], str]) -> None:
    lam = client("lambda")
    name = unique("cfg-durable")
    create_function(lam, name, role)
    with pytest.raises(botocore.exceptions.ClientError) as info:
        lam.update_function_configuration(FunctionName=name, DurableConfig={"ExecutionTimeout": 60})
    assert info.value.response["Error"]["Code"] == "InvalidParameterValueException"
    assert "DurableConfig" not in lam.get_function_configuration(FunctionName=name)


def test_a_published_version_keeps_its_configuration(client: Callable[..., Any], role: str,
                                                     unique: Callable[[str], str]) -> None:
    lam = client("lambda")
    name = unique("cfg-frozen")
    create_function(lam, name, role, DeadLetterConfig={"TargetArn": DLQ}, Publish=True)
    lam.update_function_configuration(FunctionName=name, DeadLetterConfig={"TargetArn": TOPIC})
    assert lam.get_function_configuration(FunctionName=name, Qualifier="1")["DeadLetterConfig"] == {"TargetArn": DLQ}
    assert lam.get_function_configuration(FunctionName=name)["DeadLetterConfig"] == {"TargetArn": TOPIC}
