"""The ten newer trigger kinds inside the real backup and restore: wired in one region, backed up,
the wiring deleted and restored in place, then restored into another region that has only the
standby infrastructure lambda-ark does not create (a load balancer, a user pool, a queue, a secret,
a delivery stream, a GraphQL API); a second restore changes nothing. A service the endpoint lacks
costs only its kind."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ownaccount import backup, create_function, not_unchanged, own_account, restore, role_arn
from test_alb import load_balancer
from tests.faulty_proxy import FaultyProxy, Rule

from lambda_ark import embedded
from lambda_ark.aws import Aws
from lambda_ark.backup import BackupOptions, run_backup
from lambda_ark.repository import Repository
from lambda_ark.restore.apply import RestoreOptions

SRC, DST = "eu-west-3", "eu-central-1"
NEW_KINDS = ("alb", "logs_subscriptions", "cognito", "pipes", "iot", "ses", "secrets_rotation", "firehose",
             "appsync", "cloudwatch_alarms")


def _allow(aws: Aws, fn: str, sid: str, principal: str, source: str = "", account: str = "") -> None:
    aws.client("lambda", SRC).add_permission(FunctionName=fn, StatementId=sid, Action="lambda:InvokeFunction",
                                             Principal=principal, **({"SourceArn": source} if source else {}),
                                             **({"SourceAccount": account} if account else {}))


def _queue(aws: Aws, region: str) -> str:
    sqs = aws.client("sqs", region)
    url = sqs.create_queue(QueueName="pipe-source")["QueueUrl"]
    return str(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"])


def _stream(aws: Aws, region: str, processor: str) -> None:
    aws.client("firehose", region).create_delivery_stream(
        DeliveryStreamName="clicks", ExtendedS3DestinationConfiguration={
            "RoleARN": role_arn(aws), "BucketARN": "arn:aws:s3:::clicks", "ProcessingConfiguration": {
                "Enabled": True, "Processors": [{"Type": "Lambda", "Parameters": [
                    {"ParameterName": "LambdaArn", "ParameterValue": processor}]}]}})


def wire(aws: Aws) -> dict[str, Any]:
    """Three functions with every newer kind of trigger, each with the permission it needs."""
    account = aws.account_id()
    arns = {n: create_function(aws, SRC, n)["FunctionArn"] for n in ("web", "events", "ops")}
    out: dict[str, Any] = {"arns": arns}
    # web: ALB target, log subscription, Cognito trigger, CloudWatch alarm action
    elb = aws.client("elbv2", SRC)
    out["listener"] = listener = load_balancer(aws, SRC, "front")
    tg = elb.create_target_group(Name="web-tg", TargetType="lambda")["TargetGroups"][0]["TargetGroupArn"]
    _allow(aws, "web", "alb", "elasticloadbalancing.amazonaws.com", tg)
    elb.register_targets(TargetGroupArn=tg, Targets=[{"Id": arns["web"]}])
    elb.create_rule(ListenerArn=listener, Priority=5, Conditions=[{"Field": "path-pattern", "Values": ["/web/*"]}],
                    Actions=[{"Type": "forward", "TargetGroupArn": tg}])
    logs = aws.client("logs", SRC)
    logs.create_log_group(logGroupName="/app/audit")
    _allow(aws, "web", "logs", "logs.amazonaws.com", f"arn:aws:logs:{SRC}:{account}:log-group:/app/audit:*")
    logs.put_subscription_filter(logGroupName="/app/audit", filterName="ship", filterPattern="",
                                 destinationArn=arns["web"])
    pool = aws.client("cognito-idp", SRC).create_user_pool(PoolName="customers",
                                                           LambdaConfig={"PreSignUp": arns["web"]})["UserPool"]
    out["pool"] = pool["Id"]
    _allow(aws, "web", "cognito", "cognito-idp.amazonaws.com", f"arn:aws:cognito-idp:{SRC}:{account}:userpool/"
                                                               f"{pool['Id']}")
    _allow(aws, "web", "alarm", "lambda.alarms.cloudwatch.amazonaws.com",
           f"arn:aws:cloudwatch:{SRC}:{account}:alarm:web-errors")
    aws.client("cloudwatch", SRC).put_metric_alarm(
        AlarmName="web-errors", AlarmActions=[arns["web"]], MetricName="Errors", Namespace="AWS/Lambda",
        Statistic="Sum", Period=60, EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanThreshold")
    # events: pipe target, IoT rule, SES receipt rule
    aws.client("pipes", SRC).create_pipe(Name="orders", RoleArn=role_arn(aws), Source=_queue(aws, SRC),
                                         Target=arns["events"])
    _allow(aws, "events", "iot", "iot.amazonaws.com", f"arn:aws:iot:{SRC}:{account}:rule/telemetry")
    aws.client("iot", SRC).create_topic_rule(ruleName="telemetry", topicRulePayload={
        "sql": "SELECT * FROM 'sensors/#'", "actions": [{"lambda": {"functionArn": arns["events"]}}]})
    ses = aws.client("ses", SRC)
    ses.create_receipt_rule_set(RuleSetName="inbound")
    _allow(aws, "events", "ses", "ses.amazonaws.com",
           f"arn:aws:ses:{SRC}:{account}:receipt-rule-set/inbound:receipt-rule/orders", account)
    ses.create_receipt_rule(RuleSetName="inbound", Rule={"Name": "orders", "Actions": [
        {"LambdaAction": {"FunctionArn": arns["events"]}}]})
    # ops: secret rotation, Firehose processor, AppSync data source and authorizer
    sm = aws.client("secretsmanager", SRC)
    sm.create_secret(Name="db-password", SecretString="x")
    _allow(aws, "ops", "rotation", "secretsmanager.amazonaws.com", account=account)
    sm.rotate_secret(SecretId="db-password", RotationLambdaARN=arns["ops"], RotateImmediately=False,
                     RotationRules={"AutomaticallyAfterDays": 30})
    _stream(aws, SRC, arns["ops"])
    appsync = aws.client("appsync", SRC)
    api = appsync.create_graphql_api(name="catalog", authenticationType="AWS_LAMBDA", lambdaAuthorizerConfig={
        "authorizerUri": arns["ops"]})["graphqlApi"]
    out["api"] = api["apiId"]
    _allow(aws, "ops", "appsync", "appsync.amazonaws.com", api["arn"])
    appsync.create_data_source(apiId=api["apiId"], name="ops", type="AWS_LAMBDA", serviceRoleArn=role_arn(aws),
                               lambdaConfig={"lambdaFunctionArn": arns["ops"]})
    return out


def unwire(aws: Aws, wired: dict[str, Any]) -> None:
    """Delete (or re-point elsewhere) every trigger in SRC: what a careless change or a script does."""
    elb = aws.client("elbv2", SRC)
    (rule,) = [r for r in elb.describe_rules(ListenerArn=wired["listener"])["Rules"] if r["Priority"] == "5"]
    elb.delete_rule(RuleArn=rule["RuleArn"])
    (tg,) = elb.describe_target_groups(Names=["web-tg"])["TargetGroups"]
    elb.deregister_targets(TargetGroupArn=tg["TargetGroupArn"], Targets=[{"Id": wired["arns"]["web"]}])
    elb.delete_target_group(TargetGroupArn=tg["TargetGroupArn"])
    aws.client("logs", SRC).delete_subscription_filter(logGroupName="/app/audit", filterName="ship")
    aws.client("cognito-idp", SRC).update_user_pool(UserPoolId=wired["pool"], LambdaConfig={})
    aws.client("cloudwatch", SRC).delete_alarms(AlarmNames=["web-errors"])
    aws.client("pipes", SRC).delete_pipe(Name="orders")
    aws.client("iot", SRC).delete_topic_rule(ruleName="telemetry")
    aws.client("ses", SRC).delete_receipt_rule(RuleSetName="inbound", RuleName="orders")
    aws.client("secretsmanager", SRC).cancel_rotate_secret(SecretId="db-password")
    aws.client("appsync", SRC).delete_data_source(apiId=wired["api"], name="ops")


def standby(aws: Aws) -> None:
    """What the target region must have, because lambda-ark does not create it."""
    load_balancer(aws, DST, "front")
    aws.client("cognito-idp", DST).create_user_pool(PoolName="customers")
    _queue(aws, DST)
    aws.client("secretsmanager", DST).create_secret(Name="db-password", SecretString="x")
    _stream(aws, DST, f"arn:aws:lambda:{SRC}:{aws.account_id()}:function:ops")
    aws.client("appsync", DST).create_graphql_api(name="catalog", authenticationType="API_KEY")


def test_newer_triggers_in_place_and_into_another_region(aws: Aws, tmp_path: Path) -> None:
    own = own_account(aws)
    wired = wire(own)
    repo, result = backup(own, tmp_path, SRC)
    assert result.errors == [] and not [w for w in result.warnings if "not captured" in w], result.warnings
    records = {r["name"]: r for r in repo.load_snapshot("latest").body["functions"]}
    assert {"alb", "logs_subscriptions", "cognito", "cloudwatch_alarms"} <= set(records["web"]["items"])
    assert {"pipes", "iot", "ses"} <= set(records["events"]["items"])
    assert {"secrets_rotation", "firehose", "appsync"} <= set(records["ops"]["items"])

    unwire(own, wired)
    assert restore(own, repo, RestoreOptions(), dry_run=True).failed == []
    applied = restore(own, repo, RestoreOptions())
    assert applied.failed == [], applied.failed
    assert {c.kind for c in applied.changes if c.action in ("create", "update")} >= set(NEW_KINDS) - {"firehose"}
    assert not_unchanged(restore(own, repo, RestoreOptions())) == []

    standby(own)
    options = RestoreOptions(to_region=DST)
    applied = restore(own, repo, options)
    assert applied.failed == [], applied.failed
    assert not_unchanged(restore(own, repo, options)) == []
    web = f"arn:aws:lambda:{DST}:{own.account_id()}:function:web"
    (tg,) = own.client("elbv2", DST).describe_target_groups(Names=["web-tg"])["TargetGroups"]
    (health,) = own.client("elbv2", DST).describe_target_health(TargetGroupArn=tg["TargetGroupArn"])[
        "TargetHealthDescriptions"]
    assert health["Target"]["Id"] == web
    (sub,) = own.client("logs", DST).describe_subscription_filters(logGroupName="/app/audit")["subscriptionFilters"]
    assert sub["destinationArn"] == web
    (pool,) = own.client("cognito-idp", DST).list_user_pools(MaxResults=10)["UserPools"]
    assert pool["LambdaConfig"] == {"PreSignUp": web}
    assert own.client("pipes", DST).describe_pipe(Name="orders")["Target"].endswith(f"{DST}:{own.account_id()}"
                                                                                    ":function:events")


@pytest.fixture
def proxy(endpoint: embedded.Endpoint) -> Iterator[FaultyProxy]:
    p = FaultyProxy(upstream=endpoint.url)
    p.start()
    yield p
    p.stop()


def test_a_service_the_endpoint_lacks_costs_only_its_kind(aws: Aws, tmp_path: Path, proxy: FaultyProxy) -> None:
    own = own_account(aws)
    wire(own)
    missing = b'{"__type": "UnknownOperationException", "message": "not offered here"}'
    proxy.rules.append(Rule("GET", r"^/v1/apis(\?|$)", times=-1, status=501, body=missing))
    via = Aws(session=own.session, endpoint_url=f"http://127.0.0.1:{proxy._server.server_address[1]}")
    repo = Repository.init(str(tmp_path / "repo"), password="pw", aws=via)
    result = run_backup(via, repo, BackupOptions(regions=[SRC]))
    assert len(result.errors) == 1 and result.errors[0].startswith(f"appsync in {SRC}: "), result.errors
    items = {r["name"]: set(r["items"]) for r in repo.load_snapshot("latest").body["functions"]}
    assert "appsync" not in items["ops"] and {"secrets_rotation", "firehose"} <= items["ops"]
    assert {"alb", "cognito", "logs_subscriptions"} <= items["web"]
