"""Triggers of every kind for one region's functions, as a real estate has them, plus the target
infrastructure a restore elsewhere needs (its own topic, a bucket standing for the source one, and
the load balancer and user pool lambda-ark does not create).

Every trigger comes with the `add_permission` statement that lets its service invoke the function
(Scheduler excepted: it invokes through its own execution role).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ..aws import Aws

TOPIC = "order-events"
REST_API = "orders-api"
HTTP_API = "payments-http"
RULE = "nightly-report"
SCHEDULE = "hourly-sync"
SCHEDULE_GROUP = "demo-jobs"
SCHEDULER_ROLE = "lambda-ark-demo-scheduler"
LOAD_BALANCER = "demo-front"
TARGET_GROUP = "demo-web"
LOG_GROUP = "/demo/audit"
USER_POOL = "demo-customers"
_SCHEDULER_TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "scheduler.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}


def bucket_name(region: str) -> str:
    """Bucket names are global: one per region, so the target region gets its own."""
    return f"lambda-ark-demo-uploads-{region}"


@dataclass(frozen=True)
class Trigger:
    """One wired trigger: which kind, the source's name, and the function (and qualifier) it invokes."""

    kind: str
    source: str  # bucket, API name, rule, group/schedule, topic
    function: str
    qualifier: str = ""  # alias the trigger names, or "" for the function itself
    principal: str = ""  # the service its resource policy must let in ("" for Scheduler)


def pick(names: list[str]) -> dict[str, tuple[str, str]]:
    """Which function (and qualifier) each trigger kind targets: spread over the region's functions.

    Functions 0, 3, 6, ... have an alias `live` (see `estate._wire`); alias targets use those.
    """
    aliased = names[::3]
    return {
        "s3_notifications": (names[3 % len(names)], ""),
        "apigateway": (names[4 % len(names)], ""),
        "apigatewayv2": (names[5 % len(names)], ""),
        "eventbridge": (aliased[0], "live"),
        "scheduler": (aliased[min(2, len(aliased) - 1)], "live"),
        "sns": (names[7 % len(names)], ""),
        "alb": (names[8 % len(names)], ""),
        "logs_subscriptions": (names[9 % len(names)], ""),
        "cognito": (names[10 % len(names)], ""),
    }


def wire(aws: Aws, region: str, names: list[str]) -> list[Trigger]:
    """Create one trigger of each kind in `region`, each with the permission a real estate has."""
    account = aws.account_id()
    targets = pick(names)

    def fn_arn(kind: str) -> str:
        return _arn(region, account, *targets[kind])

    lam = aws.client("lambda", region)

    bucket = bucket_name(region)
    _create_bucket(aws, region, bucket)
    _allow(lam, targets["s3_notifications"], "s3-uploads", "s3.amazonaws.com", f"arn:aws:s3:::{bucket}", account)
    aws.client("s3", region).put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={
        "LambdaFunctionConfigurations": [{
            "Id": "new-uploads", "LambdaFunctionArn": fn_arn("s3_notifications"), "Events": ["s3:ObjectCreated:*"],
            "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "incoming/"}]}}}]})

    rest = _rest_api(aws, region, fn_arn("apigateway"))
    _allow(lam, targets["apigateway"], "orders-api", "apigateway.amazonaws.com",
           f"arn:aws:execute-api:{region}:{account}:{rest}/*/POST/orders")
    http = _http_api(aws, region, fn_arn("apigatewayv2"))
    _allow(lam, targets["apigatewayv2"], "payments-http", "apigateway.amazonaws.com",
           f"arn:aws:execute-api:{region}:{account}:{http}/*/POST/pay")

    events = aws.client("events", region)
    rule_arn = events.put_rule(Name=RULE, ScheduleExpression="cron(0 2 * * ? *)", Description="nightly report")[
        "RuleArn"]
    events.put_targets(Rule=RULE, Targets=[{"Id": "report", "Arn": fn_arn("eventbridge"), "Input": '{"report":1}'}])
    _allow(lam, targets["eventbridge"], "nightly-report", "events.amazonaws.com", rule_arn)

    scheduler = aws.client("scheduler", region)
    scheduler.create_schedule_group(Name=SCHEDULE_GROUP)
    scheduler.create_schedule(
        Name=SCHEDULE, GroupName=SCHEDULE_GROUP, ScheduleExpression="rate(1 hour)",
        FlexibleTimeWindow={"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 10},
        Target={"Arn": fn_arn("scheduler"), "RoleArn": scheduler_role(aws), "Input": '{"sync":"full"}'})

    sns = aws.client("sns", region)
    topic = sns.create_topic(Name=TOPIC)["TopicArn"]
    _allow(lam, targets["sns"], "order-events", "sns.amazonaws.com", topic)
    sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=fn_arn("sns"),
                  Attributes={"FilterPolicy": json.dumps({"type": ["order.created"]})})

    _alb(aws, region, lam, targets["alb"], fn_arn("alb"))
    logs = aws.client("logs", region)
    logs.create_log_group(logGroupName=LOG_GROUP)
    _allow(lam, targets["logs_subscriptions"], "audit-logs", "logs.amazonaws.com",
           f"arn:aws:logs:{region}:{account}:log-group:{LOG_GROUP}:*", account)
    logs.put_subscription_filter(logGroupName=LOG_GROUP, filterName="ship-audit", filterPattern="ERROR",
                                 destinationArn=fn_arn("logs_subscriptions"))
    pool = aws.client("cognito-idp", region).create_user_pool(
        PoolName=USER_POOL, AutoVerifiedAttributes=["email"], LambdaConfig={"PreSignUp": fn_arn("cognito")})["UserPool"]
    _allow(lam, targets["cognito"], "sign-up", "cognito-idp.amazonaws.com",
           f"arn:aws:cognito-idp:{region}:{account}:userpool/{pool['Id']}")

    sources = {"s3_notifications": bucket, "apigateway": REST_API, "apigatewayv2": HTTP_API, "eventbridge": RULE,
               "scheduler": f"{SCHEDULE_GROUP}/{SCHEDULE}", "sns": TOPIC, "alb": TARGET_GROUP,
               "logs_subscriptions": LOG_GROUP, "cognito": USER_POOL}
    principals = {"s3_notifications": "s3.amazonaws.com", "apigateway": "apigateway.amazonaws.com",
                  "apigatewayv2": "apigateway.amazonaws.com", "eventbridge": "events.amazonaws.com",
                  "sns": "sns.amazonaws.com", "alb": "elasticloadbalancing.amazonaws.com",
                  "logs_subscriptions": "logs.amazonaws.com", "cognito": "cognito-idp.amazonaws.com"}
    return [Trigger(kind, sources[kind], fn, q, principals.get(kind, "")) for kind, (fn, q) in targets.items()]


def target_infrastructure(aws: Aws, source: str, target: str, bucket: bool = True) -> dict[str, str]:
    """What the target region must have before a restore from `source`: its own topic, a bucket
    standing for the source bucket (S3 notifies only same-region functions), a load balancer with the
    same name and listener, a user pool with the same name (lambda-ark creates neither: subnets,
    certificates, users are not in a snapshot); `bucket=False` leaves the bucket to a restore with data.
    Returns the ARN map."""
    aws.client("sns", target).create_topic(Name=TOPIC)
    if bucket:
        _create_bucket(aws, target, bucket_name(target))
    load_balancer(aws, target)
    aws.client("cognito-idp", target).create_user_pool(PoolName=USER_POOL, AutoVerifiedAttributes=["email"])
    return {f"arn:aws:s3:::{bucket_name(source)}": f"arn:aws:s3:::{bucket_name(target)}"}


def load_balancer(aws: Aws, region: str) -> str:
    """An internet-facing ALB with an HTTP:80 listener answering 404; returns the listener's ARN."""
    ec2, elb = aws.client("ec2", region), aws.client("elbv2", region)
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.20.{i}.0/24", AvailabilityZone=f"{region}{zone}")[
        "Subnet"]["SubnetId"] for i, zone in ((1, "a"), (2, "b"))]
    lb = elb.create_load_balancer(Name=LOAD_BALANCER, Subnets=subnets)["LoadBalancers"][0]["LoadBalancerArn"]
    return str(elb.create_listener(LoadBalancerArn=lb, Protocol="HTTP", Port=80, DefaultActions=[
        {"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404"}}])["Listeners"][0]["ListenerArn"])


def _alb(aws: Aws, region: str, lam: Any, target: tuple[str, str], fn_arn: str) -> None:
    """A target group of type lambda behind the demo load balancer, for /web/* requests."""
    elb = aws.client("elbv2", region)
    listener = load_balancer(aws, region)
    group = elb.create_target_group(Name=TARGET_GROUP, TargetType="lambda", HealthCheckEnabled=True,
                                    HealthCheckPath="/health")["TargetGroups"][0]["TargetGroupArn"]
    _allow(lam, target, "web-alb", "elasticloadbalancing.amazonaws.com", group)
    elb.register_targets(TargetGroupArn=group, Targets=[{"Id": fn_arn}])
    elb.create_rule(ListenerArn=listener, Priority=10, Conditions=[{"Field": "path-pattern", "Values": ["/web/*"]}],
                    Actions=[{"Type": "forward", "TargetGroupArn": group}])


def scheduler_role(aws: Aws) -> str:
    iam = aws.client("iam")
    try:
        return str(iam.get_role(RoleName=SCHEDULER_ROLE)["Role"]["Arn"])
    except iam.exceptions.NoSuchEntityException:
        doc = json.dumps(_SCHEDULER_TRUST)
        return str(iam.create_role(RoleName=SCHEDULER_ROLE, AssumeRolePolicyDocument=doc)["Role"]["Arn"])


def _arn(region: str, account: str, name: str, qualifier: str = "") -> str:
    return f"arn:aws:lambda:{region}:{account}:function:{name}" + (f":{qualifier}" if qualifier else "")


def _allow(lam: Any, target: tuple[str, str], sid: str, principal: str, source_arn: str, account: str = "") -> None:
    name, qualifier = target
    lam.add_permission(FunctionName=name, StatementId=sid, Action="lambda:InvokeFunction", Principal=principal,
                       SourceArn=source_arn, **({"Qualifier": qualifier} if qualifier else {}),
                       **({"SourceAccount": account} if account else {}))


def _create_bucket(aws: Aws, region: str, bucket: str) -> None:
    where = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    aws.client("s3", region).create_bucket(Bucket=bucket, **where)


def _rest_api(aws: Aws, region: str, fn_arn: str) -> str:
    ag = aws.client("apigateway", region)
    api = ag.create_rest_api(name=REST_API, description="orders REST API",
                             endpointConfiguration={"types": ["REGIONAL"]})["id"]
    root = ag.get_resources(restApiId=api)["items"][0]["id"]
    orders = ag.create_resource(restApiId=api, parentId=root, pathPart="orders")["id"]
    ag.put_method(restApiId=api, resourceId=orders, httpMethod="POST", authorizationType="NONE")
    ag.put_integration(restApiId=api, resourceId=orders, httpMethod="POST", type="AWS_PROXY",
                       integrationHttpMethod="POST",
                       uri=f"arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{fn_arn}/invocations")
    ag.create_deployment(restApiId=api, stageName="prod", variables={"tier": "gold"})
    return str(api)


def _http_api(aws: Aws, region: str, fn_arn: str) -> str:
    v2 = aws.client("apigatewayv2", region)
    api = v2.create_api(Name=HTTP_API, ProtocolType="HTTP", Description="payments HTTP API")["ApiId"]
    integration = v2.create_integration(ApiId=api, IntegrationType="AWS_PROXY", IntegrationUri=fn_arn,
                                        PayloadFormatVersion="2.0")["IntegrationId"]
    v2.create_route(ApiId=api, RouteKey="POST /pay", Target=f"integrations/{integration}")
    v2.create_stage(ApiId=api, StageName="$default", AutoDeploy=True)
    return str(api)
