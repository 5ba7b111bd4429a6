"""The deployed state machine, executed locally: its ASL walked state by state (lambda_ark.deploy.asl)
with the real handlers (lambda_ark.aws_lambda) against the embedded endpoint, over an estate of two
accounts (each reached through an assumed role) and two regions; then the result restored with
`restore --latest-per-scope`.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from tests.accounts import ACCESS_ROLE, Account, own_account

from lambda_ark import aws_lambda
from lambda_ark.aws import Aws
from lambda_ark.deploy.asl import Runner, StatesError
from lambda_ark.deploy.statemachine import definition, substitute
from lambda_ark.repository import Repository
from lambda_ark.scopes import shard_of

PASSWORD = "state machine"
REGIONS = ("eu-west-1", "us-west-2")
PER_REGION = {"eu-west-1": 5, "us-west-2": 2}


@dataclass
class Stack:
    """What `deploy` would have created, made by hand on the embedded endpoint."""

    aws: Aws
    repo_path: Path
    policy_path: Path
    bucket: str
    topic: str
    failed_runs: str
    errors_queue: str
    accounts: list[Account]

    def runner(self, invoke: Callable[[str, Any], Any] | None = None, max_concurrency: int = 2) -> Runner:
        doc = substitute(definition(max_concurrency=max_concurrency), {
            "PlannerArn": "planner", "WorkerArn": "worker", "FinisherArn": "finisher", "WorkBucket": self.bucket,
            "AlertsTopicArn": self.topic, "FailedRunsQueueUrl": self.failed_runs})
        return Runner(doc, invoke or handlers(), self.aws, sleep=lambda s: None)

    def repo(self) -> Repository:
        return Repository.open(str(self.repo_path), password=PASSWORD)


def handlers() -> Callable[[str, Any], Any]:
    """Invoke a handler as Lambda would: the payload and the result through JSON."""
    table = {"planner": aws_lambda.planner, "worker": aws_lambda.handler, "finisher": aws_lambda.finisher}

    def invoke(name: str, payload: Any) -> Any:
        return json.loads(json.dumps(table[name](json.loads(json.dumps(payload)), None)))

    return invoke


def _package() -> bytes:
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("index.py", "def handler(event, context):\n    return event\n")
    return buf.getvalue()


def _estate(account: Account) -> None:
    for region in REGIONS:
        lam = account.aws.client("lambda", region)
        for n in range(PER_REGION[region]):
            lam.create_function(FunctionName=f"fn-{n}", Runtime="python3.12", Role=account.role_arn,
                                Handler="index.handler", Code={"ZipFile": _package()})


def _policy(path: Path, repo: Path, accounts: list[Account], roles: list[str] | None = None) -> Path:
    lines = [f"repositories: {{primary: {repo}}}", "accounts:"]
    for arn in roles or [f"arn:aws:iam::{a.id}:role/{ACCESS_ROLE}" for a in accounts]:
        lines.append(f"  - role_arn: {arn}")
    lines += ["jobs:", "  nightly:", f"    select: {{regions: [{', '.join(REGIONS)}]}}",
              "    include: [code, config]", "    schedule: rate(1 hour)", "    retention: {keep_last: 3}",
              "metrics: {targets: [none]}"]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def stack(aws: Aws, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Stack]:
    accounts = [own_account(aws), own_account(aws)]
    for account in accounts:
        _estate(account)
    repo = tmp_path / "repo"
    Repository.init(str(repo), password=PASSWORD)
    bucket = f"ark-work-{uuid.uuid4().hex[:10]}"
    aws.client("s3").create_bucket(Bucket=bucket)
    topic = aws.client("sns").create_topic(Name=f"alerts-{uuid.uuid4().hex[:8]}")["TopicArn"]
    sqs = aws.client("sqs")
    failed = sqs.create_queue(QueueName=f"failed-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    errors = sqs.create_queue(QueueName=f"errors-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    policy = _policy(tmp_path / "policy.yaml", repo, accounts)
    for var, value in {"AWS_ENDPOINT_URL": str(aws.endpoint_url), "AWS_ACCESS_KEY_ID": "testing",
                       "AWS_SECRET_ACCESS_KEY": "testing", "LAMBDA_ARK_PASSWORD": PASSWORD,
                       aws_lambda.POLICY_ENV: str(policy), aws_lambda.WORK_BUCKET_ENV: bucket,
                       aws_lambda.ALERTS_TOPIC_ENV: topic, aws_lambda.ERRORS_QUEUE_ENV: errors,
                       aws_lambda.PER_SHARD_ENV: "2"}.items():
        monkeypatch.setenv(var, value)
    aws_lambda.reset()
    yield Stack(aws, repo, policy, bucket, topic, failed, errors, accounts)
    aws_lambda.reset()


def _messages(aws: Aws, url: str) -> list[dict[str, Any]]:
    got = aws.client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
    return [json.loads(m["Body"]) for m in got.get("Messages", [])]


# --- what a person sees when something is wrong -------------------------------------------------


def test_a_planner_that_fails_outright_alerts_and_queues_the_run(stack: Stack, monkeypatch: pytest.MonkeyPatch
                                                                 ) -> None:
    monkeypatch.setenv(aws_lambda.POLICY_ENV, str(stack.policy_path.with_name("missing.yaml")))
    aws_lambda.reset()
    run = stack.runner().start({"job": "nightly", "trigger": "schedule"})
    assert run.status == "FAILED" and run.error == "LambdaArk.RunFailed"
    assert run.visited == ["Plan", "Alert", "Queue", "Failed"]
    failed = _messages(stack.aws, stack.failed_runs)
    assert len(failed) == 1 and failed[0]["job"] == "nightly"
    assert "missing.yaml" in failed[0]["error"]["Cause"]


def test_an_account_that_cannot_be_reached_fails_alone_and_is_reported(stack: Stack, tmp_path: Path) -> None:
    good = f"arn:aws:iam::{stack.accounts[0].id}:role/{ACCESS_ROLE}"
    bad = "arn:aws:iam::999999999999:role/nobody"
    _policy(stack.policy_path, stack.repo_path, stack.accounts, roles=[good, bad])
    aws_lambda.reset()
    run = stack.runner().start({"job": "nightly", "trigger": "manual"})
    # the run is partial: the execution says so, the errors queue names the account to retry
    assert run.status == "FAILED" and run.error == "LambdaArk.JobNotOk", run
    assert [m["account"] for m in _messages(stack.aws, stack.errors_queue)] == ["999999999999"]
    snapshots = stack.repo().snapshots()
    assert {s.summary["functions"] for s in snapshots} == set(PER_REGION.values())  # the good account's regions


def test_transient_lambda_errors_are_retried_with_backoff(stack: Stack) -> None:
    real = handlers()
    failures = {"left": 2}

    def flaky(name: str, payload: Any) -> Any:
        if name == "worker" and failures["left"] > 0:
            failures["left"] -= 1
            raise StatesError("Lambda.TooManyRequestsException", "Rate exceeded")
        return real(name, payload)

    runner = stack.runner(flaky)
    run = runner.start({"job": "nightly", "trigger": "manual"})
    assert run.status == "SUCCEEDED", run
    assert len(runner.delays) == 2 and all(0 <= d <= 120 for d in runner.delays)


def test_a_shard_whose_worker_keeps_failing_is_that_shards_failure_only(stack: Stack) -> None:
    real = handlers()

    def broken(name: str, payload: Any) -> Any:
        if name == "worker" and payload["shard"]["region"] == "us-west-2":
            raise RuntimeError("worker crashed")
        return real(name, payload)

    run = stack.runner(broken).start({"job": "nightly", "trigger": "manual"})
    assert run.status == "FAILED" and run.error == "LambdaArk.JobNotOk"
    regions = {r for s in stack.repo().snapshots() for r in [s.summary.get("regions")]}
    assert regions == {1}  # one region per snapshot: the eu-west-1 shards were written
    queued = _messages(stack.aws, stack.errors_queue)
    assert {m["account"] for m in queued} == {a.id for a in stack.accounts}
    # each account is queued whole (a retry backs it up again); its error names the shard that failed
    assert all(m["failed"] == [m["account"]] and "region us-west-2 shard 0/1: RuntimeError" in m["errors"][0]
               for m in queued), queued


def test_a_run_still_going_is_not_started_again(stack: Stack) -> None:
    first = stack.runner().start({"job": "nightly", "trigger": "schedule"})
    assert first.status == "SUCCEEDED"
    again = stack.runner().start({"job": "nightly", "trigger": "schedule"})  # the same hour: not due
    assert again.status == "SUCCEEDED" and again.visited == ["Plan", "Due?", "NotRun"]


# --- the happy path -----------------------------------------------------------------------------


def test_a_job_runs_sharded_across_accounts_and_regions_and_restores_as_one(stack: Stack,
                                                                            monkeypatch: pytest.MonkeyPatch,
                                                                            capsys: pytest.CaptureFixture[str]
                                                                            ) -> None:
    runner = stack.runner(max_concurrency=2)
    first = runner.start({"job": "nightly", "trigger": "manual"})
    assert first.status == "SUCCEEDED", first
    assert runner.max_running <= 2
    snaps = stack.repo().snapshots()
    assert len(snaps) == len(stack.accounts) * len(REGIONS)  # one per account and region
    # the next run splits the region that outgrew 2 functions per shard (5 functions: 3 shards)
    second = stack.runner().start({"job": "nightly", "trigger": "manual"})
    assert second.status == "SUCCEEDED", second
    newest = stack.repo().snapshots()[len(snaps):]
    shards = sorted(shard_of(s.tags) for s in newest if shard_of(s.tags))
    assert shards == sorted(["0/3", "1/3", "2/3"] * len(stack.accounts))
    assert sum(s.summary["functions"] for s in newest) == sum(PER_REGION.values()) * len(stack.accounts)
    # the work bucket keeps nothing of finished runs
    assert stack.aws.client("s3").list_objects_v2(Bucket=stack.bucket).get("KeyCount", 0) == 0

    from lambda_ark.cli import app

    # `snapshots --group-by scope` shows each account's region and shard as a series
    assert app(["snapshots", "--repo", str(stack.repo_path), "--tag", "job:nightly", "--group-by", "scope",
                "--json"], standalone_mode=False) in (0, None)
    groups = json.loads(capsys.readouterr().out)["groups"]
    covers = {g["covers"] for g in groups}
    account = stack.accounts[0]
    assert f"{account.id} eu-west-1 shard 1/3" in covers and f"{account.id} us-west-2" in covers

    # lose one account's region, then restore the newest snapshot of every scope as one
    lam = account.aws.client("lambda", "eu-west-1")
    for n in range(PER_REGION["eu-west-1"]):
        lam.delete_function(FunctionName=f"fn-{n}")
    for var, value in account.env.items():
        monkeypatch.setenv(var, value)
    rc = app(["restore", "--repo", str(stack.repo_path), "--latest-per-scope", "--tag", "job:nightly",
              "--account", account.id, "--region", "eu-west-1", "--yes", "--json"], standalone_mode=False)
    assert rc in (0, None)
    result = json.loads(capsys.readouterr().out)
    assert result["counts"].get("failed", 0) == 0
    names = {f["FunctionName"] for f in lam.list_functions()["Functions"]}
    assert names == {f"fn-{n}" for n in range(PER_REGION["eu-west-1"])}


def test_restore_latest_per_scope_refuses_what_it_cannot_do(stack: Stack, capsys: pytest.CaptureFixture[str]
                                                            ) -> None:
    from lambda_ark.cli import app
    from lambda_ark.errors import LambdaArkError, UsageError

    with pytest.raises(UsageError, match="not both"):
        app(["restore", "latest", "--repo", str(stack.repo_path), "--latest-per-scope"], standalone_mode=False)
    with pytest.raises(UsageError, match="snapshot or --latest-per-scope"):
        app(["restore", "--repo", str(stack.repo_path)], standalone_mode=False)
    with pytest.raises(LambdaArkError, match="no snapshot with tags job:nightly"):
        app(["restore", "--repo", str(stack.repo_path), "--latest-per-scope", "--tag", "job:nightly", "--dry-run"],
            standalone_mode=False)


