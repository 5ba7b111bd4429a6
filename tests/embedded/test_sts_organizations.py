"""STS AssumeRole and Organizations ListAccounts as AWS documents them.

AssumeRole (IAM user guide, "Granting a user permissions to switch roles", and the trust policy
reference): a role that does not exist, or whose trust policy does not allow the caller, or whose
sts:ExternalId condition the request misses, is 403 AccessDenied "User: … is not authorized to
perform: sts:AssumeRole on resource: …". ListAccounts (Organizations API reference): management
account or delegated administrator only (AccessDeniedException for other members,
AWSOrganizationsNotInUseException outside an organization), MaxResults 1-20.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import botocore.exceptions
import pytest
from tests.accounts import own_account

from lambda_ark.aws import Aws


def trust(principal: Any, condition: dict[str, Any] | None = None, effect: str = "Allow") -> str:
    statement: dict[str, Any] = {"Effect": effect, "Principal": principal, "Action": "sts:AssumeRole"}
    if condition:
        statement["Condition"] = condition
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def denied(aws: Aws, role_arn: str, **kwargs: Any) -> botocore.exceptions.ClientError:
    with pytest.raises(botocore.exceptions.ClientError) as info:
        aws.client("sts").assume_role(RoleArn=role_arn, RoleSessionName="lambda-ark", **kwargs)
    return info.value


def test_a_role_that_does_not_exist_cannot_be_assumed(aws: Aws) -> None:
    role = f"arn:aws:iam::{own_account(aws).id}:role/not-there"
    err = denied(aws, role)
    assert err.response["Error"]["Code"] == "AccessDenied"
    assert err.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    message = err.response["Error"]["Message"]
    assert message.endswith(f"is not authorized to perform: sts:AssumeRole on resource: {role}")


def test_the_trust_policy_decides_who_may_assume(aws: Aws) -> None:
    member = own_account(aws)
    iam = member.aws.client("iam")
    caller = aws.account_id()

    def role(document: str) -> str:
        return str(iam.create_role(RoleName=f"r-{uuid.uuid4().hex[:8]}", AssumeRolePolicyDocument=document)
                   ["Role"]["Arn"])

    trusts_caller = role(trust({"AWS": f"arn:aws:iam::{caller}:root"}))
    trusts_caller_by_id = role(trust({"AWS": caller}))
    trusts_someone_else = role(trust({"AWS": "arn:aws:iam::999999999999:root"}))
    trusts_a_service = role(trust({"Service": "lambda.amazonaws.com"}))
    denies_caller = role(json.dumps({"Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"},
        {"Effect": "Deny", "Principal": {"AWS": caller}, "Action": "sts:*"},
    ]}))
    assert aws.assume(trusts_caller).account_id() == member.id
    assert aws.assume(trusts_caller_by_id).account_id() == member.id
    for arn in (trusts_someone_else, trusts_a_service, denies_caller):
        assert denied(aws, arn).response["Error"]["Code"] == "AccessDenied"


def test_an_external_id_condition_must_be_met(aws: Aws) -> None:
    member = own_account(aws)
    arn = member.aws.client("iam").create_role(
        RoleName="ark-reader",
        AssumeRolePolicyDocument=trust({"AWS": aws.account_id()}, {"StringEquals": {"sts:ExternalId": "s3cret"}}),
    )["Role"]["Arn"]
    assert denied(aws, arn).response["Error"]["Code"] == "AccessDenied"
    assert denied(aws, arn, ExternalId="wrong").response["Error"]["Code"] == "AccessDenied"
    assert aws.assume(arn, external_id="s3cret").account_id() == member.id


def test_a_role_principal_admits_that_role_s_sessions_only(aws: Aws) -> None:
    member = own_account(aws)
    iam = member.aws.client("iam")
    hop = iam.create_role(RoleName="hop", AssumeRolePolicyDocument=trust({"AWS": aws.account_id()}))["Role"]["Arn"]
    target = iam.create_role(RoleName="target", AssumeRolePolicyDocument=trust({"AWS": hop}))["Role"]["Arn"]
    assert denied(aws, target).response["Error"]["Code"] == "AccessDenied"  # the caller is not `hop`
    assert aws.assume(hop).assume(target).account_id() == member.id


def standalone(aws: Aws) -> Aws:
    """An account in no organization: a member the default organization's management removed."""
    account = own_account(aws)
    aws.client("organizations").remove_account_from_organization(AccountId=account.id)
    return account.aws


def _management(aws: Aws) -> Aws:
    """An account that runs its own organization."""
    account = standalone(aws)
    account.client("organizations").create_organization(FeatureSet="ALL")
    return account


def test_list_accounts_pages_by_twenty_for_the_management_account_only(aws: Aws) -> None:
    management = _management(aws)
    org = management.client("organizations")
    created = {org.create_account(AccountName=f"a{i}", Email=f"a{i}@example.com")["CreateAccountStatus"]["AccountId"]
               for i in range(21)}
    first = org.list_accounts()
    assert len(first["Accounts"]) == 20 and first.get("NextToken")
    listed = {a["Id"] for page in org.get_paginator("list_accounts").paginate() for a in page["Accounts"]}
    assert listed == created | {management.account_id()}

    member = management.assume(f"arn:aws:iam::{sorted(created)[0]}:role/OrganizationAccountAccessRole")
    with pytest.raises(botocore.exceptions.ClientError) as info:
        member.client("organizations").list_accounts()
    assert info.value.response["Error"]["Code"] == "AccessDeniedException"


def test_list_accounts_outside_an_organization(aws: Aws) -> None:
    loner = standalone(aws)
    with pytest.raises(botocore.exceptions.ClientError) as info:
        loner.client("organizations").list_accounts()
    assert info.value.response["Error"]["Code"] == "AWSOrganizationsNotInUseException"
