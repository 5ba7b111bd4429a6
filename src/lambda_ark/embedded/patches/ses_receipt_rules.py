"""SES receipt rules with a Lambda action: the function is looked up where it lives, and SES must be
allowed to invoke it.

AWS (CreateReceiptRule API reference; "Giving permissions to Amazon SES for email receiving"): a
rule's `LambdaAction` names a function in the same region that lets `ses.amazonaws.com` invoke it,
with the rule's ARN (`arn:aws:ses:<region>:<account>:receipt-rule-set/<set>:receipt-rule/<rule>`)
as `SourceArn` if it names one and the account as `SourceAccount`; otherwise CreateReceiptRule and
UpdateReceiptRule fail with InvalidLambdaFunction ("the provided AWS Lambda function is invalid, or
Amazon SES could not execute the provided function, possibly due to permissions issues").
DeleteReceiptRule removes a rule from its set (RuleSetDoesNotExist for an unknown set).
moto: looks the function up in the Docker Lambda backend, which is empty when Lambda runs without
Docker (as here), so every rule with a Lambda action is refused; UpdateReceiptRule checks nothing;
DeleteReceiptRule is not implemented.
Assumed where the reference is silent: deleting a rule that is not in the set does nothing.
"""

from __future__ import annotations

from typing import Any

from moto.core.responses import ActionResult, EmptyResult
from moto.ses.exceptions import InvalidLambdaFunctionException, RuleSetDoesNotExist
from moto.ses.models import SESBackend
from moto.ses.responses import EmailResponse

from ..permissions import allows, function_exists


def _check(backend: SESBackend, rule_set: str, rule: dict[str, Any]) -> None:
    where = f"arn:aws:ses:{backend.region_name}:{backend.account_id}"
    source = f"{where}:receipt-rule-set/{rule_set}:receipt-rule/{rule['Name']}"
    for action in rule.get("Actions", []):
        function = (action.get("LambdaAction") or {}).get("FunctionArn")
        if not function:
            continue
        if not function_exists(backend.account_id, backend.region_name, function):
            raise InvalidLambdaFunctionException(f"Invalid Lambda function: {function}")
        if not allows(backend.account_id, backend.region_name, function, ("ses.amazonaws.com",), source,
                      backend.account_id):
            raise InvalidLambdaFunctionException(
                f"Could not invoke Lambda function: {function} (Amazon SES is not allowed to invoke it)"
            )
        backend._validate_sns_topic(action["LambdaAction"].get("TopicArn"))


def _validate_receipt_rule_actions(original: Any) -> Any:
    def validate(self: SESBackend, rule: dict[str, Any]) -> None:
        others = [a for a in rule.get("Actions", []) if "LambdaAction" not in a]
        original(self, {**rule, "Actions": others})  # Lambda actions: checked by _check, with the set known

    return validate


def _create_receipt_rule(original: Any) -> Any:
    def create_receipt_rule(self: SESBackend, rule_set_name: str, rule: dict[str, Any], after: str | None) -> None:
        if rule_set_name in self.receipt_rule_set:
            _check(self, rule_set_name, rule)
        original(self, rule_set_name, rule, after)

    return create_receipt_rule


def _update_receipt_rule(original: Any) -> Any:
    def update_receipt_rule(self: SESBackend, rule_set_name: str, rule: dict[str, Any]) -> None:
        if rule_set_name in self.receipt_rule_set:
            self._validate_receipt_rule_actions(rule)
            _check(self, rule_set_name, rule)
        original(self, rule_set_name, rule)

    return update_receipt_rule


def delete_receipt_rule(self: EmailResponse) -> ActionResult:
    rule_set_name, rule_name = self._get_param("RuleSetName", ""), self._get_param("RuleName", "")
    rule_set = self.backend.receipt_rule_set.get(rule_set_name)
    if rule_set is None:
        raise RuleSetDoesNotExist(f"Rule set does not exist: {rule_set_name}")
    rule_set.rules[:] = [r for r in rule_set.rules if r["Name"] != rule_name]
    return EmptyResult()


def apply() -> None:
    EmailResponse.delete_receipt_rule = delete_receipt_rule  # type: ignore[attr-defined]
    SESBackend._validate_receipt_rule_actions = _validate_receipt_rule_actions(  # type: ignore[method-assign]
        SESBackend._validate_receipt_rule_actions
    )
    SESBackend.create_receipt_rule = _create_receipt_rule(SESBackend.create_receipt_rule)  # type: ignore[method-assign]
    SESBackend.update_receipt_rule = _update_receipt_rule(SESBackend.update_receipt_rule)  # type: ignore[method-assign]
