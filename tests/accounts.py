"""An AWS account of a test's own on the shared embedded endpoint.

Backups scan whole regions, the endpoint's state is shared by every test of the session, and every
region is already some test's. An account reached through STS AssumeRole (as a cross-account backup
would be; the endpoint gives the assumed role's credentials the role's account, as moto does) has
every region to itself, so a test can count, delete and compare functions without meeting anyone
else's. It comes with an execution role `fn`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import boto3

from lambda_ark.aws import Aws

ROLE_NAME = "fn"


@dataclass
class Account:
    aws: Aws
    id: str
    env: dict[str, str]  # credentials for a `lambda-ark` subprocess

    @property
    def role_arn(self) -> str:
        return f"arn:aws:iam::{self.id}:role/{ROLE_NAME}"


def own_account(aws: Aws) -> Account:
    account = f"4{uuid.uuid4().int % 10**11:011d}"
    creds = aws.client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/lambda-ark-test", RoleSessionName="test"
    )["Credentials"]
    session = boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name="us-east-1",
    )
    own = Aws(session=session, endpoint_url=aws.endpoint_url)
    assert own.account_id() == account
    own.client("iam").create_role(RoleName=ROLE_NAME, AssumeRolePolicyDocument="{}")
    env = {
        "AWS_ACCESS_KEY_ID": creds["AccessKeyId"],
        "AWS_SECRET_ACCESS_KEY": creds["SecretAccessKey"],
        "AWS_SESSION_TOKEN": creds["SessionToken"],
    }
    return Account(aws=own, id=account, env=env)
