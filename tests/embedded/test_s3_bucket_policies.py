"""S3 bucket policies are enforced as AWS documents it (Amazon S3 User Guide, "Bucket policies";
IAM User Guide, "Condition operators" and "AWS global condition context keys").

- an explicit Deny in the bucket policy refuses a request, whoever makes it (403 AccessDenied);
- `aws:SecureTransport` is "false" on plain HTTP; `aws:SourceIp` is the client's address;
  `aws:PrincipalArn` is an IAM user's ARN or, for an assumed-role session, the role's ARN;
- a key missing from the request (`aws:SourceVpce` without a VPC endpoint) fails positive
  operators and satisfies negated ones; `...IfExists` is satisfied by a missing key;
- the bucket owner's root can always get, put and delete the bucket policy.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import botocore.exceptions
import pytest
from tests.https_endpoint import start_https

from lambda_ark import embedded
from lambda_ark.embedded.patches.s3_bucket_policies import conditions_hold, denied

_names = itertools.count()
ACCOUNT = "123456789012"


def _denied(call: Callable[..., Any], **kwargs: Any) -> bool:
    try:
        call(**kwargs)
    except botocore.exceptions.ClientError as exc:
        if exc.response["Error"]["Code"] == "AccessDenied":
            return True
        raise
    return False


_CA: dict[str, str] = {}


@pytest.fixture(scope="module")
def https_url(endpoint: embedded.Endpoint) -> Iterator[str]:
    """The same (process-global) endpoint on an HTTPS listener, so aws:SecureTransport can be true."""
    url, ca, stop = start_https()
    _CA[url] = ca
    yield url
    stop()


def _s3(url: str, key: str = "testing", secret: str = "testing", token: str | None = None) -> Any:
    session = boto3.Session(aws_access_key_id=key, aws_secret_access_key=secret, aws_session_token=token)
    return session.client("s3", region_name="us-east-1", endpoint_url=url, verify=_CA.get(url, True))


@pytest.fixture
def bucket(endpoint: embedded.Endpoint) -> str:
    name = f"policy-{next(_names)}-{id(endpoint) % 10_000}"
    _s3(endpoint.url).create_bucket(Bucket=name)
    _s3(endpoint.url).put_object(Bucket=name, Key="data/x", Body=b"x")
    return name


@pytest.fixture
def user(endpoint: embedded.Endpoint) -> Callable[[], tuple[str, str, str]]:
    iam = boto3.client("iam", region_name="us-east-1", endpoint_url=endpoint.url,
                       aws_access_key_id="testing", aws_secret_access_key="testing")

    def make() -> tuple[str, str, str]:
        name = f"reader-{next(_names)}"
        arn = iam.create_user(UserName=name)["User"]["Arn"]
        key = iam.create_access_key(UserName=name)["AccessKey"]
        return arn, key["AccessKeyId"], key["SecretAccessKey"]

    return make


def _policy(bucket: str, *statements: dict[str, Any]) -> str:
    for st in statements:
        st.setdefault("Effect", "Deny")
        st.setdefault("Principal", "*")
        st.setdefault("Action", "s3:*")
        st.setdefault("Resource", [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"])
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def test_insecure_transport_is_denied_but_tls_is_not(endpoint: embedded.Endpoint, https_url: str,
                                                      bucket: str) -> None:
    root = _s3(endpoint.url)
    root.put_bucket_policy(Bucket=bucket, Policy=_policy(bucket, {
        "Sid": "TLS", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}))
    assert _denied(root.get_object, Bucket=bucket, Key="data/x")
    assert _denied(root.put_object, Bucket=bucket, Key="data/y", Body=b"y")
    assert _denied(root.list_objects_v2, Bucket=bucket)
    assert json.loads(root.get_bucket_policy(Bucket=bucket)["Policy"])["Statement"][0]["Sid"] == "TLS"
    secure = _s3(https_url)
    assert secure.get_object(Bucket=bucket, Key="data/x")["Body"].read() == b"x"
    root.delete_bucket_policy(Bucket=bucket)  # the owner's root is never locked out of the policy
    assert root.get_object(Bucket=bucket, Key="data/x")["Body"].read() == b"x"


def test_unlisted_principal_is_denied(endpoint: embedded.Endpoint, bucket: str,
                                      user: Callable[[], tuple[str, str, str]]) -> None:
    listed_arn, listed_key, listed_secret = user()
    _, other_key, other_secret = user()
    _s3(endpoint.url).put_bucket_policy(Bucket=bucket, Policy=_policy(bucket, {
        "Sid": "Principals", "Condition": {"ArnNotLike": {"aws:PrincipalArn": [listed_arn]}}}))
    listed, other = _s3(endpoint.url, listed_key, listed_secret), _s3(endpoint.url, other_key, other_secret)
    assert listed.get_object(Bucket=bucket, Key="data/x")["Body"].read() == b"x"
    listed.put_object(Bucket=bucket, Key="data/z", Body=b"z")
    assert _denied(other.get_object, Bucket=bucket, Key="data/x")
    assert _denied(other.list_objects_v2, Bucket=bucket)
    assert _denied(_s3(endpoint.url).get_object, Bucket=bucket, Key="data/x")  # root is not listed either


def test_assumed_role_is_seen_as_its_role(endpoint: embedded.Endpoint, bucket: str) -> None:
    iam = boto3.client("iam", region_name="us-east-1", endpoint_url=endpoint.url,
                       aws_access_key_id="testing", aws_secret_access_key="testing")
    sts = boto3.client("sts", region_name="us-east-1", endpoint_url=endpoint.url,
                       aws_access_key_id="testing", aws_secret_access_key="testing")
    trust = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "sts:AssumeRole"}]})
    role_arn = iam.create_role(RoleName=f"break-glass-{next(_names)}", AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    creds = sts.assume_role(RoleArn=role_arn, RoleSessionName="oncall")["Credentials"]
    _s3(endpoint.url).put_bucket_policy(Bucket=bucket, Policy=_policy(bucket, {
        "Condition": {"ArnNotLike": {"aws:PrincipalArn": [role_arn]}}}))
    session = _s3(endpoint.url, creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
    assert session.get_object(Bucket=bucket, Key="data/x")["Body"].read() == b"x"


def test_source_ip_and_missing_vpc_endpoint(endpoint: embedded.Endpoint, bucket: str) -> None:
    root = _s3(endpoint.url)
    root.put_bucket_policy(Bucket=bucket, Policy=_policy(bucket, {
        "Condition": {"NotIpAddress": {"aws:SourceIp": ["127.0.0.0/8"]}}}))
    assert not _denied(root.get_object, Bucket=bucket, Key="data/x")  # we are 127.0.0.1
    root.put_bucket_policy(Bucket=bucket, Policy=_policy(bucket, {
        "Condition": {"NotIpAddress": {"aws:SourceIp": ["10.0.0.0/8"]}}}))
    assert _denied(root.get_object, Bucket=bucket, Key="data/x")
    root.put_bucket_policy(Bucket=bucket, Policy=_policy(bucket, {
        "Condition": {"StringNotEquals": {"aws:SourceVpce": ["vpce-0123456789abcdef0"]}}}))
    assert _denied(root.get_object, Bucket=bucket, Key="data/x")  # no request comes through a VPC endpoint here
    root.put_bucket_policy(Bucket=bucket, Policy=_policy(bucket, {
        "Condition": {"StringEquals": {"aws:SourceVpce": ["vpce-0123456789abcdef0"]}}}))
    assert not _denied(root.get_object, Bucket=bucket, Key="data/x")


def test_deny_on_other_resources_or_actions_does_not_apply(endpoint: embedded.Endpoint, bucket: str) -> None:
    root = _s3(endpoint.url)
    root.put_bucket_policy(Bucket=bucket, Policy=_policy(bucket, {
        "Action": "s3:DeleteObject", "Resource": f"arn:aws:s3:::{bucket}/data/*"}))
    assert root.get_object(Bucket=bucket, Key="data/x")["Body"].read() == b"x"
    assert _denied(root.delete_object, Bucket=bucket, Key="data/x")
    root.put_bucket_policy(Bucket=bucket, Policy=_policy(bucket, {"Resource": f"arn:aws:s3:::{bucket}/other/*"}))
    assert root.get_object(Bucket=bucket, Key="data/x")["Body"].read() == b"x"


CTX = {"aws:SecureTransport": "false", "aws:SourceIp": "127.0.0.1", "aws:PrincipalArn": "arn:aws:iam::1:user/a"}


@pytest.mark.parametrize(("condition", "holds"), [
    ({"Bool": {"aws:SecureTransport": "false"}}, True),
    ({"Bool": {"aws:SecureTransport": "true"}}, False),
    ({"StringNotEquals": {"aws:SourceVpce": "vpce-1"}}, True),  # missing key: negated operators hold
    ({"StringEquals": {"aws:SourceVpce": "vpce-1"}}, False),  # ... positive ones do not
    ({"StringEqualsIfExists": {"aws:SourceVpce": "vpce-1"}}, True),
    ({"ArnNotLike": {"aws:PrincipalArn": ["arn:aws:iam::1:user/*"]}}, False),
    ({"ArnNotLike": {"aws:PrincipalArn": ["arn:aws:iam::1:role/x"]}}, True),
    ({"IpAddress": {"aws:SourceIp": "127.0.0.0/8"}}, True),
    ({"NotIpAddress": {"aws:SourceIp": ["127.0.0.0/8", "10.0.0.0/8"]}}, False),
    ({"Null": {"aws:SourceVpce": "true"}}, True),
    ({"Bool": {"aws:SecureTransport": "false"}, "NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, True),  # AND
    ({"NumericLessThanFancy": {"aws:SourceIp": "1"}}, True),  # unknown operator: a Deny applies
])
def test_conditions(condition: dict[str, Any], holds: bool) -> None:
    assert conditions_hold(condition, CTX, deny=True) is holds


def test_first_applying_deny_is_named() -> None:
    policy = {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"},
                            {"Sid": "Nope", "Effect": "Deny", "Principal": "*", "NotAction": "s3:GetObject",
                             "Resource": "*"}]}
    assert denied(policy, "s3:PutObject", "arn:aws:s3:::b/k", CTX) == "Nope"
    assert denied(policy, "s3:GetObject", "arn:aws:s3:::b/k", CTX) is None
