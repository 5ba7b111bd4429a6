"""Execution roles: captured only on request, recreated with every policy, existing roles left alone."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from kindtest import ACCOUNT, actions, applied, planned, record_of

from lambda_ark.aws import Aws
from lambda_ark.kinds import role as kind
from lambda_ark.restore.arns import ArnMapper

A = "eu-west-1"
TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
INLINE = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": f"arn:aws:sqs:{A}:{ACCOUNT}:out"}]}
MANAGED = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}


def _role(aws: Aws, name: str, policy_name: str) -> tuple[str, str]:
    iam = aws.client("iam")
    arn = iam.create_role(RoleName=name, Path="/svc/", AssumeRolePolicyDocument=json.dumps(TRUST),
                          Description="runs orders", Tags=[{"Key": "team", "Value": "orders"}])["Role"]["Arn"]
    iam.put_role_policy(RoleName=name, PolicyName="send", PolicyDocument=json.dumps(INLINE))
    policy = iam.create_policy(PolicyName=policy_name, PolicyDocument=json.dumps(MANAGED))["Policy"]["Arn"]
    iam.attach_role_policy(RoleName=name, PolicyArn=policy)
    return str(arn), str(policy)


def _delete(aws: Aws, name: str, policy: str) -> None:
    iam = aws.client("iam")
    iam.delete_role_policy(RoleName=name, PolicyName="send")
    iam.detach_role_policy(RoleName=name, PolicyArn=policy)
    iam.delete_policy(PolicyArn=policy)
    iam.delete_role(RoleName=name)


def test_role_round_trip(
    aws: Aws, uid: Callable[[str], str], region_ctx: Callable[..., Any], restore_ctx: Callable[..., Any],
) -> None:
    name, policy_name = uid("role"), uid("pol")
    arn, policy = _role(aws, name, policy_name)
    fn = {"FunctionName": "f", "FunctionArn": f"arn:aws:lambda:{A}:{ACCOUNT}:function:f", "Role": arn}
    ctx = region_ctx(A)
    assert kind.capture(ctx, None, fn) is None  # roles only when the backup asks for them
    ctx.cache["include_roles"] = True
    data = kind.capture(ctx, None, fn)
    assert data is not None
    assert (data["path"], data["name"], data["trust_policy"]) == ("/svc/", name, TRUST)
    assert data["inline"] == {"send": INLINE} and data["managed"] == [policy]
    assert data["customer_managed"][policy]["document"] == MANAGED

    _delete(aws, name, policy)
    record = record_of(fn, A)
    plan = planned(kind, restore_ctx(ArnMapper()), record, data)
    assert [(c.target, c.action) for c in plan] == [(policy, "create"), (arn, "create")]
    iam = aws.client("iam")
    assert name not in [r["RoleName"] for r in iam.list_roles()["Roles"]]

    state: dict[str, Any] = {}
    assert actions(applied(kind, restore_ctx(ArnMapper(), state=state), record, data)) == ["create"] * 2
    role = iam.get_role(RoleName=name)["Role"]
    assert role["Arn"] == arn and role["AssumeRolePolicyDocument"] == TRUST
    assert iam.get_role_policy(RoleName=name, PolicyName="send")["PolicyDocument"] == INLINE
    assert [p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]] == [policy]
    # a second function with the same role, in the same restore: not created twice
    (again,) = applied(kind, restore_ctx(ArnMapper(), state=state), record, data)
    assert again.action == "unchanged" and "created" in again.detail
    assert actions(applied(kind, restore_ctx(ArnMapper()), record, data)) == ["unchanged"]


def test_missing_role_warns(aws: Aws, uid: Callable[[str], str], region_ctx: Callable[..., Any]) -> None:
    ctx = region_ctx(A)
    ctx.cache["include_roles"] = True
    gone = f"arn:aws:iam::{ACCOUNT}:role/{uid('gone')}"
    assert kind.capture(ctx, None, {"FunctionName": "f", "FunctionArn": "x", "Role": gone}) is None
    assert [w for w in ctx.warnings if gone in w]


def test_role_name_and_iac() -> None:
    assert kind.role_name(f"arn:aws:iam::{ACCOUNT}:role/a/b/name") == ("/a/b/", "name")
    assert kind.role_name(f"arn:aws:iam::{ACCOUNT}:role/name") == ("/", "name")
    data = {"arn": f"arn:aws:iam::{ACCOUNT}:role/n", "name": "n", "path": "/",
            "trust_policy": TRUST, "managed": ["p"], "max_session_duration": 3600,
            "inline": {"i": INLINE}, "customer_managed": {"p": {"name": "p", "path": "/", "document": MANAGED}}}
    assert [r["Type"] for r in kind.to_iac({}, data).resources.values()] == ["AWS::IAM::ManagedPolicy",
                                                                            "AWS::IAM::Role"]
