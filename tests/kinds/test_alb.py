"""ALB target groups of type lambda: the group (settings, attribute, tags), the registration and the
listener rules come back; a recreated group gets the source's permission for its new ARN; a missing
load balancer is a failed change (lambda-ark does not create load balancers)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from kindtest import ACCOUNT, actions, applied, planned, record_of

from lambda_ark.aws import Aws
from lambda_ark.kinds import alb as kind
from lambda_ark.restore.arns import ArnMapper

A, B = "me-south-1", "me-central-1"
HEALTH = {"HealthCheckEnabled": True, "HealthCheckPath": "/health", "HealthCheckIntervalSeconds": 40,
          "HealthCheckTimeoutSeconds": 20, "HealthyThresholdCount": 3, "UnhealthyThresholdCount": 4}


def load_balancer(aws: Aws, region: str, name: str) -> str:
    """A load balancer with an HTTP:80 listener answering 404 by default; returns the listener ARN."""
    ec2, elb = aws.client("ec2", region), aws.client("elbv2", region)
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.9.{i}.0/24", AvailabilityZone=f"{region}{z}")["Subnet"][
        "SubnetId"] for i, z in ((1, "a"), (2, "b"))]
    lb = elb.create_load_balancer(Name=name, Subnets=subnets)["LoadBalancers"][0]["LoadBalancerArn"]
    return str(elb.create_listener(LoadBalancerArn=lb, Protocol="HTTP", Port=80, DefaultActions=[
        {"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404"}}])["Listeners"][0]["ListenerArn"])


def wire(aws: Aws, region: str, fn: dict[str, Any], tg_name: str, listener: str) -> str:
    elb = aws.client("elbv2", region)
    tg = elb.create_target_group(Name=tg_name, TargetType="lambda", Tags=[{"Key": "team", "Value": "web"}],
                                 **HEALTH)["TargetGroups"][0]["TargetGroupArn"]
    elb.modify_target_group_attributes(TargetGroupArn=tg, Attributes=[
        {"Key": "lambda.multi_value_headers.enabled", "Value": "true"}])
    aws.client("lambda", region).add_permission(
        FunctionName=fn["FunctionName"], StatementId="alb", Action="lambda:InvokeFunction",
        Principal="elasticloadbalancing.amazonaws.com", SourceArn=tg)
    elb.register_targets(TargetGroupArn=tg, Targets=[{"Id": fn["FunctionArn"]}])
    elb.create_rule(ListenerArn=listener, Priority=10, Conditions=[{"Field": "path-pattern", "Values": ["/api/*"]}],
                    Actions=[{"Type": "forward", "TargetGroupArn": tg}])
    return str(tg)


def test_round_trip_in_place_and_into_another_region(
    aws: Aws, uid: Callable[[str], str], make_function: Callable[..., dict[str, Any]],
    region_ctx: Callable[..., Any], restore_ctx: Callable[..., Any],
) -> None:
    name, tg_name, lb_name = uid("albfn"), uid("tg"), uid("lb")
    fn = make_function(A, name)
    listener = load_balancer(aws, A, lb_name)
    tg = wire(aws, A, fn, tg_name, listener)
    ctx = region_ctx(A)
    data = kind.capture(ctx, kind.discover(ctx), fn)
    assert data is not None and not ctx.warnings
    (group,) = data
    assert (group["name"], group["target"], group["tags"]) == (tg_name, fn["FunctionArn"], {"team": "web"})
    assert group["attributes"] == {"lambda.multi_value_headers.enabled": "true"}
    assert {k: group["settings"][k] for k in HEALTH} == HEALTH
    assert [(r["priority"], r["conditions"]) for r in group["rules"]] == [
        ("10", [{"Field": "path-pattern", "Values": ["/api/*"]}])]
    policy = json.loads(aws.client("lambda", A).get_policy(FunctionName=name)["Policy"])["Statement"]
    record = record_of(fn, A, {"policy": {"": policy}})

    # in place: rule, registration and target group deleted; the group comes back under a new ARN
    elb = aws.client("elbv2", A)
    (rule,) = [r for r in elb.describe_rules(ListenerArn=listener)["Rules"] if r["Priority"] == "10"]
    elb.delete_rule(RuleArn=rule["RuleArn"])
    elb.deregister_targets(TargetGroupArn=tg, Targets=[{"Id": fn["FunctionArn"]}])
    elb.delete_target_group(TargetGroupArn=tg)
    assert actions(planned(kind, restore_ctx(ArnMapper()), record, data)) == ["create"] * 4
    done = applied(kind, restore_ctx(ArnMapper()), record, data)
    assert actions(done) == ["create"] * 4, done
    (new,) = elb.describe_target_groups(Names=[tg_name])["TargetGroups"]
    assert new["TargetGroupArn"] != tg and {k: new[k] for k in HEALTH} == HEALTH
    attrs = {a["Key"]: a["Value"] for a in elb.describe_target_group_attributes(
        TargetGroupArn=new["TargetGroupArn"])["Attributes"]}
    assert attrs["lambda.multi_value_headers.enabled"] == "true"
    (health,) = elb.describe_target_health(TargetGroupArn=new["TargetGroupArn"])["TargetHealthDescriptions"]
    assert health["Target"]["Id"] == fn["FunctionArn"]
    (rule,) = [r for r in elb.describe_rules(ListenerArn=listener)["Rules"] if r["Priority"] == "10"]
    assert rule["Actions"][0]["TargetGroupArn"] == new["TargetGroupArn"]
    assert actions(applied(kind, restore_ctx(ArnMapper()), record, data)) == ["unchanged"] * 4

    # another region: the load balancer is missing -> the rule fails, the rest is restored
    make_function(B, name)
    mapper = ArnMapper(region_map={A: B})
    changes = planned(kind, restore_ctx(mapper), record, data)
    assert actions(changes) == ["create", "create", "create", "failed"]
    assert "does not create load balancers" in next(c.detail for c in changes if c.action == "failed")
    load_balancer(aws, B, lb_name)
    assert actions(applied(kind, restore_ctx(mapper), record, data)) == ["create"] * 4
    elb_b = aws.client("elbv2", B)
    (group_b,) = elb_b.describe_target_groups(Names=[tg_name])["TargetGroups"]
    (health,) = elb_b.describe_target_health(TargetGroupArn=group_b["TargetGroupArn"])["TargetHealthDescriptions"]
    assert health["Target"]["Id"] == f"arn:aws:lambda:{B}:{ACCOUNT}:function:{name}"
    assert actions(applied(kind, restore_ctx(mapper), record, data)) == ["unchanged"] * 4


def test_registration_needs_the_permission(
    aws: Aws, uid: Callable[[str], str], make_function: Callable[..., dict[str, Any]],
    region_ctx: Callable[..., Any], restore_ctx: Callable[..., Any],
) -> None:
    """The source had no permission: backup warns; restore (exact) adds none, and ELB refuses."""
    name, tg_name = uid("albnoperm"), uid("tg")
    fn = make_function(A, name)
    listener = load_balancer(aws, A, uid("lb"))
    tg = wire(aws, A, fn, tg_name, listener)
    aws.client("lambda", A).remove_permission(FunctionName=name, StatementId="alb")
    ctx = region_ctx(A)
    data = kind.capture(ctx, kind.discover(ctx), fn)
    assert [w for w in ctx.warnings if "elasticloadbalancing.amazonaws.com" in w and tg in w]
    aws.client("elbv2", A).deregister_targets(TargetGroupArn=tg, Targets=[{"Id": fn["FunctionArn"]}])
    done = applied(kind, restore_ctx(ArnMapper()), record_of(fn, A), data)
    failed = [c for c in done if c.action == "failed"]
    assert len(failed) == 1 and "AccessDenied" in failed[0].detail


def test_a_group_of_another_type_is_not_taken(
    aws: Aws, uid: Callable[[str], str], make_function: Callable[..., dict[str, Any]],
    region_ctx: Callable[..., Any], restore_ctx: Callable[..., Any],
) -> None:
    name, tg_name = uid("albtype"), uid("tg")
    fn = make_function(A, name)
    tg = wire(aws, A, fn, tg_name, load_balancer(aws, A, uid("lb")))
    ctx = region_ctx(A)
    data = kind.capture(ctx, kind.discover(ctx), fn)
    elb_b = aws.client("elbv2", B)
    vpc = aws.client("ec2", B).create_vpc(CidrBlock="10.8.0.0/16")["Vpc"]["VpcId"]
    elb_b.create_target_group(Name=tg_name, Protocol="HTTP", Port=80, VpcId=vpc, TargetType="instance")
    changes = planned(kind, restore_ctx(ArnMapper(region_map={A: B})), record_of(fn, A), data)
    assert changes[0].action == "failed" and "not lambda" in changes[0].detail
    assert tg


def test_to_iac() -> None:
    data = [{"name": "tg", "arn": "a", "target": "arn:aws:lambda:r:1:function:f", "settings": HEALTH,
             "attributes": {}, "tags": {}, "rules": [
                 {"load_balancer": "lb", "listener": {"Protocol": "HTTP", "Port": 80}, "priority": "10",
                  "conditions": [], "actions": [{"Type": "forward", "TargetGroupArn": "a"}]}]}]
    types = [r["Type"] for r in kind.to_iac({}, data)]
    assert types == ["AWS::ElasticLoadBalancingV2::TargetGroup", "AWS::ElasticLoadBalancingV2::ListenerRule"]
