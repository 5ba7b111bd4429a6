"""ELB registers a function in a lambda target group only when the function lets ELB invoke it (the
ELB user guide, "Lambda functions as targets")."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import botocore.exceptions
import pytest

from .conftest import create_function


def test_register_needs_permission_from_that_target_group(
    client: Callable[..., Any], role: str, unique: Callable[[str], str]
) -> None:
    lam, elb = client("lambda", "ca-west-1"), client("elbv2", "ca-west-1")
    name = unique("albtarget")
    arn = create_function(lam, name, role)["FunctionArn"]
    tg = elb.create_target_group(Name=unique("tg"), TargetType="lambda")["TargetGroups"][0]["TargetGroupArn"]
    other = elb.create_target_group(Name=unique("tg"), TargetType="lambda")["TargetGroups"][0]["TargetGroupArn"]

    with pytest.raises(botocore.exceptions.ClientError) as info:
        elb.register_targets(TargetGroupArn=tg, Targets=[{"Id": arn}])
    assert info.value.response["Error"]["Code"] == "AccessDenied"
    assert f"does not have permission to invoke {arn} from target group {tg}" in info.value.response["Error"][
        "Message"]

    lam.add_permission(FunctionName=name, StatementId="alb", Action="lambda:InvokeFunction",
                       Principal="elasticloadbalancing.amazonaws.com", SourceArn=tg)
    with pytest.raises(botocore.exceptions.ClientError):  # another group's ARN is not granted
        elb.register_targets(TargetGroupArn=other, Targets=[{"Id": arn}])
    elb.register_targets(TargetGroupArn=tg, Targets=[{"Id": arn}])
    (health,) = elb.describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"]
    assert health["Target"]["Id"] == arn
