"""Cognito user pool triggers: this function's triggers come back, everything else about the pool
(other functions' triggers, its settings) stays; a pool found under another id gets the source's
invoke permission for its ARN; lambda-ark never creates a pool."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from kindtest import ACCOUNT, actions, applied, planned, record_of

from lambda_ark.aws import Aws
from lambda_ark.kinds import cognito as kind
from lambda_ark.restore.arns import ArnMapper

A, B = "eu-south-1", "eu-south-2"
SETTINGS = {"AutoVerifiedAttributes": ["email"], "EmailVerificationSubject": "Your code",
            "Policies": {"PasswordPolicy": {"MinimumLength": 12, "RequireUppercase": False, "RequireLowercase": True,
                                            "RequireNumbers": True, "RequireSymbols": False,
                                            "TemporaryPasswordValidityDays": 3}},
            "UserPoolTags": {"team": "identity"}}


def _pool(aws: Aws, region: str, name: str, config: dict[str, Any]) -> dict[str, Any]:
    pool: dict[str, Any] = aws.client("cognito-idp", region).create_user_pool(
        PoolName=name, LambdaConfig=config, **SETTINGS)["UserPool"]
    return pool


def _allow(aws: Aws, region: str, name: str, pool_arn: str) -> None:
    aws.client("lambda", region).add_permission(
        FunctionName=name, StatementId="cognito", Action="lambda:InvokeFunction",
        Principal="cognito-idp.amazonaws.com", SourceArn=pool_arn)


def _kept(live: dict[str, Any]) -> None:
    """Everything but LambdaConfig is as it was created (UpdateUserPool resets what it is not given)."""
    assert live["AutoVerifiedAttributes"] == ["email"] and live["EmailVerificationSubject"] == "Your code"
    assert live["Policies"]["PasswordPolicy"]["MinimumLength"] == 12
    assert live["UserPoolTags"] == {"team": "identity"}


def test_triggers_round_trip_in_place(
    aws: Aws, uid: Callable[[str], str], make_function: Callable[..., dict[str, Any]],
    region_ctx: Callable[..., Any], restore_ctx: Callable[..., Any],
) -> None:
    fn, other = make_function(A, uid("cogfn")), make_function(A, uid("cogother"))
    arn = fn["FunctionArn"]
    token = {"LambdaVersion": "V2_0", "LambdaArn": arn}
    pool = _pool(aws, A, uid("pool"), {"PreSignUp": arn, "PreTokenGenerationConfig": token,
                                       "PostConfirmation": other["FunctionArn"]})
    source_arn = f"arn:aws:cognito-idp:{A}:{ACCOUNT}:userpool/{pool['Id']}"
    _allow(aws, A, fn["FunctionName"], source_arn)

    ctx = region_ctx(A)
    data = kind.capture(ctx, kind.discover(ctx), fn)
    assert data is not None
    (entry,) = data
    assert entry["pool_arn"] == source_arn
    assert entry["triggers"]["PreSignUp"] == arn and entry["triggers"]["PreTokenGenerationConfig"] == token
    assert "PostConfirmation" not in entry["triggers"]  # another function's
    assert not ctx.warnings

    idp = aws.client("cognito-idp", A)
    args = kind.update_args(idp, idp.describe_user_pool(UserPoolId=pool["Id"])["UserPool"])
    idp.update_user_pool(UserPoolId=pool["Id"], **{**args, "LambdaConfig": {"PostConfirmation": other["FunctionArn"]}})
    record = record_of(fn, A)
    (change,) = planned(kind, restore_ctx(ArnMapper()), record, data)
    assert change.action == "update" and change.fields == ["PreSignUp", "PreTokenGenerationConfig"]
    assert actions(applied(kind, restore_ctx(ArnMapper()), record, data)) == ["update"]
    live = idp.describe_user_pool(UserPoolId=pool["Id"])["UserPool"]
    assert live["LambdaConfig"]["PreSignUp"] == arn
    assert live["LambdaConfig"]["PreTokenGenerationConfig"] == token
    assert live["LambdaConfig"]["PostConfirmation"] == other["FunctionArn"]
    _kept(live)
    assert actions(applied(kind, restore_ctx(ArnMapper()), record, data)) == ["unchanged"]


def test_another_region_uses_the_same_named_pool_and_grants_its_arn(
    aws: Aws, uid: Callable[[str], str], make_function: Callable[..., dict[str, Any]],
    region_ctx: Callable[..., Any], restore_ctx: Callable[..., Any],
) -> None:
    name, pool_name = uid("cogx"), uid("pool")
    fn = make_function(A, name)
    pool = _pool(aws, A, pool_name, {"PostAuthentication": fn["FunctionArn"]})
    source_arn = f"arn:aws:cognito-idp:{A}:{ACCOUNT}:userpool/{pool['Id']}"
    _allow(aws, A, name, source_arn)
    ctx = region_ctx(A)
    data = kind.capture(ctx, kind.discover(ctx), fn)
    policy = json.loads(aws.client("lambda", A).get_policy(FunctionName=name)["Policy"])["Statement"]
    record = record_of(fn, A, {"policy": {"": policy}})
    mapper = ArnMapper(region_map={A: B})

    # no pool of that name in B: failed, saying lambda-ark does not create pools
    make_function(B, name)
    (change,) = planned(kind, restore_ctx(mapper), record, data)
    assert change.action == "failed" and "does not create user pools" in change.detail

    standby = _pool(aws, B, pool_name, {})
    assert actions(planned(kind, restore_ctx(mapper), record, data)) == ["create", "update"]
    assert actions(applied(kind, restore_ctx(mapper), record, data)) == ["create", "update"]
    fn_b = f"arn:aws:lambda:{B}:{ACCOUNT}:function:{name}"
    live = aws.client("cognito-idp", B).describe_user_pool(UserPoolId=standby["Id"])["UserPool"]
    assert live["LambdaConfig"] == {"PostAuthentication": fn_b}
    _kept(live)
    statements = json.loads(aws.client("lambda", B).get_policy(FunctionName=name)["Policy"])["Statement"]
    new_arn = f"arn:aws:cognito-idp:{B}:{ACCOUNT}:userpool/{standby['Id']}"
    assert [s["Condition"]["ArnLike"]["AWS:SourceArn"] for s in statements] == [new_arn]
    assert actions(applied(kind, restore_ctx(mapper), record, data)) == ["unchanged", "unchanged"]


def test_to_iac_is_a_partial_pool() -> None:
    data = [{"pool_id": "p", "pool_name": "n", "pool_arn": "a",
             "triggers": {"PreSignUp": "arn:aws:lambda:r:1:function:f"}}]
    (res,) = kind.to_iac({}, data)
    assert res["Type"] == "AWS::Cognito::UserPool" and res["Properties"]["LambdaConfig"]["PreSignUp"].endswith(":f")
