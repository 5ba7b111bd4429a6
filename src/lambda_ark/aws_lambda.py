"""lambda-ark inside AWS Lambda: the handlers of the stack `lambda-ark deploy` creates.

    planner(event)   {"job": NAME[, "trigger": "manual"]}   -> claims the slot, writes the shard list
    handler(event)   {"job": NAME, "shard": {...}}          -> one shard's backup (the worker)
    finisher(event)  {"plan": ..., "results": ...}          -> retention, copies, state, metrics, alerts
    watcher(event)   SQS records of the change feed         -> a snapshot of what changed (watch mode)

The state machine (`deploy.statemachine`) calls them in that order: Scheduler starts it with the
job's name, a Distributed Map runs `handler` once per shard, reading the planner's shard list from
the stack's work bucket and writing its results there (a job of hundreds of accounts outgrows the
256 KiB a state may pass on), and `finisher` reads them back.

Configuration comes from the function's environment, set by the template:

    LAMBDA_ARK_POLICY           the policy file (packaged next to the code)
    LAMBDA_ARK_WORK_BUCKET      the stack's bucket for shard lists and results (not the repository)
    LAMBDA_ARK_PASSWORD_SECRET  optional: a Secrets Manager secret holding the repository password
                                (else the policy's password sources; KMS-keyed repositories need none)
    LAMBDA_ARK_ALERTS_TOPIC     optional: an SNS topic told of every run that is not ok
    LAMBDA_ARK_ERRORS_QUEUE     optional: the errors queue for jobs whose policy names none
    LAMBDA_ARK_FUNCTIONS_PER_SHARD  optional: split a region whose shards held more (default 400)
    LAMBDA_ARK_WATCH_JOB        the watcher: the job whose selection, kinds and repository apply

The code is plain lambda-ark: the same `automation` functions `lambda-ark run` calls, no test
double (the embedded endpoint is an extra the Lambda package does not carry).
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable
from typing import Any

from .automation import errors_queue
from .automation.context import Context
from .automation.job import OK, JobRun
from .automation.shards import (
    DEFAULT_FUNCTIONS_PER_SHARD,
    JobPlan,
    Shard,
    account_run_doc,
    failed_shard_doc,
    finish_job,
    plan_job,
    run_shard,
)
from .aws import Aws, call, connect
from .errors import LambdaArkError, UsageError, describe
from .policy import LoadedPolicy, RepositoryRef, load_policy
from .repository import Repository

POLICY_ENV = "LAMBDA_ARK_POLICY"
WORK_BUCKET_ENV = "LAMBDA_ARK_WORK_BUCKET"
PASSWORD_SECRET_ENV = "LAMBDA_ARK_PASSWORD_SECRET"
ALERTS_TOPIC_ENV = "LAMBDA_ARK_ALERTS_TOPIC"
ERRORS_QUEUE_ENV = "LAMBDA_ARK_ERRORS_QUEUE"
PER_SHARD_ENV = "LAMBDA_ARK_FUNCTIONS_PER_SHARD"
RUNS_PREFIX = "runs/"

# One policy, session and set of repositories per execution environment, as Lambda keeps module state
# between invocations of one environment. Per thread: an environment runs one invocation at a time, and
# a local run of the state machine (deploy.asl) runs map items on threads, each its own environment.
_local = threading.local()


def _env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise UsageError(f"environment variable {name} is not set (the stack's template sets it)")
    return value


_generation = [0]  # bumped by reset(): every thread's cached context is stale


def context() -> Context:
    """The run context, built once per execution environment (warm invocations reuse it)."""
    if getattr(_local, "generation", None) != _generation[0] or getattr(_local, "ctx", None) is None:
        loaded = load_policy(_env(POLICY_ENV))
        aws = connect()
        _local.ctx = Context(loaded=loaded, aws=aws, open_repository=_opener(aws, loaded))
        _local.generation = _generation[0]
    ctx: Context = _local.ctx
    return ctx


def reset() -> None:
    """Forget the cached contexts (a new policy or endpoint; tests)."""
    _generation[0] += 1


def _opener(aws: Aws, loaded: LoadedPolicy) -> Callable[[RepositoryRef], Repository]:
    from .cli.automation_common import password_for

    secret = os.environ.get(PASSWORD_SECRET_ENV)
    secret_password: list[str] = []

    def open_repository(ref: RepositoryRef) -> Repository:
        password = password_for(ref)
        if password is None and secret:
            if not secret_password:
                value = call(aws.client("secretsmanager", _arn_region(secret)), "get_secret_value", SecretId=secret)
                secret_password.append(str(value["SecretString"]))
            password = secret_password[0]
        return Repository.open(ref.url, password=password, aws=aws)

    return open_repository


def _arn_region(arn: str) -> str | None:
    parts = arn.split(":")
    return parts[3] if arn.startswith("arn:") and len(parts) > 3 and parts[3] else None


def _job(event: dict[str, Any]) -> str:
    job = event.get("job")
    if not isinstance(job, str) or not job:
        raise UsageError(f"event names no job: expected {{\"job\": NAME}}, got keys {sorted(event)}")
    return job


# --- planner ------------------------------------------------------------------------------------


def planner(event: dict[str, Any], context_: Any = None) -> dict[str, Any]:
    """Claim the job's slot and write its shard list to the work bucket for the Distributed Map.

    Returns {"plan": ..., "items": {"Bucket", "Key"}, "count": N, "skipped": why-not or ""}."""
    ctx = context()
    name = _job(event)
    if name not in ctx.policy.jobs:
        raise UsageError(f"no job {name!r} in {ctx.loaded.file} (jobs: {', '.join(ctx.policy.jobs)})")
    runner = str(event.get("execution") or getattr(context_, "aws_request_id", "") or "") or None
    per_shard = int(os.environ.get(PER_SHARD_ENV) or DEFAULT_FUNCTIONS_PER_SHARD)
    plan = plan_job(ctx, name, forced=event.get("trigger") == "manual",
                    runner=f"step-functions {runner}" if runner else None, per_shard=per_shard)
    summary = plan.as_dict()
    summary["shards"] = []  # the list goes to the bucket: a state passes at most 256 KiB on
    if plan.skipped:
        return {"plan": summary, "items": {}, "prefix": "", "count": 0, "skipped": plan.skipped}
    bucket = _env(WORK_BUCKET_ENV)
    prefix = f"{RUNS_PREFIX}{name}/{plan.started:%Y%m%dT%H%M%S%fZ}/"
    items = [{"job": name, "shard": s.as_dict()} for s in plan.shards]
    s3 = ctx.aws.client("s3")
    call(s3, "put_object", Bucket=bucket, Key=prefix + "shards.json", Body=json.dumps(items).encode(),
         ContentType="application/json")
    return {"plan": summary, "items": {"Bucket": bucket, "Key": prefix + "shards.json"}, "prefix": prefix,
            "count": len(items), "skipped": plan.skipped}


# --- worker -------------------------------------------------------------------------------------


def handler(event: dict[str, Any], context_: Any = None) -> dict[str, Any]:
    """The worker: back up one shard (an account's region, or a share of it). Returns its result;
    a backup that could not be written at all is a result with status failed, not an exception
    (the state machine retries only what may pass on a second try: Lambda's own errors)."""
    ctx = context()
    name = _job(event)
    if name not in ctx.policy.jobs:
        raise UsageError(f"no job {name!r} in {ctx.loaded.file}")
    shard = Shard.of(event["shard"])
    return account_run_doc(run_shard(ctx, name, shard), shard)


# --- finisher -----------------------------------------------------------------------------------


def finisher(event: dict[str, Any], context_: Any = None) -> dict[str, Any]:
    """Gather the shards' results, then retention, copies, the job's state, metrics and notifications."""
    ctx = context()
    plan = JobPlan.of(event["plan"])
    docs = shard_results(ctx.aws, event.get("results") or {})
    docs += _missing(ctx.aws, event, docs)
    run = finish_job(ctx, plan, docs)
    run.warnings += _stack_alerts(ctx, run)
    _cleanup(ctx.aws, event)
    return {"status": run.status, "run": run.as_dict()}


def shard_results(aws: Aws, results: dict[str, Any]) -> list[dict[str, Any]]:
    """The shards' results from the Distributed Map's ResultWriter manifest (or inline, when the map
    passed them on directly): each a worker's result, or a failed shard with the error."""
    if isinstance(results, list):
        return [_result_doc(r) for r in results]
    details = results.get("ResultWriterDetails") or {}
    if not details:
        return []
    s3 = aws.client("s3")
    manifest = json.loads(call(s3, "get_object", Bucket=details["Bucket"], Key=details["Key"])["Body"].read())
    out: list[dict[str, Any]] = []
    for status in ("SUCCEEDED", "FAILED", "PENDING"):
        for entry in (manifest.get("ResultFiles") or {}).get(status, []):
            body = call(s3, "get_object", Bucket=manifest.get("DestinationBucket", details["Bucket"]), Key=entry["Key"])
            for item in json.loads(body["Body"].read()):
                out.append(_item_doc(item))
    return out


def _result_doc(result: Any) -> dict[str, Any]:
    if isinstance(result, dict) and "error" in result and "shard" in result:
        return failed_shard_doc(result["shard"], result["error"])
    return dict(result)


def _item_doc(item: dict[str, Any]) -> dict[str, Any]:
    """One child execution in a ResultWriter file: its output, or its error for its input shard."""
    if item.get("Status") == "SUCCEEDED" and item.get("Output"):
        return _result_doc(json.loads(item["Output"]))
    shard = json.loads(item.get("Input") or "{}").get("shard") or {}
    return failed_shard_doc(shard, {"Error": item.get("Error", item.get("Status", "")), "Cause": item.get("Cause", "")})


def _missing(aws: Aws, event: dict[str, Any], docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Shards the plan listed that no result speaks of (the map stopped early): failed, by name."""
    items = event.get("items") or {}
    if not items.get("Bucket"):
        return []
    planned = json.loads(call(aws.client("s3"), "get_object", Bucket=items["Bucket"], Key=items["Key"])["Body"].read())
    seen = {json.dumps(d.get("shard"), sort_keys=True) for d in docs}
    return [failed_shard_doc(p["shard"], "no result: the map ended before this shard ran")
            for p in planned if json.dumps(Shard.of(p["shard"]).as_dict(), sort_keys=True) not in seen]


def _stack_alerts(ctx: Context, run: JobRun) -> list[str]:
    """The stack's own topic and queue hear of every run that is not ok (besides the policy's targets)."""
    warnings: list[str] = []
    if run.status == OK:
        return warnings
    if topic := os.environ.get(ALERTS_TOPIC_ENV):
        from .automation.notify import message

        subject, body = message(run)
        try:
            call(ctx.aws.client("sns", _arn_region(topic)), "publish", TopicArn=topic, Subject=subject,
                 Message=json.dumps(body, sort_keys=True, default=str))
        except LambdaArkError as exc:
            warnings.append(f"alerts topic {topic}: not delivered: {describe(exc)}")
    queue = os.environ.get(ERRORS_QUEUE_ENV)
    if queue and ctx.policy.errors_queue_of(ctx.policy.jobs[run.job]) is None:
        warnings += errors_queue.send_failures(ctx.aws, queue, run)
    return warnings


def _cleanup(aws: Aws, event: dict[str, Any]) -> None:
    """The run's shard list and results are spent once the state is written; the bucket's lifecycle
    rule removes whatever this misses."""
    prefix, bucket = event.get("prefix"), (event.get("items") or {}).get("Bucket")
    if not prefix or not bucket:
        return
    s3 = aws.client("s3")
    keys = [o["Key"] for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
            for o in page.get("Contents", [])]
    for i in range(0, len(keys), 1000):
        call(s3, "delete_objects", Bucket=bucket, Delete={"Objects": [{"Key": k} for k in keys[i:i + 1000]]})


# --- watch --------------------------------------------------------------------------------------


def watcher(event: dict[str, Any], context_: Any = None) -> dict[str, Any]:
    """SQS-triggered: the change feed's events, one snapshot of what they changed (aws_lambda_watch)."""
    from .aws_lambda_watch import watcher as watch_batch

    return watch_batch(event, context_)
