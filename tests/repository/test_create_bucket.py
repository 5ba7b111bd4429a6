"""`init --create-bucket`: the repository's bucket made private, encrypted, versioned, TLS-only and (with
--retention-days) write-once — against the embedded endpoint's HTTPS listener, as its policy refuses
plain HTTP."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import botocore.exceptions
import pytest
from tests.accounts import Account, own_account
from tests.https_endpoint import start_https

from lambda_ark import embedded
from lambda_ark.aws import Aws, connect
from lambda_ark.cli import app
from lambda_ark.errors import LambdaArkError, UsageError
from lambda_ark.repository.backends.s3_bucket import create_repository_bucket

REGION = "eu-west-1"


@pytest.fixture(scope="module")
def https(endpoint: embedded.Endpoint) -> Iterator[tuple[str, str]]:
    url, ca, stop = start_https()
    yield url, ca
    stop()


@pytest.fixture
def account(https: tuple[str, str], monkeypatch: pytest.MonkeyPatch) -> Account:
    """An account of its own over TLS: its buckets refuse plain HTTP, and other tests list every bucket
    of the shared account over HTTP."""
    url, ca = https
    for var, value in {"AWS_CA_BUNDLE": ca, "AWS_ENDPOINT_URL": url, "AWS_REGION": REGION,
                       "LAMBDA_ARK_PASSWORD": "bucket"}.items():
        monkeypatch.setenv(var, value)
    acct = own_account(connect(url))
    for var, value in acct.env.items():
        monkeypatch.setenv(var, value)
    return acct


@pytest.fixture
def tls(account: Account) -> Aws:
    return account.aws


def _init(*args: str) -> Any:
    return app(["init", *args], standalone_mode=False)


def _bucket() -> str:
    return f"ark-new-{uuid.uuid4().hex[:10]}"


def test_create_bucket_is_for_aws_s3_repositories_only(tls: Aws, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="is not an AWS S3 repository"):
        _init("--repo", str(tmp_path / "repo"), "--create-bucket")
    with pytest.raises(UsageError, match="is not an AWS S3 repository"):
        _init("--repo", "s3:https://minio.example:9000/b/p", "--create-bucket")
    with pytest.raises(UsageError, match="names another S3 endpoint"):
        create_repository_bucket(tls, "s3:https://minio.example:9000/b/p")
    assert not (tmp_path / "repo").exists()


def test_a_bucket_of_another_account_is_refused(aws: Aws, tls: Aws) -> None:  # aws: the shared account
    other = own_account(aws)
    name = _bucket()
    other.aws.client("s3", REGION).create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
    with pytest.raises(UsageError, match=f"bucket {name} exists and belongs to another account"):
        _init("--repo", f"s3://{name}/ark", "--create-bucket")


def test_a_step_aws_refuses_is_named_and_a_second_run_completes_the_bucket(tls: Aws) -> None:
    name = _bucket()
    s3 = tls.client("s3", REGION)
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})  # a run that died
    s3.put_bucket_policy(Bucket=name, Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Deny", "Principal": "*", "Action": "s3:PutBucketVersioning", "Resource": f"arn:aws:s3:::{name}"}]}))
    with pytest.raises(LambdaArkError, match=r"bucket .*: versioning could not be set .*AccessDenied.*already in "
                                             r"place: Block Public Access, default encryption\. Run the same"):
        _init("--repo", f"s3://{name}/ark", "--create-bucket", "--retention-days", "2")
    s3.delete_bucket_policy(Bucket=name)
    assert _init("--repo", f"s3://{name}/ark", "--create-bucket", "--retention-days", "2") in (0, None)
    assert s3.get_bucket_versioning(Bucket=name)["Status"] == "Enabled"
    assert s3.get_object_lock_configuration(Bucket=name)["ObjectLockConfiguration"]["ObjectLockEnabled"] == "Enabled"


def test_the_new_bucket_is_private_encrypted_versioned_tls_only_and_write_once(
        account: Account, tls: Aws, endpoint: embedded.Endpoint, capsys: pytest.CaptureFixture[str]) -> None:
    name = _bucket()
    key = tls.client("kms", REGION).create_key()["KeyMetadata"]["Arn"]
    assert _init("--repo", f"s3://{name}/ark", "--create-bucket", "--kms-key-id", key, "--retention-days", "3",
                 "--json") in (0, None)
    out = json.loads(capsys.readouterr().out)
    assert out["bucket"]["created"] is True
    s3 = tls.client("s3", REGION)
    assert all(s3.get_public_access_block(Bucket=name)["PublicAccessBlockConfiguration"].values())
    (rule,) = s3.get_bucket_encryption(Bucket=name)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rule["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key}
    assert s3.get_bucket_versioning(Bucket=name)["Status"] == "Enabled"
    assert s3.get_object_lock_configuration(Bucket=name)["ObjectLockConfiguration"]["ObjectLockEnabled"] == "Enabled"
    # the repository's objects are retained; a plain-HTTP request is refused by the bucket's policy
    config = s3.head_object(Bucket=name, Key="ark/config")
    assert config.get("ObjectLockRetainUntilDate") is not None
    plain = boto3.client("s3", region_name=REGION, endpoint_url=endpoint.url,  # the owner, without TLS
                         aws_access_key_id=account.env["AWS_ACCESS_KEY_ID"],
                         aws_secret_access_key=account.env["AWS_SECRET_ACCESS_KEY"],
                         aws_session_token=account.env["AWS_SESSION_TOKEN"])
    assert s3.get_object(Bucket=name, Key="ark/config")["Body"].read()  # the same request over TLS passes
    with pytest.raises(botocore.exceptions.ClientError, match="AccessDenied"):
        plain.get_object(Bucket=name, Key="ark/config")
