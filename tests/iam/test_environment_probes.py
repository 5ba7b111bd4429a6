"""restore's environment probes ask each service whether a resource exists: every probe answers
True for a resource the endpoint has and False for one it lacks (and so each IAM action declared
for them in lambda_ark.iam.roles.CORE is seen in use by the permission recorder)."""

from __future__ import annotations

import io
import json
import uuid
import zipfile

import pytest

from lambda_ark.aws import Aws
from lambda_ark.restore.environment import _CLIENTS, _PROBES

REGION = "eu-west-3"


def _zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("index.py", "def handler(event, context):\n    return event\n")
    return buf.getvalue()


def _resources(aws: Aws, account: str, name: str) -> dict[str, str]:
    """One resource per probed service, and its ARN."""
    c = lambda service: aws.client(service, REGION)  # noqa: E731
    iam = aws.client("iam")
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    policy = iam.create_policy(PolicyName=name, PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}))
    c("lambda").create_function(FunctionName=name, Runtime="python3.12", Role=role, Handler="index.handler",
                                Code={"ZipFile": _zip()})
    c("sqs").create_queue(QueueName=name)
    topic = c("sns").create_topic(Name=name)["TopicArn"]
    c("dynamodb").create_table(TableName=name, KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
                               AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
                               BillingMode="PAY_PER_REQUEST")
    c("kinesis").create_stream(StreamName=name, ShardCount=1)
    secret = c("secretsmanager").create_secret(Name=name, SecretString="x")["ARN"]
    c("ssm").put_parameter(Name=name, Value="x", Type="String")
    key = c("kms").create_key()["KeyMetadata"]["Arn"]
    bus = c("events").create_event_bus(Name=name)["EventBusArn"]
    machine = c("stepfunctions").create_state_machine(
        name=name, roleArn=role, definition='{"StartAt": "x", "States": {"x": {"Type": "Succeed"}}}')["stateMachineArn"]
    arn = f"arn:aws:{{}}:{REGION}:{account}:{{}}"
    return {
        "lambda": arn.format("lambda", f"function:{name}"),
        "sqs": arn.format("sqs", name),
        "sns": topic,
        "dynamodb": arn.format("dynamodb", f"table/{name}"),
        "kinesis": arn.format("kinesis", f"stream/{name}"),
        "secretsmanager": secret,
        "ssm": arn.format("ssm", f"parameter/{name}"),
        "kms": key,
        "events": bus,
        "states": machine,
        "iam": policy["Policy"]["Arn"],
        "iam-role": role,
    }


@pytest.fixture(scope="module")
def probed(endpoint: object) -> dict[str, str]:
    from lambda_ark.aws import connect

    aws = connect(endpoint_url=endpoint.url)  # type: ignore[attr-defined]
    return _resources(aws, aws.account_id(), f"probe-{uuid.uuid4().hex[:8]}")


@pytest.mark.parametrize("service", sorted(_PROBES))
def test_each_probe_finds_what_exists_and_not_what_does_not(aws: Aws, probed: dict[str, str], service: str) -> None:
    arns = [probed[service]] + ([probed["iam-role"]] if service == "iam" else [])
    region = "us-east-1" if service == "iam" else REGION
    client = aws.client(_CLIENTS.get(service, service), region)
    for arn in arns:
        assert _PROBES[service](client, arn, arn.split(":")) is True, arn
        # the same name one character off: nothing there
        gone = arn[:-1] + ("x" if arn[-1] != "x" else "y")
        if service == "kms":
            gone = arn.rsplit("/", 1)[0] + "/" + str(uuid.uuid4())
        assert _PROBES[service](client, gone, gone.split(":")) is False, gone
