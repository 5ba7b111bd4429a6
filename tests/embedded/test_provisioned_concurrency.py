"""Provisioned concurrency configs per version or alias, as AWS keeps them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import botocore.exceptions
import pytest

from .conftest import create_function


def error_code(call: Callable[..., Any], **kwargs: Any) -> str:
    with pytest.raises(botocore.exceptions.ClientError) as info:
        call(**kwargs)
    return str(info.value.response["Error"]["Code"])


def test_put_get_list_delete(client: Callable[..., Any], role: str, unique: Callable[[str], str]) -> None:
    lam = client("lambda")
    name = unique("pc")
    create_function(lam, name, role, Publish=True)
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    arn = lam.get_function_configuration(FunctionName=name)["FunctionArn"]

    put = lam.put_provisioned_concurrency_config(FunctionName=name, Qualifier="live",
                                                 ProvisionedConcurrentExecutions=3)
    assert put["RequestedProvisionedConcurrentExecutions"] == 3
    assert put["Status"] == "READY"
    lam.put_provisioned_concurrency_config(FunctionName=name, Qualifier="1", ProvisionedConcurrentExecutions=2)

    got = lam.get_provisioned_concurrency_config(FunctionName=name, Qualifier="live")
    assert got["RequestedProvisionedConcurrentExecutions"] == 3
    assert got["AllocatedProvisionedConcurrentExecutions"] == 3

    listed = lam.list_provisioned_concurrency_configs(FunctionName=name)["ProvisionedConcurrencyConfigs"]
    assert sorted((c["FunctionArn"], c["RequestedProvisionedConcurrentExecutions"]) for c in listed) == [
        (f"{arn}:1", 2), (f"{arn}:live", 3)
    ]

    lam.delete_provisioned_concurrency_config(FunctionName=name, Qualifier="live")
    assert error_code(lam.get_provisioned_concurrency_config, FunctionName=name,
                      Qualifier="live") == "ProvisionedConcurrencyConfigNotFoundException"


def test_latest_and_unknown_qualifiers_are_rejected(client: Callable[..., Any], role: str,
                                                    unique: Callable[[str], str]) -> None:
    lam = client("lambda")
    name = unique("pc-bad")
    create_function(lam, name, role)
    assert error_code(lam.put_provisioned_concurrency_config, FunctionName=name, Qualifier="$LATEST",
                      ProvisionedConcurrentExecutions=1) == "InvalidParameterValueException"
    assert error_code(lam.put_provisioned_concurrency_config, FunctionName=name, Qualifier="9",
                      ProvisionedConcurrentExecutions=1) == "ResourceNotFoundException"
