"""SES receipt rules with a Lambda action: the rule comes back in its set and in order, in place and
in another region (its set created there, not activated); SES refuses a rule without the permission."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kindtest import ACCOUNT, actions, applied, planned, record_of

from lambda_ark.aws import Aws
from lambda_ark.kinds import ses as kind
from lambda_ark.restore.arns import ArnMapper

A, B = "us-east-2", "ca-central-1"


def _allow(aws: Aws, region: str, name: str, rule_set: str, rule: str) -> None:
    aws.client("lambda", region).add_permission(
        FunctionName=name, StatementId="ses", Action="lambda:InvokeFunction", Principal="ses.amazonaws.com",
        SourceAccount=ACCOUNT,
        SourceArn=f"arn:aws:ses:{region}:{ACCOUNT}:receipt-rule-set/{rule_set}:receipt-rule/{rule}")


def _rules(aws: Aws, region: str, rule_set: str) -> list[dict[str, Any]]:
    return list(aws.client("ses", region).describe_receipt_rule_set(RuleSetName=rule_set)["Rules"])


def test_round_trip_in_order_in_place_and_into_another_region(
    aws: Aws, uid: Callable[[str], str], make_function: Callable[..., dict[str, Any]],
    region_ctx: Callable[..., Any], restore_ctx: Callable[..., Any],
) -> None:
    name, rule_set = uid("sesfn"), uid("set")
    fn = make_function(A, name)
    _allow(aws, A, name, rule_set, "invoke")
    ses = aws.client("ses", A)
    ses.create_receipt_rule_set(RuleSetName=rule_set)
    ses.create_receipt_rule(RuleSetName=rule_set, Rule={"Name": "first", "Actions": [
        {"StopAction": {"Scope": "RuleSet"}}], "Recipients": ["spam@example.com"]})
    rule = {"Name": "invoke", "Enabled": True, "TlsPolicy": "Require", "ScanEnabled": True,
            "Recipients": ["orders@example.com"],
            "Actions": [{"LambdaAction": {"FunctionArn": fn["FunctionArn"], "InvocationType": "RequestResponse"}}]}
    ses.create_receipt_rule(RuleSetName=rule_set, After="first", Rule=rule)
    ses.create_receipt_rule(RuleSetName=rule_set, After="invoke", Rule={"Name": "last", "Actions": []})
    ctx = region_ctx(A)
    data = kind.capture(ctx, kind.discover(ctx), fn)
    assert data is not None and not ctx.warnings
    (entry,) = data
    assert entry["rule"] == rule and entry["after"] == ["first"] and entry["active"] is False
    record = record_of(fn, A)

    ses.delete_receipt_rule(RuleSetName=rule_set, RuleName="invoke")
    assert actions(applied(kind, restore_ctx(ArnMapper()), record, data)) == ["create"]
    assert [r["Name"] for r in _rules(aws, A, rule_set)] == ["first", "invoke", "last"]
    assert actions(applied(kind, restore_ctx(ArnMapper()), record, data)) == ["unchanged"]

    make_function(B, name)
    _allow(aws, B, name, rule_set, "invoke")  # the policy kind's work in a real restore
    mapper = ArnMapper(region_map={A: B})
    changes = planned(kind, restore_ctx(mapper), record, data)
    assert [(c.action, c.target.split()[0:2]) for c in changes] == [
        ("create", ["receipt", "rule"]), ("create", ["receipt", "rule"])]
    assert actions(applied(kind, restore_ctx(mapper), record, data)) == ["create", "create"]
    (got,) = _rules(aws, B, rule_set)
    assert got["Actions"][0]["LambdaAction"]["FunctionArn"] == f"arn:aws:lambda:{B}:{ACCOUNT}:function:{name}"
    assert (got["TlsPolicy"], got["Recipients"]) == ("Require", ["orders@example.com"])
    assert actions(applied(kind, restore_ctx(mapper), record, data)) == ["unchanged"]


def test_a_rule_without_permission_is_refused(
    aws: Aws, uid: Callable[[str], str], make_function: Callable[..., dict[str, Any]],
    region_ctx: Callable[..., Any], restore_ctx: Callable[..., Any],
) -> None:
    name, rule_set = uid("sesnoperm"), uid("set")
    fn = make_function(A, name)
    _allow(aws, A, name, rule_set, "r")
    ses = aws.client("ses", A)
    ses.create_receipt_rule_set(RuleSetName=rule_set)
    ses.create_receipt_rule(RuleSetName=rule_set, Rule={"Name": "r", "Actions": [
        {"LambdaAction": {"FunctionArn": fn["FunctionArn"]}}]})
    ctx = region_ctx(A)
    data = kind.capture(ctx, kind.discover(ctx), fn)
    ses.delete_receipt_rule(RuleSetName=rule_set, RuleName="r")
    aws.client("lambda", A).remove_permission(FunctionName=name, StatementId="ses")
    (change,) = applied(kind, restore_ctx(ArnMapper()), record_of(fn, A), data)
    assert change.action == "failed" and "InvalidLambdaFunction" in change.detail


def test_to_iac() -> None:
    (res,) = kind.to_iac({}, [{"rule_set": "s", "active": False, "after": ["a"], "rule": {"Name": "r"}}])
    assert res["Type"] == "AWS::SES::ReceiptRule" and res["Properties"]["After"] == "a"
