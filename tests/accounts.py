"""An AWS account of a test's own on the shared embedded endpoint.

Backups scan whole regions, the endpoint's state is shared by every test of the session, and every
region is already some test's. An account reached through STS AssumeRole (as a cross-account backup
would be; the endpoint gives the assumed role's credentials the role's account, as moto does) has
every region to itself, so a test can count, delete and compare functions without meeting anyone
else's. It comes with an execution role `fn`.

The account is made as on AWS: the endpoint's default account runs an organization, creates a
member account (which gets the role OrganizationAccountAccessRole, trusting the management
account) and assumes that role; the endpoint, like AWS, assumes only roles that exist and trust the
caller.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import boto3
import botocore.exceptions

from lambda_ark.aws import Aws

ROLE_NAME = "fn"
ACCESS_ROLE = "OrganizationAccountAccessRole"  # what Organizations creates in every account it creates


@dataclass
class Account:
    aws: Aws
    id: str
    env: dict[str, str]  # credentials for a `lambda-ark` subprocess

    @property
    def role_arn(self) -> str:
        return f"arn:aws:iam::{self.id}:role/{ROLE_NAME}"


def new_account_id(aws: Aws) -> str:
    """A fresh member account of the default account's organization (created on first use)."""
    org = aws.client("organizations")
    try:
        org.create_organization(FeatureSet="ALL")
    except botocore.exceptions.ClientError as exc:
        if exc.response["Error"]["Code"] != "AlreadyInOrganizationException":
            raise
    name = f"test-{uuid.uuid4().hex[:12]}"
    status = org.create_account(AccountName=name, Email=f"{name}@example.com")["CreateAccountStatus"]
    return str(status["AccountId"])


def own_account(aws: Aws) -> Account:
    account = new_account_id(aws)
    creds = aws.client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/{ACCESS_ROLE}", RoleSessionName="test"
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
