"""Secrets rotated by a function: rotation is re-pointed, in place and in another region, and the
restore never rotates the secret; a missing secret is a failed change (lambda-ark does not create
secrets)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from kindtest import ACCOUNT, actions, applied, planned, record_of

from lambda_ark.aws import Aws
from lambda_ark.kinds import secrets_rotation as kind
from lambda_ark.restore.arns import ArnMapper

A, B = "eu-central-2", "eu-north-1"
RULES = {"ScheduleExpression": "rate(10 days)", "Duration": "2h"}


def _state(aws: Aws, region: str, name: str) -> tuple[Any, ...]:
    """What a rotation would change: the versions and when it last rotated."""
    got = aws.client("secretsmanager", region).describe_secret(SecretId=name)
    return got.get("LastRotatedDate"), got["VersionIdsToStages"]


def test_rotation_round_trip_without_rotating(
    aws: Aws, uid: Callable[[str], str], make_function: Callable[..., dict[str, Any]],
    region_ctx: Callable[..., Any], restore_ctx: Callable[..., Any],
) -> None:
    name, secret = uid("rotator"), uid("secret")
    fn = make_function(A, name)
    aws.client("lambda", A).add_permission(FunctionName=name, StatementId="sm", Action="lambda:InvokeFunction",
                                           Principal="secretsmanager.amazonaws.com", SourceAccount=ACCOUNT)
    sm = aws.client("secretsmanager", A)
    sm.create_secret(Name=secret, SecretString="s3cr3t")
    sm.rotate_secret(SecretId=secret, RotationLambdaARN=fn["FunctionArn"], RotationRules=RULES,
                     RotateImmediately=False)
    ctx = region_ctx(A)
    data = kind.capture(ctx, kind.discover(ctx), fn)
    assert data is not None
    (entry,) = data
    assert (entry["rules"], entry["enabled"]) == (RULES, True)
    assert "s3cr3t" not in json.dumps(data)
    policy = json.loads(aws.client("lambda", A).get_policy(FunctionName=name)["Policy"])["Statement"]
    record = record_of(fn, A, {"policy": {"": policy}})

    other = make_function(A, uid("other"))
    sm.rotate_secret(SecretId=secret, RotationLambdaARN=other["FunctionArn"], RotateImmediately=False)
    sm.cancel_rotate_secret(SecretId=secret)
    before = _state(aws, A, secret)
    (change,) = planned(kind, restore_ctx(ArnMapper()), record, data)
    assert change.action == "update" and set(change.fields) == {"RotationLambdaARN", "RotationEnabled"}
    assert actions(applied(kind, restore_ctx(ArnMapper()), record, data)) == ["update"]
    got = sm.describe_secret(SecretId=secret)
    assert (got["RotationLambdaARN"], got["RotationRules"], got["RotationEnabled"]) == (fn["FunctionArn"], RULES,
                                                                                         True)
    assert _state(aws, A, secret) == before  # never rotated by the restore
    assert actions(applied(kind, restore_ctx(ArnMapper()), record, data)) == ["unchanged"]

    # another region: no secret there -> failed; then the (replicated by hand) secret is re-pointed
    make_function(B, name)
    mapper = ArnMapper(region_map={A: B})
    (change,) = planned(kind, restore_ctx(mapper), record, data)
    assert change.action == "failed" and "does not create secrets" in change.detail
    aws.client("secretsmanager", B).create_secret(Name=secret, SecretString="s3cr3t")
    before = _state(aws, B, secret)
    assert actions(applied(kind, restore_ctx(mapper), record, data)) == ["update"]
    got = aws.client("secretsmanager", B).describe_secret(SecretId=secret)
    assert got["RotationLambdaARN"] == f"arn:aws:lambda:{B}:{ACCOUNT}:function:{name}"
    assert _state(aws, B, secret) == before
    assert actions(applied(kind, restore_ctx(mapper), record, data)) == ["unchanged"]


def test_rotation_recorded_off_is_restored_off(
    aws: Aws, uid: Callable[[str], str], make_function: Callable[..., dict[str, Any]],
    region_ctx: Callable[..., Any], restore_ctx: Callable[..., Any],
) -> None:
    name, secret = uid("rotoff"), uid("secret")
    fn = make_function(A, name)
    sm = aws.client("secretsmanager", A)
    sm.create_secret(Name=secret, SecretString="x")
    sm.rotate_secret(SecretId=secret, RotationLambdaARN=fn["FunctionArn"], RotationRules={"AutomaticallyAfterDays": 30},
                     RotateImmediately=False)
    sm.cancel_rotate_secret(SecretId=secret)
    ctx = region_ctx(A)
    data = kind.capture(ctx, kind.discover(ctx), fn)
    assert data is not None and data[0]["enabled"] is False
    assert actions(applied(kind, restore_ctx(ArnMapper()), record_of(fn, A), data)) == ["unchanged"]


def test_to_iac() -> None:
    (res,) = kind.to_iac({}, [{"name": "s", "arn": "a", "function_arn": "f", "rules": RULES, "enabled": True}])
    assert res["Type"] == "AWS::SecretsManager::RotationSchedule"
    assert res["Properties"]["RotateImmediatelyOnUpdate"] is False
