"""A realistic multi-region Lambda estate, built through boto3 (on any endpoint, normally the embedded one).

Several runtimes, published versions, weighted aliases, a shared layer, resource policies, Kinesis /
DynamoDB Streams / SQS mappings, function URLs, reserved and provisioned concurrency, destinations,
tags and environment variables (one of them a "secret" that must never show up in output). One
region's functions also have a trigger of every kind (`triggers`), and us-east-1 has a Lambda@Edge
function that a CloudFront distribution runs (`edge`).
"""

from __future__ import annotations

import io
import json
import sys
import zipfile
from dataclasses import dataclass, field
from typing import Any

from ..aws import Aws
from ..kinds.cloudfront import HOME
from . import edge as edge_mod
from . import triggers as triggers_mod

# The first Python runtime is this machine's own (when Lambda offers it), so that the demo's drill can
# run those functions on the embedded endpoint, which runs Python handlers with a local interpreter.
_LOCAL = f"python{sys.version_info.major}.{sys.version_info.minor}"
RUNTIMES = (_LOCAL if _LOCAL in ("python3.10", "python3.11", "python3.12", "python3.13") else "python3.12",
            "python3.11" if _LOCAL != "python3.11" else "python3.12", "nodejs20.x", "nodejs22.x")
ROLE_NAME = "lambda-ark-demo-role"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [{  # edgelambda: the Lambda@Edge function shares the role, and CloudFront replicates it
        "Effect": "Allow",
        "Principal": {"Service": ["lambda.amazonaws.com", "edgelambda.amazonaws.com"]},
        "Action": "sts:AssumeRole",
    }],
}


def package(name: str, release: int = 1, extra_modules: int = 8) -> bytes:
    """A deployment package: a handler plus library modules that stay the same between releases."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(
            "handler.py", f"# {name} release {release}\ndef handler(event, context):\n    return {{'ok': True}}\n"
        )
        for i in range(extra_modules):
            body = "".join(f"def helper_{i}_{j}(x):\n    return x * {j} + {i}\n" for j in range(200))
            zf.writestr(f"lib/module_{i}.py", body)
    return buf.getvalue()


def layer_package() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("python/shared_utils.py", "def shared():\n    return 'shared'\n" * 50)
    return buf.getvalue()


@dataclass
class Estate:
    regions: list[str]
    account: str
    functions: dict[str, list[str]] = field(default_factory=dict)  # region -> names
    sources: dict[str, dict[str, str]] = field(default_factory=dict)  # region -> {"queue": arn, ...}
    triggers: list[triggers_mod.Trigger] = field(default_factory=list)  # all in one region
    edge: edge_mod.Edge | None = None

    @property
    def count(self) -> int:
        return sum(len(v) for v in self.functions.values())


def role_arn(aws: Aws) -> str:
    iam = aws.client("iam")
    try:
        return str(iam.get_role(RoleName=ROLE_NAME)["Role"]["Arn"])
    except iam.exceptions.NoSuchEntityException:
        return str(iam.create_role(RoleName=ROLE_NAME, AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"])


def event_sources(aws: Aws, region: str, table: bool = True, stream: bool = True) -> dict[str, str]:
    """The queue, stream and table a region's functions read from; a restore target needs them too
    (but for the table and stream when the restore brings them back with their data: `table=False`,
    `stream=False`)."""
    sqs, kinesis, ddb = aws.client("sqs", region), aws.client("kinesis", region), aws.client("dynamodb", region)
    queue_url = sqs.create_queue(QueueName="orders-queue")["QueueUrl"]
    dlq_url = sqs.create_queue(QueueName="failed-events")["QueueUrl"]

    def arn_of(url: str) -> str:
        return str(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"])

    if not stream:
        return {"queue": arn_of(queue_url), "dlq": arn_of(dlq_url)}
    try:
        kinesis.create_stream(StreamName="clicks", ShardCount=1)
    except kinesis.exceptions.ResourceInUseException:
        pass
    kinesis.get_waiter("stream_exists").wait(StreamName="clicks", WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    stream_arn = kinesis.describe_stream(StreamName="clicks")["StreamDescription"]["StreamARN"]
    if not table:
        return {"queue": arn_of(queue_url), "dlq": arn_of(dlq_url), "stream": stream_arn}
    try:
        created = ddb.create_table(
            TableName="carts",
            BillingMode="PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        )["TableDescription"]
    except ddb.exceptions.ResourceInUseException:
        created = ddb.describe_table(TableName="carts")["Table"]
    return {
        "queue": arn_of(queue_url),
        "dlq": arn_of(dlq_url),
        "stream": stream_arn,
        "table_stream": created["LatestStreamArn"],
    }


def build(
    aws: Aws, regions: list[str], per_region: int = 12, triggered: str | None = None, edge: bool = False
) -> Estate:
    """The estate; `triggered` names the region whose functions get a trigger of every kind, `edge`
    adds the Lambda@Edge function and its distribution (us-east-1; one per endpoint)."""
    estate = Estate(regions=regions, account=aws.account_id())
    role = role_arn(aws)
    for region in regions:
        estate.sources[region] = event_sources(aws, region)
        estate.functions[region] = _build_region(aws, region, role, per_region, estate.sources[region])
    if triggered:
        estate.triggers = triggers_mod.wire(aws, triggered, estate.functions[triggered])
    if edge:
        estate.edge = edge_mod.build(aws, role)
        estate.functions.setdefault(HOME, []).append(estate.edge.function)
    return estate


def _build_region(aws: Aws, region: str, role: str, count: int, src: dict[str, str]) -> list[str]:
    lam = aws.client("lambda", region)
    layer = lam.publish_layer_version(
        LayerName="shared-utils",
        Description="shared helpers",
        Content={"ZipFile": layer_package()},
        CompatibleRuntimes=sorted(r for r in RUNTIMES if r.startswith("python")),
    )["LayerVersionArn"]
    names = []
    for i in range(count):
        name = f"{_APPS[i % len(_APPS)]}-{region.split('-')[1]}-{i:02d}"
        runtime = RUNTIMES[i % len(RUNTIMES)]
        args: dict[str, Any] = {
            "FunctionName": name,
            "Runtime": runtime,
            "Role": role,
            "Handler": "handler.handler" if runtime.startswith("python") else "index.handler",
            "Code": {"ZipFile": package(name)},
            "Timeout": 10 + i,
            "MemorySize": 128 * (1 + i % 4),
            "Description": f"demo function {i}",
            "Environment": {"Variables": {"STAGE": "prod", "QUEUE_ARN": src["queue"], "API_TOKEN": f"demo-secret-{i}"}},
            "Tags": {"team": _APPS[i % len(_APPS)], "env": "prod"},
        }
        if runtime.startswith("python") and i % 2 == 0:
            args["Layers"] = [layer]
        lam.create_function(**args)
        _wire(lam, name, i, src, region)
        names.append(name)
    return names


_APPS = ("orders", "payments", "search", "thumbnails")


def _wire(lam: Any, name: str, i: int, src: dict[str, str], region: str) -> None:
    """Give function i some of everything, so every kind has something to capture."""
    if i % 3 == 0:  # versions and a weighted alias
        lam.publish_version(FunctionName=name, Description="first release")
        lam.update_function_configuration(FunctionName=name, MemorySize=512)
        lam.get_waiter("function_updated_v2").wait(FunctionName=name)
        lam.publish_version(FunctionName=name, Description="second release")
        lam.create_alias(
            FunctionName=name,
            Name="live",
            FunctionVersion="2",
            RoutingConfig={"AdditionalVersionWeights": {"1": 0.1}},
        )
    if i % 4 == 1:
        lam.add_permission(
            FunctionName=name,
            StatementId="allow-events",
            Action="lambda:InvokeFunction",
            Principal="events.amazonaws.com",
            SourceArn=f"arn:aws:events:{region}:123456789012:rule/nightly-{name}",
        )
    if i % 4 == 2:
        lam.add_permission(
            FunctionName=name, StatementId="partner-account", Action="lambda:InvokeFunction", Principal="210987654321"
        )
    if i == 0:
        lam.create_event_source_mapping(FunctionName=name, EventSourceArn=src["queue"], BatchSize=5)
    if i == 1:
        lam.create_event_source_mapping(
            FunctionName=name, EventSourceArn=src["stream"], StartingPosition="LATEST", BatchSize=50
        )
    if i == 2:
        lam.create_event_source_mapping(
            FunctionName=name, EventSourceArn=src["table_stream"], StartingPosition="TRIM_HORIZON", BatchSize=20
        )
    if i % 5 == 0:
        lam.create_function_url_config(
            FunctionName=name, AuthType="AWS_IAM" if i % 2 else "NONE", Cors={"AllowOrigins": ["https://example.com"]}
        )
    if i % 6 == 1:
        lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=5 + i)
    if i % 4 == 3:
        lam.put_function_event_invoke_config(
            FunctionName=name,
            MaximumRetryAttempts=1,
            MaximumEventAgeInSeconds=3600,
            DestinationConfig={"OnFailure": {"Destination": src["dlq"]}},
        )
