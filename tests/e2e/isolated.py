"""An AWS account of a test's own on the shared embedded endpoint.

Backups scan whole regions, and every region is some test's already. An account reached through
STS AssumeRole (as a cross-account backup would be) has every region to itself, so a test can
count, delete and compare functions without meeting anyone else's.
"""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import boto3

from lambda_ark.aws import Aws
from lambda_ark.demo import estate


@dataclass
class Account:
    aws: Aws
    id: str
    env: dict[str, str]  # credentials for a `lambda-ark` subprocess


def own_account(aws: Aws) -> Account:
    account = f"4{uuid.uuid4().int % 10**11:011d}"
    creds = aws.client("sts").assume_role(RoleArn=f"arn:aws:iam::{account}:role/tester", RoleSessionName="test")
    c = creds["Credentials"]
    session = boto3.Session(
        aws_access_key_id=c["AccessKeyId"],
        aws_secret_access_key=c["SecretAccessKey"],
        aws_session_token=c["SessionToken"],
        region_name="us-east-1",
    )
    env = {
        "AWS_ACCESS_KEY_ID": c["AccessKeyId"],
        "AWS_SECRET_ACCESS_KEY": c["SecretAccessKey"],
        "AWS_SESSION_TOKEN": c["SessionToken"],
    }
    return Account(aws=Aws(session=session, endpoint_url=aws.endpoint_url), id=account, env=env)


def make_functions(aws: Aws, region: str, names: list[str], tags: dict[str, str] | None = None) -> None:
    role = estate.role_arn(aws)
    lam = aws.client("lambda", region)

    def create(name: str) -> None:
        lam.create_function(
            FunctionName=name,
            Runtime="python3.12",
            Role=role,
            Handler="handler.handler",
            Code={"ZipFile": estate.package(name, extra_modules=2)},
            Tags=tags or {},
        )

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(create, names))
