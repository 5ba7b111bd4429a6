"""Application Load Balancer target groups of type `lambda`, and the listener rules that forward to them.

Recorded per target group the function (or its version or alias) is registered in: its name, health
check settings, `lambda.multi_value_headers.enabled`, tags, and every listener rule (or listener
default action) of its load balancers that forwards to it (`alb_rules`).

Restore reuses the same-named target group in the target region or creates it (a target group's
ARN ends in a random id, so a recreated one gets a new ARN: the source's invoke permission is added
again for it, `regrant`), registers the mapped function in it (after deregistering any other: a
`lambda` target group holds one function; ELB refuses the registration unless the function lets it
invoke), then puts the rules.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from ..aws import call
from .alb_rules import forwards_to, plan_rule, recorded_rule, resolver
from .base import Change, RegionContext, RestoreContext
from .common import maybe, offered, pages
from .regrant import plan_regrant
from .triggers import FunctionIndex, check_permission, is_function_arn

NAME = "alb"
SERVICE = "elbv2"
PERMISSIONS = (
    "elasticloadbalancing:DescribeTargetGroups",
    "elasticloadbalancing:DescribeTargetHealth",
    "elasticloadbalancing:DescribeTargetGroupAttributes",
    "elasticloadbalancing:DescribeTags",
    "elasticloadbalancing:DescribeLoadBalancers",
    "elasticloadbalancing:DescribeListeners",
    "elasticloadbalancing:DescribeRules",
    "elasticloadbalancing:CreateTargetGroup",
    "elasticloadbalancing:ModifyTargetGroup",
    "elasticloadbalancing:ModifyTargetGroupAttributes",
    "elasticloadbalancing:RegisterTargets",
    "elasticloadbalancing:DeregisterTargets",
    "elasticloadbalancing:CreateRule",
    "elasticloadbalancing:ModifyRule",
    "elasticloadbalancing:ModifyListener",
    "lambda:GetPolicy",
    "lambda:AddPermission",
)
SCOPE = "region"
ORDER_REASON = "after the function, its versions/aliases and policy: ELB registers a function only if it may invoke it"
INVOKERS = ("elasticloadbalancing.amazonaws.com",)
_PRINCIPAL = INVOKERS[0]
SETTINGS = ("HealthCheckEnabled", "HealthCheckPath", "HealthCheckIntervalSeconds", "HealthCheckTimeoutSeconds",
            "HealthyThresholdCount", "UnhealthyThresholdCount", "Matcher")
_ATTRIBUTES = ("lambda.multi_value_headers.enabled",)  # the one attribute a lambda target group has


def discover(ctx: RegionContext) -> FunctionIndex:
    """DescribeTargetGroups (paged); per `lambda` group DescribeTargetHealth and its attributes; tags
    20 groups a call; per load balancer in front of one: DescribeListeners and DescribeRules."""
    if not offered(ctx, SERVICE):
        return FunctionIndex()
    client = ctx.client("elbv2")
    groups = [g for g in pages(client, "describe_target_groups", "TargetGroups") if g.get("TargetType") == "lambda"]
    tags = _tags(client, [g["TargetGroupArn"] for g in groups])
    rules = _rules(client, {lb for g in groups for lb in g.get("LoadBalancerArns", [])})
    index = FunctionIndex()
    for group in groups:
        arn = group["TargetGroupArn"]
        health = maybe(client, "describe_target_health", TargetGroupArn=arn)
        if health is None:  # deleted since listed
            continue
        attributes = call(client, "describe_target_group_attributes", TargetGroupArn=arn)["Attributes"]
        for target in health.get("TargetHealthDescriptions", []):
            function = target["Target"]["Id"]
            if not is_function_arn(function):
                continue
            index.add(function, {
                "name": group["TargetGroupName"], "arn": arn, "target": function,
                "settings": {k: group[k] for k in SETTINGS if group.get(k) is not None},
                "attributes": {a["Key"]: a["Value"] for a in attributes if a["Key"] in _ATTRIBUTES},
                "tags": tags.get(arn, {}),
                "rules": [r for r in rules if any(arn in forwards_to(a) for a in r["actions"])],
            })
    return index


def _tags(client: Any, arns: list[str]) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for i in range(0, len(arns), 20):  # DescribeTags takes 20 resources a call
        for d in call(client, "describe_tags", ResourceArns=arns[i:i + 20]).get("TagDescriptions", []):
            out[d["ResourceArn"]] = {t["Key"]: t["Value"] for t in d.get("Tags", [])}
    return out


def _rules(client: Any, lb_arns: set[str]) -> list[dict[str, Any]]:
    out = []
    for lb_arn in sorted(lb_arns):
        described = maybe(client, "describe_load_balancers", LoadBalancerArns=[lb_arn])
        if not described or not described.get("LoadBalancers"):
            continue
        lb = described["LoadBalancers"][0]
        for listener in pages(client, "describe_listeners", "Listeners", LoadBalancerArn=lb_arn):
            out.append(recorded_rule(lb, listener, None))
            out += [recorded_rule(lb, listener, r) for r in pages(client, "describe_rules", "Rules",
                                                                  ListenerArn=listener["ListenerArn"])
                    if r["Priority"] != "default"]
    return out


def capture(ctx: RegionContext, index: FunctionIndex, fn: dict[str, Any]) -> list[dict[str, Any]] | None:
    found = sorted(index.get(fn), key=lambda g: g["name"])
    for group in found:
        check_permission(ctx, NAME, group["target"], _PRINCIPAL, group["arn"])
    return found or None


def sources(record: dict[str, Any], data: list[dict[str, Any]]) -> list[str]:
    return [g["arn"] for g in data]


def plan(ctx: RestoreContext, record: dict[str, Any], data: list[dict[str, Any]]) -> list[Change]:
    region = ctx.target_region(record)
    client = ctx.client("elbv2", region)
    resolve = resolver(ctx, NAME, client)
    known: dict[tuple[str, str], str] = ctx.shared(NAME).setdefault("target_groups", {})
    changes: list[Change] = []
    for group in data:
        name = group["name"]
        label = f"target group {name} ({region})"
        got = maybe(client, "describe_target_groups", Names=[name])
        live = (got or {}).get("TargetGroups", [None])[0]
        if live is not None and live.get("TargetType") != "lambda":
            changes.append(Change(NAME, label, "failed", f"{name} in {region} is a target group of type "
                                                         f"{live.get('TargetType')}, not lambda"))
            continue
        if live is None:
            changes.append(Change(NAME, label, "create", "type lambda", apply=partial(_create, ctx, client, group)))
        else:
            known[(region, name)] = live["TargetGroupArn"]
            changes.append(_settings_change(client, label, group, live))
        new_arn = None if live is None else str(live["TargetGroupArn"])
        grant = plan_regrant(ctx, NAME, record, group["target"], _PRINCIPAL, group["arn"], new_arn,
                             partial(resolve, name))
        if grant is not None:
            changes.append(grant)
        changes.append(_target_change(ctx, client, label, group, new_arn, resolve))
        changes += [plan_rule(ctx, client, rule, resolve, fresh=live is None) for rule in group["rules"]]
    return changes


def _settings_change(client: Any, label: str, group: dict[str, Any], live: dict[str, Any]) -> Change:
    have = {k: live[k] for k in SETTINGS if live.get(k) is not None}
    attributes = call(client, "describe_target_group_attributes", TargetGroupArn=live["TargetGroupArn"])["Attributes"]
    have_attrs = {a["Key"]: a["Value"] for a in attributes if a["Key"] in group["attributes"]}
    fields = sorted(k for k in group["settings"] if group["settings"][k] != have.get(k))
    fields += sorted(k for k in group["attributes"] if group["attributes"][k] != have_attrs.get(k))
    if not fields:
        return Change(NAME, label, "unchanged", live["TargetGroupArn"])
    return Change(NAME, label, "update", ", ".join(fields), fields=fields,
                  apply=partial(_modify, client, live["TargetGroupArn"], group))


def _create(ctx: RestoreContext, client: Any, group: dict[str, Any]) -> str:
    tags = [{"Key": k, "Value": v} for k, v in sorted(group["tags"].items())]
    made = call(client, "create_target_group", Name=group["name"], TargetType="lambda", **group["settings"],
                **({"Tags": tags} if tags else {}))["TargetGroups"][0]
    arn = str(made["TargetGroupArn"])
    ctx.shared(NAME).setdefault("target_groups", {})[(client.meta.region_name, group["name"])] = arn
    if group["attributes"]:
        _attributes(client, arn, group)
    return arn


def _modify(client: Any, arn: str, group: dict[str, Any]) -> None:
    settings = {k: v for k, v in group["settings"].items()}
    call(client, "modify_target_group", TargetGroupArn=arn, **settings)
    if group["attributes"]:
        _attributes(client, arn, group)


def _attributes(client: Any, arn: str, group: dict[str, Any]) -> None:
    call(client, "modify_target_group_attributes", TargetGroupArn=arn,
         Attributes=[{"Key": k, "Value": v} for k, v in sorted(group["attributes"].items())])


def _target_change(ctx: RestoreContext, client: Any, label: str, group: dict[str, Any], live_arn: str | None,
                   resolve: Any) -> Change:
    want = ctx.mapper.arn(group["target"])
    if live_arn is not None and not ctx.arn_unknown(group["target"]):
        health = call(client, "describe_target_health", TargetGroupArn=live_arn)
        if want in [t["Target"]["Id"] for t in health.get("TargetHealthDescriptions", [])]:
            return Change(NAME, f"{label} target", "unchanged", want)
    return Change(NAME, f"{label} target", "create", want,
                  apply=partial(_register, ctx, client, group, partial(resolve, group["name"])))


def _register(ctx: RestoreContext, client: Any, group: dict[str, Any], arn_of: Any) -> None:
    arn = arn_of()
    want = ctx.mapper.arn(group["target"])  # now: a republished version has its number
    health = call(client, "describe_target_health", TargetGroupArn=arn)
    others = [{"Id": t["Target"]["Id"]} for t in health.get("TargetHealthDescriptions", [])
              if t["Target"]["Id"] != want]
    if others:  # a lambda target group holds one function
        call(client, "deregister_targets", TargetGroupArn=arn, Targets=others)
    call(client, "register_targets", TargetGroupArn=arn, Targets=[{"Id": want}])


def to_iac(record: dict[str, Any], data: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for group in data:
        props: dict[str, Any] = {"Name": group["name"], "TargetType": "lambda", **group["settings"],
                                 "Targets": [{"Id": group["target"]}]}
        if group["attributes"]:
            props["TargetGroupAttributes"] = [{"Key": k, "Value": v} for k, v in sorted(group["attributes"].items())]
        if group["tags"]:
            props["Tags"] = [{"Key": k, "Value": v} for k, v in sorted(group["tags"].items())]
        out.append({"Type": "AWS::ElasticLoadBalancingV2::TargetGroup", "Properties": props})
        for rule in group["rules"]:
            if rule["priority"] == "default":
                continue  # the listener itself (AWS::ElasticLoadBalancingV2::Listener) is not recorded
            out.append({"Type": "AWS::ElasticLoadBalancingV2::ListenerRule",
                        "Metadata": {"lambda-ark": {"load_balancer": rule["load_balancer"],
                                                    "listener": rule["listener"]}},
                        "Properties": {"Priority": int(rule["priority"]), "Conditions": rule["conditions"],
                                       "Actions": rule["actions"]}})
    return out
