"""Recursive loop detection and runtime management settings of a function, as AWS keeps them.

Recursion: LocalStack's recorded AWS responses (TestLambdaRecursion): "Terminate" by default,
"Allow" once put, ValidationException for anything else. Runtime management: the API reference
(GetRuntimeManagementConfig: per version, "Auto" by default, RuntimeVersionArn only with "Manual").
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import botocore.exceptions
import pytest

from .conftest import create_function

RUNTIME = "arn:aws:lambda:us-east-1::runtime:0cdcfbdefbc5e7d3343f73c2e2dd3cba17d61dea0686b404502a0c9ce83931b9"


def error_code(call: Callable[..., Any], **kwargs: Any) -> str:
    with pytest.raises(botocore.exceptions.ClientError) as info:
        call(**kwargs)
    return str(info.value.response["Error"]["Code"])


def test_recursion_config(client: Callable[..., Any], role: str, unique: Callable[[str], str]) -> None:
    lam = client("lambda")
    name = unique("loop")
    create_function(lam, name, role)
    assert lam.get_function_recursion_config(FunctionName=name)["RecursiveLoop"] == "Terminate"
    assert lam.put_function_recursion_config(FunctionName=name, RecursiveLoop="Allow")["RecursiveLoop"] == "Allow"
    assert lam.get_function_recursion_config(FunctionName=name)["RecursiveLoop"] == "Allow"
    assert error_code(lam.put_function_recursion_config, FunctionName=name,
                      RecursiveLoop="Sometimes") == "ValidationException"
    assert error_code(lam.get_function_recursion_config, FunctionName="no-such-fn") == "ResourceNotFoundException"


def test_runtime_management_config(client: Callable[..., Any], role: str, unique: Callable[[str], str]) -> None:
    lam = client("lambda")
    name = unique("rtm")
    create_function(lam, name, role, Publish=True)
    arn = lam.get_function_configuration(FunctionName=name)["FunctionArn"]
    got = lam.get_runtime_management_config(FunctionName=name)
    assert (got["UpdateRuntimeOn"], got.get("RuntimeVersionArn")) == ("Auto", None)
    put = lam.put_runtime_management_config(FunctionName=name, UpdateRuntimeOn="Manual", RuntimeVersionArn=RUNTIME)
    assert (put["UpdateRuntimeOn"], put["RuntimeVersionArn"], put["FunctionArn"]) == ("Manual", RUNTIME, arn)
    got = lam.get_runtime_management_config(FunctionName=name)
    assert (got["UpdateRuntimeOn"], got["RuntimeVersionArn"]) == ("Manual", RUNTIME)
    assert lam.get_runtime_management_config(FunctionName=name, Qualifier="1")["UpdateRuntimeOn"] == "Auto"
    lam.put_runtime_management_config(FunctionName=name, UpdateRuntimeOn="FunctionUpdate")
    got = lam.get_runtime_management_config(FunctionName=name)
    assert (got["UpdateRuntimeOn"], got.get("RuntimeVersionArn")) == ("FunctionUpdate", None)
    assert error_code(lam.put_runtime_management_config, FunctionName=name,
                      UpdateRuntimeOn="Manual") == "InvalidParameterValueException"
    assert error_code(lam.get_runtime_management_config, FunctionName=name,
                      Qualifier="9") == "ResourceNotFoundException"
