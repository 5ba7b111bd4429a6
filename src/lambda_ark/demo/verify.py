"""Independent checks of a restore, read straight from the target (not through the kinds' code):
code hashes and version counts, each trigger exists and invokes the restored function, and the
function's resource policy lets the trigger's service in."""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Callable
from typing import Any

from ..aws import Aws
from ..kinds.common import pages
from . import triggers as trig
from .edge import Edge
from .triggers import Trigger


def functions(aws: Aws, body: dict[str, Any], lost: str, target: str) -> list[str]:
    problems = []
    lam = aws.client("lambda", target)
    records = [rec for rec in body["functions"] if rec["region"] == lost]
    if not records:
        problems.append(f"the snapshot holds no function of {lost}")
    for rec in records:
        got = lam.get_function(FunctionName=rec["name"])["Configuration"]
        if got["CodeSha256"] != rec["items"]["function"]["code_sha256"]:
            problems.append(f"{rec['name']}: code hash differs")
        want = sorted(v["code_sha256"] for v in rec["items"].get("versions") or [])
        have = sorted(v["CodeSha256"] for v in pages(lam, "list_versions_by_function", "Versions",
                                                      FunctionName=rec["name"]) if v["Version"] != "$LATEST")
        if have != want:
            problems.append(f"{rec['name']}: {len(have)} versions, snapshot has {len(want)} (or their code differs)")
    return problems


def triggers(aws: Aws, wired: list[Trigger], target: str) -> list[str]:
    """Each trigger wired in the lost region exists in `target` and invokes the restored function."""
    account = aws.account_id()
    problems = []
    for t in wired:
        want = f"arn:aws:lambda:{target}:{account}:function:{t.function}" + (f":{t.qualifier}" if t.qualifier else "")
        found, source_arn = _CHECKS[t.kind](aws, target, t)
        label = f"{t.kind} {source_arn or t.source}"
        if want not in found:
            problems.append(f"{label} invokes {', '.join(found) or 'nothing'}, not {want}")
        elif t.principal and not may_invoke(aws, want, t.principal, source_arn):
            problems.append(f"{label}: the policy of {want} does not let {t.principal} invoke from {source_arn}")
    return problems


def may_invoke(aws: Aws, fn_arn: str, principal: str, source_arn: str) -> bool:
    """Does the function's (or alias's) resource policy allow `principal` from `source_arn`?"""
    parts = fn_arn.split(":")
    lam = aws.client("lambda", parts[3])
    args = {"FunctionName": parts[6], **({"Qualifier": parts[7]} if len(parts) > 7 else {})}
    try:
        statements = json.loads(lam.get_policy(**args)["Policy"])["Statement"]
    except lam.exceptions.ResourceNotFoundException:
        return False
    for s in statements:
        who = s.get("Principal", {})
        service = who.get("Service") if isinstance(who, dict) else who
        conditions = [v for c in s.get("Condition", {}).values() for k, v in c.items() if k.lower() == "aws:sourcearn"]
        if service == principal and all(fnmatch.fnmatchcase(source_arn, p) for p in conditions):
            return True
    return False


Found = tuple[list[str], str]  # (function ARNs the trigger invokes, the source ARN it invokes from)


def _s3(aws: Aws, region: str, t: Trigger) -> Found:
    bucket = trig.bucket_name(region)
    conf = aws.client("s3", region).get_bucket_notification_configuration(Bucket=bucket)
    return [c["LambdaFunctionArn"] for c in conf.get("LambdaFunctionConfigurations", [])], f"arn:aws:s3:::{bucket}"


def _rest(aws: Aws, region: str, t: Trigger) -> Found:
    ag = aws.client("apigateway", region)
    apis = [a["id"] for a in ag.get_rest_apis()["items"] if a["name"] == t.source]
    if len(apis) != 1:
        return [], ""
    found = []
    for res in ag.get_resources(restApiId=apis[0], embed=["methods"])["items"]:
        for verb in res.get("resourceMethods", {}):
            uri = ag.get_method(restApiId=apis[0], resourceId=res["id"], httpMethod=verb)["methodIntegration"]["uri"]
            found.append(uri.split("/functions/", 1)[-1].removesuffix("/invocations"))
    if "prod" not in [s["stageName"] for s in ag.get_stages(restApiId=apis[0])["item"]]:
        return [], ""
    return found, f"arn:aws:execute-api:{region}:{aws.account_id()}:{apis[0]}/prod/POST/orders"


def _http(aws: Aws, region: str, t: Trigger) -> Found:
    v2 = aws.client("apigatewayv2", region)
    apis = [a["ApiId"] for a in v2.get_apis()["Items"] if a["Name"] == t.source]
    if len(apis) != 1:
        return [], ""
    uris = {i["IntegrationId"]: i["IntegrationUri"] for i in v2.get_integrations(ApiId=apis[0])["Items"]}
    routes = [r for r in v2.get_routes(ApiId=apis[0])["Items"] if r["RouteKey"] == "POST /pay"]
    found = [uris.get(r.get("Target", "").removeprefix("integrations/"), "") for r in routes]
    stages = [s for s in v2.get_stages(ApiId=apis[0])["Items"] if s["StageName"] == "$default" and s.get("AutoDeploy")]
    return (found if stages else []), f"arn:aws:execute-api:{region}:{aws.account_id()}:{apis[0]}/$default/POST/pay"


def _rule(aws: Aws, region: str, t: Trigger) -> Found:
    events = aws.client("events", region)
    rule = events.describe_rule(Name=t.source)
    return [x["Arn"] for x in events.list_targets_by_rule(Rule=t.source)["Targets"]], rule["Arn"]


def _schedule(aws: Aws, region: str, t: Trigger) -> Found:
    group, name = t.source.split("/")
    got = aws.client("scheduler", region).get_schedule(Name=name, GroupName=group)
    return [got["Target"]["Arn"]], got["Arn"]


def _sns(aws: Aws, region: str, t: Trigger) -> Found:
    topic = f"arn:aws:sns:{region}:{aws.account_id()}:{t.source}"
    subs = aws.client("sns", region).list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    return [s["Endpoint"] for s in subs if s["Protocol"] == "lambda"], topic


def _alb(aws: Aws, region: str, t: Trigger) -> Found:
    """The target group holds the function, and the load balancer's rule forwards to that group."""
    elb = aws.client("elbv2", region)
    (group,) = elb.describe_target_groups(Names=[t.source])["TargetGroups"]
    arn = group["TargetGroupArn"]
    (lb,) = elb.describe_load_balancers(Names=[trig.LOAD_BALANCER])["LoadBalancers"]
    forwarded = [a.get("TargetGroupArn") for listener in elb.describe_listeners(LoadBalancerArn=lb[
        "LoadBalancerArn"])["Listeners"] for r in elb.describe_rules(ListenerArn=listener["ListenerArn"])["Rules"]
        for a in r["Actions"]]
    if arn not in forwarded:
        return [], arn
    return [d["Target"]["Id"] for d in elb.describe_target_health(TargetGroupArn=arn)["TargetHealthDescriptions"]], arn


def _logs(aws: Aws, region: str, t: Trigger) -> Found:
    filters = aws.client("logs", region).describe_subscription_filters(logGroupName=t.source)["subscriptionFilters"]
    return [f["destinationArn"] for f in filters], f"arn:aws:logs:{region}:{aws.account_id()}:log-group:{t.source}:*"


def _cognito(aws: Aws, region: str, t: Trigger) -> Found:
    idp = aws.client("cognito-idp", region)
    pools = [p for p in idp.list_user_pools(MaxResults=60)["UserPools"] if p["Name"] == t.source]
    if len(pools) != 1:
        return [], ""
    pool = idp.describe_user_pool(UserPoolId=pools[0]["Id"])["UserPool"]
    if pool.get("AutoVerifiedAttributes") != ["email"]:  # the pool's other settings survived the update
        return [], ""
    return list((pool.get("LambdaConfig") or {}).values()), f"arn:aws:cognito-idp:{region}:{aws.account_id()}:" \
                                                            f"userpool/{pool['Id']}"


_CHECKS: dict[str, Callable[[Aws, str, Trigger], Found]] = {
    "s3_notifications": _s3, "apigateway": _rest, "apigatewayv2": _http, "eventbridge": _rule,
    "scheduler": _schedule, "sns": _sns, "alb": _alb, "logs_subscriptions": _logs, "cognito": _cognito,
}


def edge(aws: Aws, body: dict[str, Any], e: Edge, versions: list[str], lambdas: list[str],
         functions: list[str]) -> list[str]:
    """The restored Lambda@Edge function: its one version holds the snapshot's code, and the
    distribution runs that version (not the deleted one) next to the same CloudFront Function."""
    (rec,) = [r for r in body["functions"] if r["region"] == "us-east-1" and r["name"] == e.function]
    want = [v["code_sha256"] for v in rec["items"].get("versions") or []]
    lam = aws.client("lambda", "us-east-1")
    have = [lam.get_function_configuration(FunctionName=e.function, Qualifier=arn.rsplit(":", 1)[1])["CodeSha256"]
            for arn in versions]
    problems = []
    if have != want:
        problems.append(f"{e.function}: versions {versions} do not hold the snapshot's code")
    if lambdas != versions or e.version_arn in lambdas:
        problems.append(f"distribution {e.distribution_id} runs {lambdas}, not the restored {versions}")
    if functions != [e.cf_function_arn]:
        problems.append(f"distribution {e.distribution_id} runs CloudFront Functions {functions}, "
                        f"not {e.cf_function_arn}")
    return problems
