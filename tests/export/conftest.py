"""An estate worth exporting, in an account of the test's own: functions with a layer, versions, a
weighted alias, environment "secrets", a policy, an SQS mapping, a URL, concurrency, an invoke config
and tags; optionally a trigger of every kind. Backed up into a repository."""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from tests.accounts import Account, own_account

from lambda_ark.aws import Aws
from lambda_ark.backup import BackupOptions, run_backup
from lambda_ark.repository import Repository, Snapshot

SRC, DST = "eu-west-1", "ap-southeast-2"
SECRET = "s3cr3t-do-not-leak"


def package(text: str, name: str = "app.py") -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0)), text)
    return buf.getvalue()


def queue(aws: Aws, region: str, name: str) -> str:
    sqs = aws.client("sqs", region)
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    return str(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"])


@dataclass
class Estate:
    acct: Account
    repo: Repository
    snapshot: Snapshot

    @property
    def aws(self) -> Aws:
        return self.acct.aws


def lambda_estate(acct: Account) -> None:
    """Lambda-native kinds only: what the round trip deploys through CloudFormation."""
    lam = acct.aws.client("lambda", SRC)
    layer = lam.publish_layer_version(LayerName="shared", Description="helpers", CompatibleRuntimes=["python3.12"],
                                      CompatibleArchitectures=["x86_64"],
                                      Content={"ZipFile": package("VALUE = 1\n", "python/shared.py")})
    orders_queue, dlq = queue(acct.aws, SRC, "orders"), queue(acct.aws, SRC, "orders-dlq")
    common = {"Runtime": "python3.12", "Role": acct.role_arn, "Handler": "app.handler"}
    lam.create_function(FunctionName="orders", Code={"ZipFile": package("def handler(e, c):\n    return 1\n")},
                        Description="takes orders", Timeout=30, MemorySize=256, Layers=[layer["LayerVersionArn"]],
                        Environment={"Variables": {"TABLE": "orders", "TOKEN": SECRET}},
                        TracingConfig={"Mode": "Active"}, Tags={"team": "shop"}, **common)
    lam.get_waiter("function_active_v2").wait(FunctionName="orders")
    lam.publish_version(FunctionName="orders", Description="release 1")
    lam.create_alias(FunctionName="orders", Name="live", FunctionVersion="1", Description="what runs")
    lam.add_permission(FunctionName="orders", StatementId="partner", Action="lambda:InvokeFunction",
                       Principal="210987654321")
    lam.add_permission(FunctionName="orders", Qualifier="live", StatementId="sns", Action="lambda:InvokeFunction",
                       Principal="sns.amazonaws.com", SourceArn=f"arn:aws:sns:{SRC}:{acct.id}:order-events")
    lam.create_event_source_mapping(FunctionName="orders", EventSourceArn=orders_queue, BatchSize=7)
    lam.create_function_url_config(FunctionName="orders", Qualifier="live", AuthType="AWS_IAM",
                                   Cors={"AllowOrigins": ["https://shop.example"]})
    lam.put_function_concurrency(FunctionName="orders", ReservedConcurrentExecutions=5)
    lam.put_function_event_invoke_config(FunctionName="orders", MaximumRetryAttempts=1,
                                         DestinationConfig={"OnFailure": {"Destination": dlq}})
    lam.create_function(FunctionName="search", Code={"ZipFile": package("def handler(e, c):\n    return 2\n")},
                        Tags={"team": "find"}, **common)


def triggers(acct: Account) -> None:
    """A trigger of every kind on `search` (validated as templates; not deployed: see the round trip)."""
    aws, region = acct.aws, SRC
    lam = aws.client("lambda", region)
    fn = lam.get_function(FunctionName="search")["Configuration"]["FunctionArn"]
    bucket = f"uploads-{acct.id}"
    aws.client("s3", region).create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
    lam.add_permission(FunctionName="search", StatementId="s3", Action="lambda:InvokeFunction",
                       Principal="s3.amazonaws.com", SourceArn=f"arn:aws:s3:::{bucket}", SourceAccount=acct.id)
    aws.client("s3", region).put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={
        "LambdaFunctionConfigurations": [{"Id": "new", "LambdaFunctionArn": fn, "Events": ["s3:ObjectCreated:*"],
                                          "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "in/"}]}}}]})
    events = aws.client("events", region)
    rule = events.put_rule(Name="nightly", ScheduleExpression="rate(1 day)")["RuleArn"]
    events.put_targets(Rule="nightly", Targets=[{"Id": "search", "Arn": fn, "Input": json.dumps({"full": True})}])
    lam.add_permission(FunctionName="search", StatementId="events", Action="lambda:InvokeFunction",
                       Principal="events.amazonaws.com", SourceArn=rule)
    sns = aws.client("sns", region)
    topic = sns.create_topic(Name="order-events")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=fn,
                  Attributes={"FilterPolicy": json.dumps({"kind": ["new"]})})
    aws.client("scheduler", region).create_schedule_group(Name="jobs")
    aws.client("scheduler", region).create_schedule(
        Name="reindex", GroupName="jobs", ScheduleExpression="rate(1 hour)", FlexibleTimeWindow={"Mode": "OFF"},
        Target={"Arn": fn, "RoleArn": acct.role_arn})
    rest = aws.client("apigateway", region)
    api = rest.create_rest_api(name="shop-api")["id"]
    root = [r for r in rest.get_resources(restApiId=api)["items"] if r["path"] == "/"][0]["id"]
    res = rest.create_resource(restApiId=api, parentId=root, pathPart="search")["id"]
    rest.put_method(restApiId=api, resourceId=res, httpMethod="GET", authorizationType="NONE")
    uri = f"arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{fn}/invocations"
    rest.put_integration(restApiId=api, resourceId=res, httpMethod="GET", type="AWS_PROXY",
                         integrationHttpMethod="POST", uri=uri)
    rest.create_deployment(restApiId=api, stageName="prod", description="first")
    lam.add_permission(FunctionName="search", StatementId="rest", Action="lambda:InvokeFunction",
                       Principal="apigateway.amazonaws.com",
                       SourceArn=f"arn:aws:execute-api:{region}:{acct.id}:{api}/*/GET/search")
    http = aws.client("apigatewayv2", region)
    hapi = http.create_api(Name="shop-http", ProtocolType="HTTP")["ApiId"]
    integ = http.create_integration(ApiId=hapi, IntegrationType="AWS_PROXY", IntegrationUri=fn,
                                    PayloadFormatVersion="2.0")["IntegrationId"]
    http.create_route(ApiId=hapi, RouteKey="GET /find", Target=f"integrations/{integ}")
    http.create_stage(ApiId=hapi, StageName="$default", AutoDeploy=True)
    lam.add_permission(FunctionName="search", StatementId="http", Action="lambda:InvokeFunction",
                       Principal="apigateway.amazonaws.com",
                       SourceArn=f"arn:aws:execute-api:{region}:{acct.id}:{hapi}/*/GET/find")


def _backup(acct: Account, tmp: Path) -> Estate:
    repo = Repository.init(str(tmp / "repo"), password="pw", aws=acct.aws)
    result = run_backup(acct.aws, repo, BackupOptions(regions=[SRC]))
    assert result.errors == [], result.errors
    return Estate(acct, repo, repo.load_snapshot("latest"))


@pytest.fixture
def lambda_only(aws: Aws, tmp_path: Path) -> Estate:
    acct = own_account(aws)
    lambda_estate(acct)
    return _backup(acct, tmp_path)


@pytest.fixture
def everything(aws: Aws, tmp_path: Path) -> Estate:
    acct = own_account(aws)
    lambda_estate(acct)
    triggers(acct)
    return _backup(acct, tmp_path)


def env_parameters(snapshot: Snapshot) -> list[dict[str, Any]]:
    """The deployer's part: each environment value, as a stack parameter (never in the template)."""
    from lambda_ark.kinds import iac

    out = []
    for rec in snapshot.body["functions"]:
        variables = (rec["items"]["function"]["config"].get("Environment") or {}).get("Variables", {})
        out += [{"ParameterKey": iac.logical("Env", rec["name"], k), "ParameterValue": v} for k, v in variables.items()]
    return out
