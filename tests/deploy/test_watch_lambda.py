"""The watch Lambda (lambda_ark.aws_lambda.watcher) invoked as the SQS event source mapping invokes it:
batches received from the watch queue the embedded endpoint fills from CloudTrail through EventBridge."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from tests.accounts import Account, own_account

from lambda_ark import aws_lambda
from lambda_ark.aws import Aws
from lambda_ark.aws_lambda_watch import WATCH_JOB_ENV
from lambda_ark.errors import LambdaArkError, UsageError
from lambda_ark.repository import Repository
from lambda_ark.watch_channel import Channel, ensure

PASSWORD = "watch lambda"
REGION = "eu-central-1"


@dataclass
class Setup:
    account: Account
    repo: Path
    channel: Channel

    def batch(self) -> dict[str, Any]:
        """What the event source mapping hands the function: the queue's messages as SQS records."""
        sqs = self.account.aws.client("sqs", REGION)
        records: list[dict[str, Any]] = []
        for _ in range(20):
            got = sqs.receive_message(QueueUrl=self.channel.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
            for m in got.get("Messages", []):
                records.append({"messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"],
                                "attributes": {}, "messageAttributes": {}, "md5OfBody": m["MD5OfBody"],
                                "eventSource": "aws:sqs", "eventSourceARN": self.channel.queue_arn,
                                "awsRegion": REGION})
            if records and not got.get("Messages"):
                break
        return {"Records": records}


def _zip() -> bytes:
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("index.py", "def handler(event, context):\n    return event\n")
    return buf.getvalue()


@pytest.fixture
def setup(aws: Aws, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Setup]:
    account = own_account(aws)
    lam = account.aws.client("lambda", REGION)
    for name in ("orders", "billing"):
        lam.create_function(FunctionName=name, Runtime="python3.12", Role=account.role_arn, Handler="index.handler",
                            Code={"ZipFile": _zip()})
    repo = tmp_path / "repo"
    Repository.init(str(repo), password=PASSWORD)
    policy = tmp_path / "policy.yaml"
    policy.write_text(f"repositories: {{primary: {repo}}}\njobs:\n  nightly:\n    select: {{regions: [{REGION}]}}\n"
                      "    include: [code, config]\n    schedule: rate(1 day)\n"
                      "metrics: {targets: [none]}\n")
    for var, value in {**account.env, "AWS_ENDPOINT_URL": str(aws.endpoint_url), "LAMBDA_ARK_PASSWORD": PASSWORD,
                       aws_lambda.POLICY_ENV: str(policy), WATCH_JOB_ENV: "nightly"}.items():
        monkeypatch.setenv(var, value)
    aws_lambda.reset()
    channel = ensure(account.aws, [REGION])[REGION]  # what the template's rule and queue are
    time.sleep(1.1)  # CloudTrail stamps events to the second: the baseline comes a second later
    from lambda_ark.backup import BackupOptions, run_backup

    run_backup(account.aws, Repository.open(str(repo), password=PASSWORD),
               BackupOptions(regions=[REGION], snapshot_tags=["job:nightly"]))
    yield Setup(account, repo, channel)
    aws_lambda.reset()


def _invoke(event: dict[str, Any]) -> dict[str, Any]:
    out = aws_lambda.watcher(json.loads(json.dumps(event)), None)
    return dict(json.loads(json.dumps(out)))


# --- what goes wrong ----------------------------------------------------------------------------


def test_a_watcher_without_its_job_refuses_before_touching_the_repository(setup: Setup,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(WATCH_JOB_ENV, "weekly")
    aws_lambda.reset()
    with pytest.raises(UsageError, match=r"LAMBDA_ARK_WATCH_JOB='weekly': no such job .* \(jobs: nightly\)"):
        _invoke({"Records": []})
    assert len(Repository.open(str(setup.repo), password=PASSWORD).snapshots()) == 1


def test_messages_that_are_not_this_accounts_events_are_failed_items_the_rest_is_backed_up(setup: Setup) -> None:
    sqs = setup.account.aws.client("sqs", REGION)
    sqs.send_message(QueueUrl=setup.channel.queue_url, MessageBody="not json")
    foreign = {"detail-type": "AWS API Call via CloudTrail", "account": "123456789012", "detail": {}}
    sqs.send_message(QueueUrl=setup.channel.queue_url, MessageBody=json.dumps(foreign))
    setup.account.aws.client("lambda", REGION).put_function_concurrency(FunctionName="orders",
                                                                      ReservedConcurrentExecutions=3)
    batch = setup.batch()
    bad = {r["messageId"] for r in batch["Records"] if r["body"] in ("not json", json.dumps(foreign))}
    assert len(bad) == 2 and len(batch["Records"]) >= 3
    out = _invoke(batch)
    # only the two are reported: SQS redelivers them and its redrive policy ends them in the dead-letter queue
    assert {f["itemIdentifier"] for f in out["batchItemFailures"]} == bad
    snap = Repository.open(str(setup.repo), password=PASSWORD).load_snapshot("latest")
    assert snap.summary["change_feed"] == "events"
    orders = next(r for r in snap.body["functions"] if r["name"] == "orders")
    assert orders["items"]["concurrency"]["reserved"] == 3


def test_a_repository_that_cannot_be_written_fails_the_batch_so_sqs_delivers_it_again(setup: Setup) -> None:
    setup.account.aws.client("lambda", REGION).delete_function_concurrency(FunctionName="orders")
    setup.account.aws.client("lambda", REGION).put_function_concurrency(FunctionName="billing",
                                                                       ReservedConcurrentExecutions=2)
    batch = setup.batch()
    assert batch["Records"]
    (setup.repo / "keys").rename(setup.repo / "keys.gone")
    aws_lambda.reset()
    with pytest.raises(LambdaArkError):
        _invoke(batch)
    (setup.repo / "keys.gone").rename(setup.repo / "keys")
    assert len(Repository.open(str(setup.repo), password=PASSWORD).snapshots()) == 1


# --- the happy path -----------------------------------------------------------------------------


def test_a_batch_of_changes_becomes_one_snapshot_of_exactly_those(setup: Setup) -> None:
    lam = setup.account.aws.client("lambda", REGION)
    lam.put_function_concurrency(FunctionName="billing", ReservedConcurrentExecutions=5)
    batch = setup.batch()
    assert batch["Records"]
    assert _invoke(batch) == {"batchItemFailures": []}
    repo = Repository.open(str(setup.repo), password=PASSWORD)
    snaps = repo.snapshots()
    assert len(snaps) == 2
    snap = repo.load_snapshot("latest")
    assert snap.summary["change_feed"] == "events"
    assert "job:nightly" in snap.tags
    billing = next(r for r in snap.body["functions"] if r["name"] == "billing")
    assert billing["items"]["concurrency"]["reserved"] == 5
    assert [c["change"] for c in snap.summary["rpo"]] == [f"concurrency of billing in {REGION}"]
    # a batch of events of nothing the job records (another region's) writes nothing
    other = {**json.loads(batch["Records"][0]["body"])}
    other["detail"] = {**other["detail"], "awsRegion": "us-west-1"}
    record = {**batch["Records"][0], "messageId": str(uuid.uuid4()), "body": json.dumps(other)}
    assert _invoke({"Records": [record]}) == {"batchItemFailures": []}
    assert len(repo.snapshots()) == 2
