"""A stack created or updated through a change set lists its outputs, resolved, once the change set
has run (AWS CloudFormation User Guide, "Update stacks using change sets"; DescribeStacks Outputs)."""

from __future__ import annotations

import json
import uuid

from lambda_ark.aws import Aws

TEMPLATE = {"Resources": {"Queue": {"Type": "AWS::SQS::Queue", "Properties": {}}},
            "Outputs": {"QueueUrl": {"Value": {"Ref": "Queue"}},
                        "QueueArn": {"Value": {"Fn::GetAtt": ["Queue", "Arn"]}}}}


def _run(aws: Aws, stack: str, kind: str, template: dict[str, object]) -> None:
    cfn = aws.client("cloudformation", "eu-west-1")
    made = cfn.create_change_set(StackName=stack, ChangeSetName=f"cs-{uuid.uuid4().hex[:8]}", ChangeSetType=kind,
                                 TemplateBody=json.dumps(template))
    cfn.get_waiter("change_set_create_complete").wait(ChangeSetName=made["Id"], WaiterConfig={"Delay": 1})
    cfn.execute_change_set(ChangeSetName=made["Id"])


def test_outputs_appear_after_a_create_change_set_and_follow_an_update(aws: Aws) -> None:
    cfn = aws.client("cloudformation", "eu-west-1")
    stack = f"outputs-{uuid.uuid4().hex[:8]}"
    _run(aws, stack, "CREATE", TEMPLATE)
    (described,) = cfn.describe_stacks(StackName=stack)["Stacks"]
    assert described["StackStatus"] == "CREATE_COMPLETE"
    outputs = {o["OutputKey"]: o["OutputValue"] for o in described["Outputs"]}
    assert outputs["QueueUrl"].startswith("https://sqs.eu-west-1.") and outputs["QueueArn"].startswith("arn:aws:sqs:")
    assert aws.client("sqs", "eu-west-1").get_queue_attributes(QueueUrl=outputs["QueueUrl"])  # a real queue

    updated = {**TEMPLATE, "Outputs": {"QueueName": {"Value": {"Fn::GetAtt": ["Queue", "QueueName"]}}}}
    _run(aws, stack, "UPDATE", updated)
    (described,) = cfn.describe_stacks(StackName=stack)["Stacks"]
    assert [o["OutputKey"] for o in described["Outputs"]] == ["QueueName"]
    assert outputs["QueueUrl"].endswith("/" + described["Outputs"][0]["OutputValue"])
    cfn.delete_stack(StackName=stack)
