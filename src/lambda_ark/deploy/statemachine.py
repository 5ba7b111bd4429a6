"""The Step Functions state machine that runs one policy job (Amazon States Language).

    Plan ──> Due? ──no──> NotRun (succeed: not due, or running elsewhere)
               │yes
               v
    Shards (Distributed Map over the planner's shard list in the work bucket; MaxConcurrency
            workers; each shard: Backup, retried with backoff on Lambda's transient errors,
            its failure caught as that shard's result)
               v
    Finish (retention, copies, state, metrics, notifications) ──> Ok? ──> Done
               │ a failed or partial run                       └─> NotOk (fail: the execution
               v                                                   shows it, alarms count it)
    Any step that fails outright ──> Alert (SNS) ──> Queue (SQS, failed runs) ──> Failed

`${...}` names are DefinitionSubstitutions the template fills with its resources' ARNs.
"""

from __future__ import annotations

from typing import Any

PLANNER, WORKER, FINISHER = "${PlannerArn}", "${WorkerArn}", "${FinisherArn}"
WORK_BUCKET, ALERTS_TOPIC, FAILED_RUNS = "${WorkBucket}", "${AlertsTopicArn}", "${FailedRunsQueueUrl}"
SUBSTITUTIONS = ("PlannerArn", "WorkerArn", "FinisherArn", "WorkBucket", "AlertsTopicArn", "FailedRunsQueueUrl")
TIMEOUT_SECONDS = 24 * 3600  # a run still going after a day is dead; the planner then lets the next one claim

# Lambda's own transient failures (throttled, service errors, a sandbox that died): worth another try.
TRANSIENT = ["Lambda.ServiceException", "Lambda.AWSLambdaException", "Lambda.SdkClientException",
             "Lambda.TooManyRequestsException", "Lambda.Unknown", "Sandbox.Timedout"]


def _invoke(function: str, payload: dict[str, Any] | str) -> dict[str, Any]:
    params: dict[str, Any] = {"FunctionName": function}
    params["Payload.$" if isinstance(payload, str) else "Payload"] = payload
    return {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": params}


def _retry(attempts: int) -> list[dict[str, Any]]:
    return [{"ErrorEquals": TRANSIENT, "IntervalSeconds": 5, "MaxAttempts": attempts, "BackoffRate": 2.0,
             "MaxDelaySeconds": 120, "JitterStrategy": "FULL"}]


def _alerted(state: dict[str, Any]) -> dict[str, Any]:
    return {**state, "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Alert"}]}


def definition(max_concurrency: int = 40, worker_attempts: int = 3) -> dict[str, Any]:
    """The ASL document. `max_concurrency` bounds the shards backed up at once (each shard's region
    quota is shared by that region's shards only: the planner splits their workers)."""
    plan = _invoke(PLANNER, {"job.$": "$.job", "trigger.$": "$.trigger", "execution.$": "$$.Execution.Name"})
    plan |= {"ResultSelector": {"plan.$": "$.Payload.plan", "items.$": "$.Payload.items",
                                "prefix.$": "$.Payload.prefix", "count.$": "$.Payload.count",
                                "skipped.$": "$.Payload.skipped"},
             "Retry": _retry(3), "Next": "Due?"}
    backup = _invoke(WORKER, "$") | {
        "OutputPath": "$.Payload", "Retry": _retry(worker_attempts),
        "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "ShardFailed"}], "End": True}
    shards = {
        "Type": "Map",
        "ItemReader": {"Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": {"InputType": "JSON"},
                       "Parameters": {"Bucket.$": "$.items.Bucket", "Key.$": "$.items.Key"}},
        "ItemProcessor": {
            "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
            "StartAt": "Backup",
            "States": {"Backup": backup,
                       "ShardFailed": {"Type": "Pass", "Parameters": {"shard.$": "$.shard", "error.$": "$.error"},
                                       "End": True}},
        },
        "MaxConcurrency": max_concurrency,
        "ToleratedFailurePercentage": 100,  # a shard's failure is its result: the finish step reports it
        "ResultWriter": {"Resource": "arn:aws:states:::s3:putObject",
                         "Parameters": {"Bucket": WORK_BUCKET, "Prefix.$": "$.prefix"}},
        "ResultPath": "$.results",
        "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "MapFailed"}],
        "Next": "Finish",
    }
    finish = _invoke(FINISHER, {"plan.$": "$.plan", "items.$": "$.items", "prefix.$": "$.prefix",
                                "results.$": "$.results"})
    finish |= {"ResultSelector": {"status.$": "$.Payload.status"}, "ResultPath": "$.finish", "Retry": _retry(3),
               "Next": "Ok?"}
    return {
        "Comment": "lambda-ark: one run of a policy job, sharded by account and region (lambda-ark deploy)",
        "StartAt": "Plan",
        "TimeoutSeconds": TIMEOUT_SECONDS,
        "States": {
            "Plan": _alerted(plan),
            "Due?": {"Type": "Choice", "Choices": [{"Variable": "$.skipped", "StringEquals": "", "Next": "Shards"}],
                     "Default": "NotRun"},
            "NotRun": {"Type": "Succeed"},
            "Shards": shards,
            # the map itself failed (its item list unreadable): every shard is missing, which Finish reports
            "MapFailed": {"Type": "Pass", "Result": [], "ResultPath": "$.results", "Next": "Finish"},
            "Finish": _alerted(finish),
            "Ok?": {"Type": "Choice", "Choices": [{"Variable": "$.finish.status", "StringEquals": "ok",
                                                   "Next": "Done"}], "Default": "NotOk"},
            "Done": {"Type": "Succeed"},
            "NotOk": {"Type": "Fail", "Error": "LambdaArk.JobNotOk",
                      "Cause": "the job's run was partial or failed: its notification and the errors queue say what"},
            "Alert": {"Type": "Task", "Resource": "arn:aws:states:::sns:publish",
                      "Parameters": {"TopicArn": ALERTS_TOPIC, "Subject": "lambda-ark: a job's run failed",
                                     "Message.$": "States.JsonToString($)"},
                      "ResultPath": None, "Next": "Queue",
                      "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": None, "Next": "Queue"}]},
            "Queue": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage",
                      "Parameters": {"QueueUrl": FAILED_RUNS, "MessageBody.$": "States.JsonToString($)"},
                      "ResultPath": None, "Next": "Failed",
                      "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": None, "Next": "Failed"}]},
            "Failed": {"Type": "Fail", "Error": "LambdaArk.RunFailed",
                       "Cause": "a step of the job's run failed: the alerts topic and the errors queue have it"},
        },
    }


def substitute(doc: dict[str, Any], values: dict[str, str]) -> dict[str, Any]:
    """The definition with `${Name}` replaced (what Step Functions does with DefinitionSubstitutions)."""
    import json

    text = json.dumps(doc)
    for name, value in values.items():
        text = text.replace("${" + name + "}", value)
    return dict(json.loads(text))
