"""Creating, updating and deleting the stack: always through a change set, so `--dry-run` shows
exactly what a deploy would change and a deploy changes exactly that.

    deploy_stack(aws, region, name, template, code) -> DeployResult   (dry_run: the change set only)
    undeploy_stack(aws, region, name) -> UndeployResult                the stack, never the repository

The package goes to an assets bucket (`lambda-ark-assets-<account>-<region>` unless named; created
with Block Public Access, default encryption and TLS only when missing) under its SHA-256, so a new
package is a new key and CloudFormation updates the functions; the same package changes nothing.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..aws import Aws, call, error_code
from ..errors import AwsError, LambdaArkError

TEMPLATE_BODY_LIMIT = 51_200  # bytes CloudFormation takes inline; larger templates go by URL
TAG = {"Key": "made-by", "Value": "lambda-ark deploy"}  # undeploy deletes only stacks that carry it
CAPABILITIES = ["CAPABILITY_IAM"]  # the stack creates roles (unnamed: CAPABILITY_NAMED_IAM not needed)
_NO_CHANGES = ("didn't contain changes", "No updates are to be performed")
_DONE = ("CREATE_COMPLETE", "UPDATE_COMPLETE", "DELETE_COMPLETE")
_FAILED = ("CREATE_FAILED", "ROLLBACK_COMPLETE", "ROLLBACK_FAILED", "UPDATE_ROLLBACK_COMPLETE",
           "UPDATE_ROLLBACK_FAILED", "DELETE_FAILED", "UPDATE_FAILED")


@dataclass
class DeployResult:
    stack_name: str
    status: str  # created | updated | unchanged | planned (dry run) | failed
    change_set: str = ""
    changes: list[dict[str, Any]] = field(default_factory=list)  # action, logical id, type, replacement
    outputs: dict[str, str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)  # the resources that failed and why
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"stack": self.stack_name, "status": self.status, "change_set": self.change_set,
                "changes": self.changes, "outputs": self.outputs, "errors": self.errors, "warnings": self.warnings}


@dataclass
class UndeployResult:
    stack_name: str
    status: str  # deleted | failed
    emptied: list[str] = field(default_factory=list)  # the stack's own buckets emptied first
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"stack": self.stack_name, "status": self.status, "emptied": self.emptied, "errors": self.errors}


def assets_bucket_name(aws: Aws, region: str) -> str:
    return f"lambda-ark-assets-{aws.account_id()}-{region}"


def ensure_assets_bucket(aws: Aws, bucket: str, region: str) -> None:
    """The bucket, created private, encrypted and TLS-only when it does not exist."""
    s3 = aws.client("s3", region)
    try:
        call(s3, "head_bucket", Bucket=bucket)
        return
    except AwsError as exc:
        if error_code(exc) not in ("404", "NoSuchBucket", "NotFound"):
            raise
    args: dict[str, Any] = {"Bucket": bucket}
    if region != "us-east-1":
        args["CreateBucketConfiguration"] = {"LocationConstraint": region}
    call(s3, "create_bucket", **args)
    call(s3, "put_public_access_block", Bucket=bucket, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True})
    call(s3, "put_bucket_encryption", Bucket=bucket, ServerSideEncryptionConfiguration={
        "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})
    call(s3, "put_bucket_policy", Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "TlsOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
        "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}))


def upload_package(aws: Aws, bucket: str, region: str, zip_path: Path, sha256: str) -> dict[str, str]:
    """The package in the assets bucket under its digest (uploaded only when not there yet)."""
    s3 = aws.client("s3", region)
    key = f"lambda-ark/{sha256}.zip"
    try:
        call(s3, "head_object", Bucket=bucket, Key=key)
    except AwsError as exc:
        if error_code(exc) not in ("404", "NoSuchKey", "NotFound"):
            raise
        call(s3, "put_object", Bucket=bucket, Key=key, Body=zip_path.read_bytes(), ChecksumAlgorithm="SHA256")
    return {"S3Bucket": bucket, "S3Key": key}


def _stack(cfn: Any, name: str) -> dict[str, Any] | None:
    try:
        stacks = call(cfn, "describe_stacks", StackName=name)["Stacks"]
    except AwsError as exc:
        if error_code(exc) == "ValidationError" and "does not exist" in str(exc):
            return None
        raise
    return dict(stacks[0]) if stacks else None


def _wait(poll: Callable[[], str | None], timeout: float, sleep: Callable[[float], None], what: str) -> str:
    deadline = time.monotonic() + timeout
    delay = 1.0
    while True:
        status = poll()
        if status is not None:
            return status
        if time.monotonic() > deadline:
            raise LambdaArkError(f"{what}: still in progress after {int(timeout)} s (see the stack's events)")
        sleep(delay)
        delay = min(delay * 2, 15.0)


def deploy_stack(aws: Aws, region: str, name: str, template: dict[str, Any], *, dry_run: bool = False,
                 template_bucket: str | None = None, timeout: float = 1800,
                 sleep: Callable[[float], None] = time.sleep) -> DeployResult:
    """Create or update the stack through a change set (kept and shown, not executed, with dry_run)."""
    cfn = aws.client("cloudformation", region)
    existing = _stack(cfn, name)
    state = existing["StackStatus"] if existing else ""
    if state.endswith("_IN_PROGRESS") and state != "REVIEW_IN_PROGRESS":
        raise LambdaArkError(f"stack {name} is {state}: wait for it to finish, then deploy again")
    if state == "REVIEW_IN_PROGRESS":  # a deploy died after its first change set: the empty stack goes
        call(cfn, "delete_stack", StackName=name)
        _wait(lambda: None if _stack(cfn, name) else "gone", timeout, sleep, f"removing the empty stack {name}")
        existing, state = None, ""
    kind = "UPDATE" if existing else "CREATE"
    if state == "ROLLBACK_COMPLETE":
        raise LambdaArkError(f"stack {name} failed to create and rolled back: `lambda-ark undeploy --stack-name "
                             f"{name}` removes it, then deploy again")
    body = json.dumps(template, separators=(",", ":"), sort_keys=True)  # compact: 51,200 bytes go inline
    source: dict[str, str] = {"TemplateBody": body}
    if len(body.encode()) > TEMPLATE_BODY_LIMIT:
        if template_bucket is None:
            raise LambdaArkError(f"the template is {len(body)} bytes, more than CloudFormation takes inline: "
                                 "give an assets bucket")
        key = f"lambda-ark/templates/{name}-{int(time.time())}.json"
        call(aws.client("s3", region), "put_object", Bucket=template_bucket, Key=key, Body=body.encode())
        source = {"TemplateURL": f"https://{template_bucket}.s3.{region}.amazonaws.com/{key}"}
    change_set = f"lambda-ark-{int(time.time() * 1000)}"
    made = call(cfn, "create_change_set", StackName=name, ChangeSetName=change_set, ChangeSetType=kind,
                Capabilities=CAPABILITIES, Description="lambda-ark deploy", Tags=[TAG], **source)
    arn = str(made["Id"])

    def described() -> dict[str, Any]:
        return dict(call(cfn, "describe_change_set", ChangeSetName=arn, StackName=name))

    def ready() -> str | None:
        status = described()["Status"]
        return status if status in ("CREATE_COMPLETE", "FAILED") else None

    status = _wait(ready, timeout, sleep, f"change set {change_set}")
    doc = described()
    result = DeployResult(stack_name=name, status="planned", change_set=change_set,
                          changes=[_change(c) for c in doc.get("Changes", [])])
    if status == "FAILED":
        reason = str(doc.get("StatusReason", ""))
        call(cfn, "delete_change_set", ChangeSetName=arn, StackName=name)
        if any(s in reason for s in _NO_CHANGES):
            result.status = "unchanged"
            result.outputs = _outputs(existing or {})
            return result
        result.status, result.errors = "failed", [f"change set {change_set}: {reason}"]
        return result
    if dry_run:
        call(cfn, "delete_change_set", ChangeSetName=arn, StackName=name)
        if kind == "CREATE":  # the change set left an empty stack in REVIEW_IN_PROGRESS: not ours to keep
            call(cfn, "delete_stack", StackName=name)
        return result
    call(cfn, "execute_change_set", ChangeSetName=arn, StackName=name)

    def settled() -> str | None:
        stack = _stack(cfn, name)
        state = stack["StackStatus"] if stack else "DELETE_COMPLETE"
        return state if state in _DONE or state in _FAILED else None

    final = _wait(settled, timeout, sleep, f"stack {name}")
    if final in _DONE:
        result.status = "created" if kind == "CREATE" else "updated"
        result.outputs = _outputs(_stack(cfn, name) or {})
    else:
        result.status = "failed"
        result.errors = [f"stack {name}: {final}", *_failed_events(cfn, name)]
    return result


def _change(change: dict[str, Any]) -> dict[str, Any]:
    c = change.get("ResourceChange", {})
    return {"action": c.get("Action", ""), "logical_id": c.get("LogicalResourceId", ""),
            "type": c.get("ResourceType", ""), "replacement": c.get("Replacement", "")}


def _outputs(stack: dict[str, Any]) -> dict[str, str]:
    return {o["OutputKey"]: str(o.get("OutputValue", "")) for o in stack.get("Outputs", [])}


def _failed_events(cfn: Any, name: str) -> list[str]:
    try:
        events = call(cfn, "describe_stack_events", StackName=name).get("StackEvents", [])
    except AwsError as exc:
        return [f"its events cannot be read: {exc}"]
    return [f"{e.get('LogicalResourceId')} ({e.get('ResourceType')}): {e.get('ResourceStatus')}: "
            f"{e.get('ResourceStatusReason', '')}" for e in events
            if str(e.get("ResourceStatus", "")).endswith("FAILED")]


def undeploy_stack(aws: Aws, region: str, name: str, *, timeout: float = 1800,
                   sleep: Callable[[float], None] = time.sleep) -> UndeployResult:
    """Delete the stack. Its work bucket (shard lists, map results) is emptied first, as CloudFormation
    deletes only empty buckets; the repository and the assets bucket are not the stack's and stay."""
    cfn = aws.client("cloudformation", region)
    stack = _stack(cfn, name)
    if stack is None:
        raise LambdaArkError(f"no stack {name} in {region}")
    if TAG not in stack.get("Tags", []):
        raise LambdaArkError(f"stack {name} was not made by lambda-ark deploy: not deleting it")
    result = UndeployResult(stack_name=name, status="deleted")
    resources = [r for page in cfn.get_paginator("list_stack_resources").paginate(StackName=name)
                 for r in page.get("StackResourceSummaries", [])]
    bucket = next((r.get("PhysicalResourceId") for r in resources if r.get("LogicalResourceId") == "WorkBucket"), None)
    if bucket:
        _empty(aws.client("s3", region), bucket)
        result.emptied.append(bucket)
    call(cfn, "delete_stack", StackName=name)

    def gone() -> str | None:
        current = _stack(cfn, name)
        state = current["StackStatus"] if current else "DELETE_COMPLETE"
        return state if state in ("DELETE_COMPLETE", "DELETE_FAILED") else None

    final = _wait(gone, timeout, sleep, f"deleting stack {name}")
    if final != "DELETE_COMPLETE":
        result.status = "failed"
        result.errors = [f"stack {name}: {final}", *_failed_events(cfn, name)]
    return result


def _empty(s3: Any, bucket: str) -> None:
    try:
        pages = list(s3.get_paginator("list_object_versions").paginate(Bucket=bucket))
    except Exception as exc:  # noqa: BLE001 - a bucket already gone is already empty
        if error_code(exc) == "NoSuchBucket":
            return
        raise
    keys = [{"Key": v["Key"], "VersionId": v["VersionId"]} for p in pages
            for v in [*p.get("Versions", []), *p.get("DeleteMarkers", [])]]
    for i in range(0, len(keys), 1000):
        call(s3, "delete_objects", Bucket=bucket, Delete={"Objects": keys[i:i + 1000], "Quiet": True})
