"""Accounts a policy covers, and reaching them: Aws.assume (external id, renewing credentials)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from tests.accounts import own_account

from lambda_ark.automation import resolve_accounts
from lambda_ark.aws import SESSION_NAME, Aws
from lambda_ark.policy import parse_policy

from .conftest import role_of


def sources(text: str):  # type: ignore[no-untyped-def]
    return parse_policy(f"repositories: {{primary: /x}}\naccounts: {text}\njobs: {{a: {{schedule: rate(1 hour)}}}}\n"
                        ).policy.accounts


def test_sources_resolve_in_order_without_duplicates(aws: Aws) -> None:
    member = own_account(aws)
    me = aws.account_id()
    got = resolve_accounts(aws, sources(f'[{{role_arn: "{role_of(member)}"}}, {{current: true}}, '
                                        f'{{role_arn: "arn:aws:iam::{member.id}:role/other"}}]'))
    assert [(t.account, t.role_arn) for t in got.targets] == [(member.id, role_of(member)), (me, None)]
    assert [(t.account, t.via) for t in resolve_accounts(aws, []).targets] == [(me, "the current credentials")]


def test_an_external_id_is_passed_and_the_session_is_named(aws: Aws) -> None:
    member = own_account(aws)
    arn = member.aws.client("iam").create_role(RoleName="ark-reader", AssumeRolePolicyDocument=json.dumps({
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": aws.account_id()}, "Action": "sts:AssumeRole",
                       "Condition": {"StringEquals": {"sts:ExternalId": "acme", "sts:RoleSessionName": SESSION_NAME}}}]
    }))["Role"]["Arn"]
    (target,) = resolve_accounts(aws, sources(f'[{{role_arn: "{arn}", external_id: acme}}]')).targets
    assert target.connect(aws).account_id() == member.id


def test_assumed_credentials_renew_themselves(aws: Aws) -> None:
    member = own_account(aws)
    other = aws.assume(role_of(member))
    assert other.account_id() == member.id
    credentials = other.session.get_credentials()
    first = credentials.get_frozen_credentials().access_key
    before = aws.calls["sts.AssumeRole"]
    credentials._expiry_time = datetime.now(UTC)  # as if the hour were up
    assert other.account_id() == member.id
    assert aws.calls["sts.AssumeRole"] == before + 1
    assert credentials.get_frozen_credentials().access_key != first
