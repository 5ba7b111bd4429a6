"""SES receipt rules with a `LambdaAction` (inbound email handed to a function).

A rule is recorded whole (recipients, actions in order, enabled, TLS policy, spam scan) with its
rule set, whether that set was the active one, and the names of the rules before it. Restore
creates a missing rule set (it is not activated: which set receives mail is a decision for a
person; a warning says so when the source's set was active), creates a missing rule after the last
of its recorded predecessors that exists (so rules keep their order), or updates a rule that
differs. SES invokes through the function's resource policy (principal `ses.amazonaws.com`, source
the rule's ARN, named) and refuses a rule whose function does not let it.

SES receives email only in some regions; elsewhere the rule sets are empty or the API refuses.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from ..aws import call
from .base import Change, RegionContext, RestoreContext, once
from .common import maybe, offered, pages
from .triggers import FunctionIndex, check_permission, is_function_arn, split_function_arn

NAME = "ses"
SERVICE = "ses"
PERMISSIONS = ("ses:ListReceiptRuleSets", "ses:DescribeReceiptRuleSet", "ses:DescribeActiveReceiptRuleSet",
               "ses:DescribeReceiptRule", "ses:CreateReceiptRuleSet", "ses:CreateReceiptRule",
               "ses:UpdateReceiptRule", "lambda:GetPolicy")
SCOPE = "region"
ORDER_REASON = "after the function, its versions/aliases and policy: SES tests the invoke permission when a rule is put"
INVOKERS = ("ses.amazonaws.com",)


def rule_arn(region: str, account: str, rule_set: str, rule: str, partition: str = "aws") -> str:
    return f"arn:{partition}:ses:{region}:{account}:receipt-rule-set/{rule_set}:receipt-rule/{rule}"


def lambda_arns(rule: dict[str, Any]) -> list[str]:
    return [a["LambdaAction"]["FunctionArn"] for a in rule.get("Actions", [])
            if is_function_arn((a.get("LambdaAction") or {}).get("FunctionArn", ""))]


def discover(ctx: RegionContext) -> FunctionIndex:
    """ListReceiptRuleSets (paged), DescribeActiveReceiptRuleSet, DescribeReceiptRuleSet per set."""
    if not offered(ctx, SERVICE):
        return FunctionIndex()
    index = FunctionIndex()
    client = ctx.client("ses")
    active = (call(client, "describe_active_receipt_rule_set").get("Metadata") or {}).get("Name")
    for summary in pages(client, "list_receipt_rule_sets", "RuleSets"):
        got = maybe(client, "describe_receipt_rule_set", RuleSetName=summary["Name"])
        rules = (got or {}).get("Rules", [])  # None: deleted since listed
        for i, rule in enumerate(rules):
            entry = {"rule_set": summary["Name"], "active": summary["Name"] == active, "rule": rule,
                     "after": [r["Name"] for r in rules[:i]]}
            for function in set(lambda_arns(rule)):
                index.add(function, entry)
    return index


def capture(ctx: RegionContext, index: FunctionIndex, fn: dict[str, Any]) -> list[dict[str, Any]] | None:
    found = sorted(index.get(fn), key=lambda e: (e["rule_set"], e["rule"]["Name"]))
    mine = split_function_arn(fn["FunctionArn"])[0]
    for entry in found:
        source = rule_arn(ctx.region, ctx.account, entry["rule_set"], entry["rule"]["Name"])
        for target in lambda_arns(entry["rule"]):
            if split_function_arn(target)[0] == mine:
                check_permission(ctx, NAME, target, "ses.amazonaws.com", source)
    return found or None


def sources(record: dict[str, Any], data: list[dict[str, Any]]) -> list[str]:
    return [rule_arn(record["region"], record["account"], e["rule_set"], e["rule"]["Name"]) for e in data]


def plan(ctx: RestoreContext, record: dict[str, Any], data: list[dict[str, Any]]) -> list[Change]:
    region = ctx.target_region(record)
    client = ctx.client("ses", region)
    sets: dict[tuple[str, str], Any] = ctx.shared(NAME).setdefault("sets", {})
    changes = []
    for entry in data:
        rule_set, name = entry["rule_set"], entry["rule"]["Name"]
        label = f"receipt rule {rule_set}/{name} ({region})"
        key = (region, rule_set)
        if key not in sets:
            sets[key] = maybe(client, "describe_receipt_rule_set", RuleSetName=rule_set) is not None
            if not sets[key]:
                make = once(partial(_create_set, client, rule_set))
                sets[key] = make
                changes.append(Change(NAME, f"receipt rule set {rule_set} ({region})", "create",
                                      "not activated", apply=make))
                if entry["active"]:
                    ctx.warn(f"ses: receipt rule set {rule_set} was the active set in {record['region']}; the "
                             f"one restored in {region} is not activated (SetActiveReceiptRuleSet does that)")
        want = ctx.mapper.map_obj(entry["rule"])
        live = None if sets[key] is not True else maybe(client, "describe_receipt_rule", RuleSetName=rule_set,
                                                        RuleName=name)
        make_set = sets[key] if callable(sets[key]) else None
        if live is None:
            changes.append(Change(NAME, label, "create", ", ".join(lambda_arns(want)),
                                  apply=partial(_create_rule, ctx, client, entry, make_set)))
            continue
        have = live["Rule"]
        differ = sorted(k for k in set(want) | set(have) if want.get(k) != have.get(k))
        if not differ and not any(ctx.arn_unknown(a) for a in lambda_arns(entry["rule"])):
            changes.append(Change(NAME, label, "unchanged"))
            continue
        changes.append(Change(NAME, label, "update", ", ".join(differ), fields=differ,
                              apply=partial(_update_rule, ctx, client, entry)))
    return changes


def _create_set(client: Any, rule_set: str) -> None:
    if maybe(client, "describe_receipt_rule_set", RuleSetName=rule_set) is None:
        call(client, "create_receipt_rule_set", RuleSetName=rule_set)


def _create_rule(ctx: RestoreContext, client: Any, entry: dict[str, Any], make_set: Any) -> str:
    if make_set is not None:
        make_set()  # the set's own change normally ran first; applying the rule alone needs it too
    live = maybe(client, "describe_receipt_rule_set", RuleSetName=entry["rule_set"]) or {}
    present = {r["Name"] for r in live.get("Rules", [])}
    after = next((n for n in reversed(entry["after"]) if n in present), None)
    rule = ctx.mapper.map_obj(entry["rule"])  # now: republished versions have their numbers
    if entry["rule"]["Name"] in present:
        call(client, "update_receipt_rule", RuleSetName=entry["rule_set"], Rule=rule)
        return "updated"
    call(client, "create_receipt_rule", RuleSetName=entry["rule_set"], Rule=rule, **({"After": after} if after else {}))
    return f"after {after}" if after else "first in its set"


def _update_rule(ctx: RestoreContext, client: Any, entry: dict[str, Any]) -> None:
    call(client, "update_receipt_rule", RuleSetName=entry["rule_set"], Rule=ctx.mapper.map_obj(entry["rule"]))


def to_iac(record: dict[str, Any], data: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for entry in data:
        props: dict[str, Any] = {"RuleSetName": entry["rule_set"], "Rule": entry["rule"]}
        if entry["after"]:
            props["After"] = entry["after"][-1]
        out.append({"Type": "AWS::SES::ReceiptRule", "Properties": props})
    return out
