"""The listener rules (and listener default actions) that forward to a function's target groups.

A rule is found in the target by load balancer name, listener (protocol, port) and priority; then
by its conditions under another priority; else it is created at the recorded priority. Target
groups inside actions are named by ARN, which ends in a random id: they are matched and rewritten
by name (unique per region and account). lambda-ark never creates a load balancer or a listener
(subnets, security groups and certificates are not in the snapshot): a missing one is a failed
change that names it.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from functools import partial
from typing import Any

from ..aws import call
from ..errors import AwsError
from .base import Change, RestoreContext
from .common import maybe, pages

Resolve = Callable[[str], str]  # target group name -> its ARN in the target region (at apply time)
_CONFIGS = ("HostHeaderConfig", "PathPatternConfig", "HttpHeaderConfig", "QueryStringConfig",
            "HttpRequestMethodConfig", "SourceIpConfig")


def tg_name(arn: str) -> str:
    """arn:…:targetgroup/<name>/<id> -> <name>."""
    return arn.split(":targetgroup/", 1)[-1].split("/", 1)[0]


def forwards_to(action: dict[str, Any]) -> list[str]:
    """The target group ARNs an action forwards to."""
    if action.get("Type") != "forward":
        return []
    groups = [g["TargetGroupArn"] for g in (action.get("ForwardConfig") or {}).get("TargetGroups", [])]
    return groups or ([action["TargetGroupArn"]] if action.get("TargetGroupArn") else [])


def recorded_rule(lb: dict[str, Any], listener: dict[str, Any], rule: dict[str, Any] | None) -> dict[str, Any]:
    """One rule (None: the listener's default actions) as recorded."""
    out: dict[str, Any] = {"load_balancer": lb["LoadBalancerName"],
                           "listener": {"Protocol": listener.get("Protocol"), "Port": listener.get("Port")}}
    if rule is None:
        out.update(priority="default", conditions=[], actions=listener.get("DefaultActions", []))
    else:
        out.update(priority=rule["Priority"], conditions=[_condition(c) for c in rule.get("Conditions", [])],
                   actions=rule.get("Actions", []))
    return out


def _condition(c: dict[str, Any]) -> dict[str, Any]:
    """A condition as CreateRule takes it: its *Config block when AWS reports one (Values beside it
    would be refused), else Field + Values."""
    for key in _CONFIGS:
        if c.get(key):
            return {"Field": c["Field"], key: c[key]}
    return {"Field": c["Field"], "Values": c.get("Values", [])}


def _canonical_condition(c: dict[str, Any]) -> str:
    block = next((c[k] for k in _CONFIGS if c.get(k)), None)
    if block is None or set(block) == {"Values"}:
        return json.dumps([c["Field"], sorted((block or c).get("Values", []))])
    return json.dumps([c["Field"], block], sort_keys=True)


def _canonical_action(a: dict[str, Any]) -> str:
    """An action by what it does; target groups by name, with their weights."""
    rest = {k: v for k, v in a.items() if k not in ("TargetGroupArn", "ForwardConfig", "Order")}
    if a.get("Type") == "forward":
        groups = (a.get("ForwardConfig") or {}).get("TargetGroups") or [{"TargetGroupArn": a.get("TargetGroupArn")}]
        rest["groups"] = sorted((tg_name(g["TargetGroupArn"]), g.get("Weight", 1)) for g in groups)
    return json.dumps(rest, sort_keys=True, default=str)


def same_actions(a: list[dict[str, Any]], b: list[dict[str, Any]]) -> bool:
    return sorted(map(_canonical_action, a)) == sorted(map(_canonical_action, b))


def same_conditions(a: list[dict[str, Any]], b: list[dict[str, Any]]) -> bool:
    return sorted(map(_canonical_condition, a)) == sorted(map(_canonical_condition, b))


def write_actions(actions: list[dict[str, Any]], resolve: Resolve) -> list[dict[str, Any]]:
    """The recorded actions with every target group ARN that of the same-named group in the target."""
    out = []
    for action in copy.deepcopy(actions):
        if action.get("Type") == "forward":
            config = action.get("ForwardConfig")
            if config and config.get("TargetGroups"):
                for g in config["TargetGroups"]:
                    g["TargetGroupArn"] = resolve(tg_name(g["TargetGroupArn"]))
                action.pop("TargetGroupArn", None)  # AWS takes one or the other
            elif action.get("TargetGroupArn"):
                action["TargetGroupArn"] = resolve(tg_name(action["TargetGroupArn"]))
        out.append(action)
    return out


def plan_rule(ctx: RestoreContext, client: Any, rule: dict[str, Any], resolve: Resolve, fresh: bool) -> Change:
    """One recorded rule in the target; `fresh`: a target group it forwards to is created by this
    restore (so the live rule cannot already forward to it)."""
    region = client.meta.region_name
    lb_name, where = rule["load_balancer"], rule["listener"]
    label = f"load balancer {lb_name} {where['Protocol']}:{where['Port']} rule {rule['priority']} ({region})"
    lbs = maybe(client, "describe_load_balancers", Names=[lb_name])
    if not lbs or not lbs.get("LoadBalancers"):
        return Change("alb", label, "failed", f"load balancer {lb_name} does not exist in {region} "
                                              "(lambda-ark does not create load balancers)")
    lb_arn = lbs["LoadBalancers"][0]["LoadBalancerArn"]
    listener = next((x for x in pages(client, "describe_listeners", "Listeners", LoadBalancerArn=lb_arn)
                     if x.get("Protocol") == where["Protocol"] and x.get("Port") == where["Port"]), None)
    if listener is None:
        return Change("alb", label, "failed", f"load balancer {lb_name} has no {where['Protocol']} listener on "
                                              f"port {where['Port']} in {region}")
    if rule["priority"] == "default":
        if not fresh and same_actions(listener.get("DefaultActions", []), rule["actions"]):
            return Change("alb", label, "unchanged")
        return Change("alb", label, "update", "default actions", fields=["DefaultActions"],
                      apply=partial(_default, client, listener["ListenerArn"], rule, resolve))
    live = list(pages(client, "describe_rules", "Rules", ListenerArn=listener["ListenerArn"]))
    at = next((r for r in live if r["Priority"] == rule["priority"]), None)
    if at is None:
        at = next((r for r in live if r["Priority"] != "default"
                   and same_conditions(r.get("Conditions", []), rule["conditions"])), None)
    if at is None:
        return Change("alb", label, "create", "forward", apply=partial(_create, client, listener["ListenerArn"], rule,
                                                                       resolve))
    fields = [name for name, same in (("Conditions", same_conditions(at.get("Conditions", []), rule["conditions"])),
                                      ("Actions", not fresh and same_actions(at.get("Actions", []), rule["actions"])))
              if not same]
    if not fields:
        return Change("alb", label, "unchanged")
    return Change("alb", label, "update", ", ".join(fields), fields=fields,
                  apply=partial(_modify, client, at["RuleArn"], rule, resolve))


def _default(client: Any, listener_arn: str, rule: dict[str, Any], resolve: Resolve) -> None:
    call(client, "modify_listener", ListenerArn=listener_arn, DefaultActions=write_actions(rule["actions"], resolve))


def _create(client: Any, listener_arn: str, rule: dict[str, Any], resolve: Resolve) -> None:
    call(client, "create_rule", ListenerArn=listener_arn, Priority=int(rule["priority"]),
         Conditions=rule["conditions"], Actions=write_actions(rule["actions"], resolve))


def _modify(client: Any, rule_arn: str, rule: dict[str, Any], resolve: Resolve) -> None:
    call(client, "modify_rule", RuleArn=rule_arn, Conditions=rule["conditions"],
         Actions=write_actions(rule["actions"], resolve))


def resolver(ctx: RestoreContext, kind: str, client: Any) -> Resolve:
    """Target group name -> ARN in `client`'s region: what this restore created or found, else a lookup."""
    known: dict[tuple[str, str], str] = ctx.shared(kind).setdefault("target_groups", {})
    region = client.meta.region_name

    def resolve(name: str) -> str:
        if not known.get((region, name)):
            got = maybe(client, "describe_target_groups", Names=[name])
            if not got or not got.get("TargetGroups"):
                raise AwsError(f"target group {name} does not exist in {region}")
            known[(region, name)] = got["TargetGroups"][0]["TargetGroupArn"]
        return known[(region, name)]

    return resolve
