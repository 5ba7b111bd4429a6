"""Proof of least privilege: backup and restore succeed under exactly the policy `iam-policy`
generates, and without any one of its statements a named call fails.

An endpoint process of its own (IAM enforcement is process-wide in moto) is populated first, then
enforcement is switched on (POST /moto-api/reset-auth 0, moto's INITIAL_NO_AUTH_ACTION_COUNT): from
then on every request is checked against the caller's IAM policies (the iam_enforcement patch makes
that check AWS's: real action names, conditions, Lambda function ARNs). lambda-ark runs as a role
whose only policy is the generated one; an `admin` user swaps that policy between runs.
"""

from __future__ import annotations

import io
import json
import re
import threading
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

from enforcing_endpoint import ACCOUNT, enforcing_endpoint
from lambda_ark import aws as aws_mod
from lambda_ark.aws import Aws
from lambda_ark.backup import BackupOptions, run_backup
from lambda_ark.errors import LambdaArkError
from lambda_ark.iam import policy_for, request_for
from lambda_ark.iam.actions import actions_for
from lambda_ark.repository import Repository
from lambda_ark.restore.apply import RestoreOptions, run_restore

REGIONS = ["us-east-1", "eu-west-1"]
TARGET = "eu-central-1"
BUCKET, PREFIX = "ark-proof", "repo"
URL = f"s3://{BUCKET}/{PREFIX}"
DENIED = re.compile(r"AccessDenied|\(403\)|: 403: Forbidden")
NAMED_CALL = re.compile(r"\b[a-z0-9]+(?:_[a-z0-9]+)+ (?:in [a-z0-9-]+|s3://\S+): |calling the \w+ operation|"
                        r"not authorized to perform: [\w-]+:\w+")


@dataclass
class Enforcing:
    url: str
    admin: boto3.Session
    key_arn: str
    role_arn: str

    def aws_as_ark(self) -> Aws:
        sts = self.admin.client("sts", endpoint_url=self.url)
        creds = sts.assume_role(RoleArn=self.role_arn, RoleSessionName=uuid.uuid4().hex[:12])["Credentials"]
        session = boto3.Session(aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                                aws_session_token=creds["SessionToken"], region_name="us-east-1")
        return Aws(session=session, endpoint_url=self.url)

    def grant(self, document: dict[str, Any]) -> None:
        """The ark role's only policy, from now on."""
        iam = self.admin.client("iam", endpoint_url=self.url)
        iam.put_role_policy(RoleName="ark", PolicyName="lambda-ark", PolicyDocument=json.dumps(document))


def _zip(body: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("index.py", f"def handler(event, context):\n    return {body!r}\n")
    return buf.getvalue()


def _estate(session: boto3.Session, url: str) -> None:
    """Functions in two regions with versions, an alias, a URL, a policy statement, a queue mapping,
    concurrency, an invoke config, tags and an EventBridge rule: every function-scoped kind has data."""
    iam = session.client("iam", endpoint_url=url)
    role = iam.create_role(RoleName="fn", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                                                "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]
    for region in REGIONS:
        lam = session.client("lambda", region_name=region, endpoint_url=url)
        for n in range(2):
            name = f"orders-{n}"
            lam.create_function(FunctionName=name, Runtime="python3.12", Role=role, Handler="index.handler",
                                Code={"ZipFile": _zip(f"{region}-{n}")}, Tags={"team": "orders"})
            version = lam.publish_version(FunctionName=name)["Version"]
            lam.create_alias(FunctionName=name, Name="live", FunctionVersion=version)
            lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=5)
            lam.put_function_event_invoke_config(FunctionName=name, MaximumRetryAttempts=1)
            lam.create_function_url_config(FunctionName=name, AuthType="AWS_IAM")
        queue = session.client("sqs", region_name=region, endpoint_url=url).create_queue(QueueName="orders")
        arn = f"arn:aws:sqs:{region}:{ACCOUNT}:orders"
        assert queue["QueueUrl"]
        lam.create_event_source_mapping(FunctionName="orders-0", EventSourceArn=arn, BatchSize=5)
        events = session.client("events", region_name=region, endpoint_url=url)
        rule = events.put_rule(Name="nightly", ScheduleExpression="rate(1 day)")["RuleArn"]
        fn = lam.get_function(FunctionName="orders-1")["Configuration"]["FunctionArn"]
        events.put_targets(Rule="nightly", Targets=[{"Id": "1", "Arn": fn}])
        lam.add_permission(FunctionName="orders-1", StatementId="events", Action="lambda:InvokeFunction",
                           Principal="events.amazonaws.com", SourceArn=rule)
    # the target region has the queue the mapping needs (lambda-ark creates no queues)
    session.client("sqs", region_name=TARGET, endpoint_url=url).create_queue(QueueName="orders")


@pytest.fixture(scope="module")
def enforcing() -> Iterator[Enforcing]:
    with enforcing_endpoint() as ep:
        iam = ep.root.client("iam", endpoint_url=ep.url)
        role = iam.create_role(RoleName="ark", AssumeRolePolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:"
                                                    "user/admin"}, "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]
        _estate(ep.root, ep.url)
        ep.root.client("s3", endpoint_url=ep.url).create_bucket(Bucket=BUCKET)
        kms = ep.root.client("kms", region_name="eu-west-1", endpoint_url=ep.url)
        key_arn = kms.create_key()["KeyMetadata"]["Arn"]
        Repository.init(URL, kms_key_id=key_arn, aws=Aws(session=ep.root, endpoint_url=ep.url))
        ep.enforce()
        yield Enforcing(ep.url, ep.admin, key_arn, role)


class Calls:
    """Which IAM actions lambda-ark's calls needed (client side, as the permission recorder maps them)."""

    def __init__(self) -> None:
        self.actions: set[str] = set()
        self._lock = threading.Lock()

    def __call__(self, service: str, operation: str) -> None:
        with self._lock:
            self.actions.update(actions_for(service, operation))

    def __enter__(self) -> Calls:
        aws_mod.CALL_HOOKS.append(self)
        return self

    def __exit__(self, *exc: object) -> None:
        aws_mod.CALL_HOOKS.remove(self)


def _backup_policy(e: Enforcing) -> dict[str, Any]:
    return policy_for(request_for("backup", repositories=[URL], kms_keys=[e.key_arn], regions=REGIONS))


def _restore_policy(e: Enforcing) -> dict[str, Any]:
    return policy_for(request_for("restore", repositories=[URL], kms_keys=[e.key_arn], regions=[*REGIONS, TARGET]))


def _backup(e: Enforcing) -> tuple[list[str], str]:
    """(the run's errors, or the exception that stopped it, as text), snapshot id."""
    aws = e.aws_as_ark()
    try:
        repo = Repository.open(URL, aws=aws)
        result = run_backup(aws, repo, BackupOptions(regions=REGIONS, full=True, include_roles=True))
    except LambdaArkError as exc:
        return [str(exc)], ""
    return result.errors, result.snapshot_id


def _restore(e: Enforcing, snapshot: str) -> list[str]:
    aws = e.aws_as_ark()
    try:
        repo = Repository.open(URL, aws=aws)
        with repo.lock():
            result = run_restore(aws, repo, repo.load_snapshot(snapshot),
                                 RestoreOptions(regions=["eu-west-1"], to_region=TARGET), dry_run=False)
    except LambdaArkError as exc:
        return [str(exc)]
    return [f"{c.kind} {c.target}: {c.detail}" for c in result.failed]


def test_nothing_is_allowed_without_the_policy(enforcing: Enforcing) -> None:
    enforcing.grant({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetBucketLocation", "Resource": "arn:aws:s3:::nothing-here"}]})
    errors, snapshot = _backup(enforcing)
    assert not snapshot
    assert "AccessDenied" in " ".join(errors)


def test_backup_and_restore_succeed_under_exactly_the_generated_policies(enforcing: Enforcing) -> None:
    enforcing.grant(_backup_policy(enforcing))
    with Calls() as calls:
        errors, snapshot = _backup(enforcing)
    assert errors == [] and snapshot
    # the repository's, the listings' and Lambda's statements were all needed; the others describe
    # things this small estate lacks (an AppSync API, a user pool): the permission recorder sees
    # every declared action used across the test suite
    unused = [s["Sid"] for s in _backup_policy(enforcing)["Statement"] if not set(s["Action"]) & calls.actions]
    # (RepositoryNUploads serves packs large enough to go up in parts, and resuming them: not this estate's)
    needed = [u for u in unused if u.startswith(("Repository", "Lists", "GlobalLists", "Lambda"))
              and not u.endswith("Uploads")]
    assert not needed, unused
    enforcing.grant(_restore_policy(enforcing))
    assert _restore(enforcing, snapshot) == []
    # restored: the functions exist in the target, wired (planning again finds nothing to do)
    admin = enforcing.admin.client("lambda", region_name=TARGET, endpoint_url=enforcing.url)
    assert {f["FunctionName"] for f in admin.list_functions()["Functions"]} >= {"orders-0", "orders-1"}


def _without(document: dict[str, Any], sid: str) -> dict[str, Any]:
    return {**document, "Statement": [s for s in document["Statement"] if s["Sid"] != sid]}


def _relied_on(document: dict[str, Any], used: set[str]) -> list[dict[str, Any]]:
    """Statements that alone grant an action the run used (an action two statements grant, such as
    s3:GetBucketLocation for the repository and for the S3 trigger kind, is not lost with one)."""
    out = []
    for statement in document["Statement"]:
        others = {a for s in document["Statement"] if s is not statement for a in s["Action"]}
        if (set(statement["Action"]) & used) - others:
            out.append(statement)
    return out


def test_removing_any_statement_of_the_backup_policy_makes_a_named_call_fail(enforcing: Enforcing) -> None:
    document = _backup_policy(enforcing)
    enforcing.grant(document)
    with Calls() as calls:
        assert _backup(enforcing)[0] == []
    relied_on = _relied_on(document, calls.actions)
    assert len(relied_on) >= 12, [s["Sid"] for s in relied_on]
    for statement in relied_on:
        enforcing.grant(_without(document, statement["Sid"]))
        errors, _ = _backup(enforcing)
        text = " ".join(errors)
        # (a HEAD request's refusal has no body: a bare 403, as on AWS)
        assert DENIED.search(text), f"without {statement['Sid']}: {text or 'no error'}"
        # the error names the call that failed (`list_functions in eu-west-1: AccessDenied…`)
        assert NAMED_CALL.search(text), text


def test_removing_a_statement_a_restore_relies_on_makes_a_named_call_fail(enforcing: Enforcing) -> None:
    enforcing.grant(_backup_policy(enforcing))
    errors, snapshot = _backup(enforcing)
    assert errors == []
    document = _restore_policy(enforcing)
    enforcing.grant(document)
    with Calls() as calls:
        assert _restore(enforcing, snapshot) == []
    relied_on = _relied_on(document, calls.actions)
    assert len(relied_on) >= 8, [s["Sid"] for s in relied_on]
    for statement in relied_on:
        enforcing.grant(_without(document, statement["Sid"]))
        failures = _restore(enforcing, snapshot)
        assert any(DENIED.search(f) and NAMED_CALL.search(f) for f in failures), \
            f"without {statement['Sid']}: {failures}"


def _drill(e: Enforcing, snapshot: str) -> Any:
    from lambda_ark.drill.run import DrillOptions, run_drill

    aws = e.aws_as_ark()
    repo = Repository.open(URL, aws=aws)
    return run_drill(aws, repo, DrillOptions(snapshot=snapshot, regions=["eu-west-1"], to_region=TARGET)).record


def test_a_drill_succeeds_under_exactly_its_generated_policy_and_not_without_its_own_statements(
        enforcing: Enforcing) -> None:
    enforcing.grant(_backup_policy(enforcing))
    errors, snapshot = _backup(enforcing)
    assert errors == []
    document = policy_for(request_for("drill", repositories=[URL], kms_keys=[enforcing.key_arn],
                                      regions=[*REGIONS, TARGET]))
    enforcing.grant(document)
    with Calls() as calls:
        record = _drill(enforcing, snapshot)
    # restored, verified, invoked (or "not invoked here": python3.12 may be missing), cleaned up
    assert record.status == "passed" and not record.errors and not record.problems, record
    assert record.cleanup.failed == [] and record.cleanup.deleted
    assert {"lambda:DeleteFunction", "lambda:CreateFunction"} <= calls.actions
    # without the statement holding Lambda's writes, the drill cannot run: a named call says why
    enforcing.grant(_without(document, "Lambda"))
    refused = _drill(enforcing, snapshot)
    text = " ".join([*refused.errors, *refused.problems, *(f.detail for f in refused.functions)])
    assert refused.status in ("error", "failed") and DENIED.search(text) and NAMED_CALL.search(text), text
