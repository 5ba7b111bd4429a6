"""CloudWatch Logs subscription filters, as the PutSubscriptionFilter API reference documents them:
every member is kept, and a Lambda destination must let CloudWatch Logs invoke it from the group."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import botocore.exceptions
import pytest

from .conftest import create_function

ACCOUNT = "123456789012"


def test_filter_keeps_its_settings_and_needs_the_invoke_permission(
    client: Callable[..., Any], role: str, unique: Callable[[str], str]
) -> None:
    lam, logs = client("lambda", "eu-west-2"), client("logs", "eu-west-2")
    name, group = unique("logdest"), f"/x/{unique('g')}"
    arn = create_function(lam, name, role)["FunctionArn"]
    logs.create_log_group(logGroupName=group)
    put = {"logGroupName": group, "filterName": "f", "filterPattern": "ERROR", "destinationArn": arn,
           "distribution": "Random", "applyOnTransformedLogs": True}

    with pytest.raises(botocore.exceptions.ClientError) as info:  # no permission at all
        logs.put_subscription_filter(**put)
    assert info.value.response["Error"]["Code"] == "InvalidParameterException"
    assert "given CloudWatch Logs permission" in info.value.response["Error"]["Message"]

    # a SourceArn without the ":*" AWS invokes with does not match either
    lam.add_permission(FunctionName=name, StatementId="narrow", Action="lambda:InvokeFunction",
                       Principal="logs.amazonaws.com", SourceArn=f"arn:aws:logs:eu-west-2:{ACCOUNT}:log-group:{group}")
    with pytest.raises(botocore.exceptions.ClientError):
        logs.put_subscription_filter(**put)

    # the regional principal is accepted as well
    lam.add_permission(FunctionName=name, StatementId="regional", Action="lambda:InvokeFunction",
                       Principal="logs.eu-west-2.amazonaws.com",
                       SourceArn=f"arn:aws:logs:eu-west-2:{ACCOUNT}:log-group:{group}:*")
    logs.put_subscription_filter(**put)
    (got,) = logs.describe_subscription_filters(logGroupName=group)["subscriptionFilters"]
    assert (got["distribution"], got["applyOnTransformedLogs"], got["filterPattern"]) == ("Random", True, "ERROR")
    assert "roleArn" not in got

    put.pop("distribution")
    put["filterName"] = "g"
    logs.put_subscription_filter(**put)
    listed = logs.describe_subscription_filters(logGroupName=group)["subscriptionFilters"]
    by_name = {f["filterName"]: f for f in listed}
    assert by_name["g"]["distribution"] == "ByLogStream"  # the default


def test_missing_log_group_is_not_found_before_any_permission_check(
    client: Callable[..., Any], role: str, unique: Callable[[str], str]
) -> None:
    lam, logs = client("lambda", "eu-west-2"), client("logs", "eu-west-2")
    arn = create_function(lam, unique("logdest"), role)["FunctionArn"]
    with pytest.raises(botocore.exceptions.ClientError) as info:
        logs.put_subscription_filter(logGroupName="/no/such/group", filterName="f", filterPattern="",
                                     destinationArn=arn)
    assert info.value.response["Error"]["Code"] == "ResourceNotFoundException"
