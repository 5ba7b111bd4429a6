"""IAM enforcement as AWS does it (the iam_enforcement patch), once switched on: actions by their IAM
names, conditions evaluated, Lambda calls on the function's ARN, iam:PassRole for the role passed,
refusals in the service's own error shape naming caller, action and resource."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator

import botocore.exceptions
import pytest

from enforcing_endpoint import ACCOUNT, EnforcingEndpoint, enforcing_endpoint


def _zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("index.py", "def handler(event, context):\n    return 1\n")
    return buf.getvalue()


@pytest.fixture(scope="module")
def ep() -> Iterator[EnforcingEndpoint]:
    with enforcing_endpoint() as e:
        iam = e.root.client("iam", endpoint_url=e.url)
        iam.create_role(RoleName="fn", AssumeRolePolicyDocument="{}")
        iam.create_role(RoleName="other", AssumeRolePolicyDocument="{}")
        for name in ("orders", "billing"):
            e.root.client("lambda", region_name="eu-west-1", endpoint_url=e.url).create_function(
                FunctionName=name, Runtime="python3.12", Role=f"arn:aws:iam::{ACCOUNT}:role/fn",
                Handler="index.handler", Code={"ZipFile": _zip()})
        e.root.client("s3", endpoint_url=e.url).create_bucket(Bucket="ark")
        e.enforce()
        yield e


def _code(exc: pytest.ExceptionInfo[botocore.exceptions.ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


def test_actions_are_named_as_iam_names_them(ep: EnforcingEndpoint) -> None:
    right = ep.user("metrics", {"Effect": "Allow", "Action": "cloudwatch:PutMetricData", "Resource": "*"})
    right.client("cloudwatch", endpoint_url=ep.url).put_metric_data(
        Namespace="LambdaArk", MetricData=[{"MetricName": "x", "Value": 1}])
    wrong = ep.user("monitoring", {"Effect": "Allow", "Action": "monitoring:PutMetricData", "Resource": "*"})
    with pytest.raises(botocore.exceptions.ClientError):
        wrong.client("cloudwatch", endpoint_url=ep.url).put_metric_data(
            Namespace="LambdaArk", MetricData=[{"MetricName": "x", "Value": 1}])
    lister = ep.user("lister", {"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"})
    assert "ark" in {b["Name"] for b in lister.client("s3", endpoint_url=ep.url).list_buckets()["Buckets"]}
    gw = ep.user("gw", {"Effect": "Allow", "Action": "apigateway:GET", "Resource": "*"})
    gw.client("apigateway", endpoint_url=ep.url).get_rest_apis()
    with pytest.raises(botocore.exceptions.ClientError):
        gw.client("apigateway", endpoint_url=ep.url).create_rest_api(name="x")  # apigateway:POST


def test_conditions_are_evaluated_not_taken_as_deny(ep: EnforcingEndpoint) -> None:
    s = ep.user("regional", {"Effect": "Allow", "Action": "lambda:ListFunctions", "Resource": "*",
                             "Condition": {"StringEquals": {"aws:RequestedRegion": ["eu-west-1"]}}})
    assert {f["FunctionName"] for f in s.client("lambda", region_name="eu-west-1", endpoint_url=ep.url)
            .list_functions()["Functions"]} == {"orders", "billing"}
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        s.client("lambda", region_name="us-east-1", endpoint_url=ep.url).list_functions()
    assert _code(exc) == "AccessDeniedException"
    prefixed = ep.user("prefixed", {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::ark",
                                    "Condition": {"StringLike": {"s3:prefix": ["repo/*"]}}})
    s3 = prefixed.client("s3", endpoint_url=ep.url)
    s3.list_objects_v2(Bucket="ark", Prefix="repo/data/")
    with pytest.raises(botocore.exceptions.ClientError):
        s3.list_objects_v2(Bucket="ark", Prefix="other/")


def test_lambda_calls_are_checked_on_the_functions_arn(ep: EnforcingEndpoint) -> None:
    arn = f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:orders"
    s = ep.user("one-function", {"Effect": "Allow", "Action": "lambda:GetFunction", "Resource": [arn, f"{arn}:*"]})
    lam = s.client("lambda", region_name="eu-west-1", endpoint_url=ep.url)
    assert lam.get_function(FunctionName="orders")["Configuration"]["FunctionName"] == "orders"
    assert lam.get_function(FunctionName="orders", Qualifier="$LATEST")
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        lam.get_function(FunctionName="billing")
    message = str(exc.value.response["Error"]["Message"])
    assert _code(exc) == "AccessDeniedException"
    assert "lambda:GetFunction" in message and "function:billing" in message and "user/one-function" in message


def test_passing_a_role_needs_iam_pass_role_on_that_role(ep: EnforcingEndpoint) -> None:
    fn_role = f"arn:aws:iam::{ACCOUNT}:role/fn"
    s = ep.user("creator", {"Effect": "Allow", "Action": "lambda:CreateFunction", "Resource": "*"},
                {"Effect": "Allow", "Action": "iam:PassRole", "Resource": fn_role})
    lam = s.client("lambda", region_name="eu-west-1", endpoint_url=ep.url)
    lam.create_function(FunctionName="created", Runtime="python3.12", Role=fn_role, Handler="index.handler",
                        Code={"ZipFile": _zip()})
    with pytest.raises(botocore.exceptions.ClientError):
        lam.create_function(FunctionName="created-2", Runtime="python3.12", Handler="index.handler",
                            Role=f"arn:aws:iam::{ACCOUNT}:role/other", Code={"ZipFile": _zip()})


def test_an_explicit_deny_wins(ep: EnforcingEndpoint) -> None:
    s = ep.user("denied", {"Effect": "Allow", "Action": "lambda:*", "Resource": "*"},
                {"Effect": "Deny", "Action": "lambda:GetFunction", "Resource": "*"})
    lam = s.client("lambda", region_name="eu-west-1", endpoint_url=ep.url)
    lam.list_functions()
    with pytest.raises(botocore.exceptions.ClientError):
        lam.get_function(FunctionName="orders")
