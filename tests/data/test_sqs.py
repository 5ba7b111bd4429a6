"""SQS queues: configuration and redrive policy with the dead-letter queue, restored DLQ first."""

from __future__ import annotations

import json

import pytest
from tests.accounts import own_account
from tests.e2e.isolated import make_functions
from tests.faulty_proxy import FaultyProxy, Rule

from lambda_ark.aws import Aws
from lambda_ark.backup import BackupOptions, run_backup
from lambda_ark.repository import Repository
from lambda_ark.restore.apply import RestoreOptions, run_restore

from .conftest import data_section, through

REGION = "af-south-1"
THROTTLED = b'{"__type": "com.amazonaws.sqs#RequestThrottled", "message": "Request is throttled."}'


def _estate(aws: Aws) -> tuple[Aws, str]:
    own = own_account(aws).aws
    make_functions(own, REGION, ["worker"])
    sqs = own.client("sqs", REGION)
    dlq = sqs.create_queue(QueueName="jobs-dlq", Attributes={"MessageRetentionPeriod": "1209600"})["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 3})
    url = sqs.create_queue(QueueName="jobs", Attributes={"VisibilityTimeout": "120", "RedrivePolicy": redrive},
                           tags={"team": "batch"})["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    own.client("lambda", REGION).create_event_source_mapping(FunctionName="worker", EventSourceArn=arn, BatchSize=5)
    return own, own.account_id()


def _backup(aws: Aws, repo: Repository) -> str:
    result = run_backup(aws, repo, BackupOptions(regions=[REGION], data=frozenset({"sqs"}), change_feed=False))
    assert result.errors == [], result.errors
    return result.snapshot_id


def test_a_throttled_queue_read_is_retried(
    aws: Aws, repo: Repository, proxy: FaultyProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    own, _ = _estate(aws)
    proxy.rules.append(Rule("POST", "^/", times=2, status=400, body=THROTTLED,
                            headers="X-Amz-Target: AmazonSQS.GetQueueAttributes"))
    snap = _backup(through(proxy, own, monkeypatch), repo)
    assert proxy.rules[0].hits == 2
    assert sorted(r.name for r in data_section(repo, snap).resources) == ["jobs", "jobs-dlq"]


def test_queues_are_restored_dead_letter_queue_first_with_the_redrive_policy_mapped(
    aws: Aws, repo: Repository
) -> None:
    own, account = _estate(aws)
    snap = _backup(own, repo)
    section = data_section(repo, snap)
    jobs = next(r for r in section.resources if r.name == "jobs")
    assert jobs.config["tags"] == {"team": "batch"} and jobs.config["attributes"]["VisibilityTimeout"] == "120"
    target = "il-central-1"
    restored = run_restore(own, repo, repo.load_snapshot(snap), RestoreOptions(data=True, to_region=target),
                           dry_run=False)
    assert restored.failed == []
    assert [(c.target, c.action) for c in restored.changes if c.kind == "data:sqs"] == [
        (f"sqs queue jobs-dlq ({target})", "create"), (f"sqs queue jobs ({target})", "create")]
    sqs = own.client("sqs", target)
    url = sqs.get_queue_url(QueueName="jobs")["QueueUrl"]
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert json.loads(attrs["RedrivePolicy"])["deadLetterTargetArn"] == f"arn:aws:sqs:{target}:{account}:jobs-dlq"
    assert attrs["VisibilityTimeout"] == "120" and sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"team": "batch"}
    (mapping,) = own.client("lambda", target).list_event_source_mappings(FunctionName="worker")["EventSourceMappings"]
    assert mapping["EventSourceArn"] == attrs["QueueArn"]
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "30"})
    again = run_restore(own, repo, repo.load_snapshot(snap), RestoreOptions(data=True, to_region=target),
                        dry_run=True)
    assert [(c.target, c.action, c.fields) for c in again.changes if c.kind == "data:sqs"] == [
        (f"sqs queue jobs-dlq ({target})", "unchanged", []),
        (f"sqs queue jobs ({target})", "update", ["VisibilityTimeout"])]


def test_dead_letter_messages_are_read_without_being_consumed_and_restored(aws: Aws, repo: Repository) -> None:
    own, _ = _estate(aws)
    sqs = own.client("sqs", REGION)
    dlq = sqs.get_queue_url(QueueName="jobs-dlq")["QueueUrl"]
    for i in range(23):
        sqs.send_message(QueueUrl=dlq, MessageBody=f"failed job {i}",
                         MessageAttributes={"reason": {"DataType": "String", "StringValue": f"r{i % 3}"},
                                            "blob": {"DataType": "Binary", "BinaryValue": bytes([i])}})
    result = run_backup(own, repo, BackupOptions(regions=[REGION], data=frozenset({"sqs", "sqs-dlq"}),
                                                 change_feed=False))
    assert result.errors == []
    held = {r.name: r for r in data_section(repo, result.snapshot_id).resources}
    assert (held["jobs-dlq"].items, held["jobs"].items) == (23, 0)  # the consumed queue's messages are not read
    visible = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]
    assert visible["ApproximateNumberOfMessages"] == "23"  # all visible again: nothing consumed
    target = "il-central-1"
    options = RestoreOptions(data=True, to_region=target)
    restored = run_restore(own, repo, repo.load_snapshot(result.snapshot_id), options, dry_run=False)
    assert [c for c in restored.failed if c.kind.startswith("data")] == []
    tsqs = own.client("sqs", target)
    url = tsqs.get_queue_url(QueueName="jobs-dlq")["QueueUrl"]
    got: dict[str, dict[str, object]] = {}
    while batch := tsqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=60,
                                        MessageAttributeNames=["All"]).get("Messages", []):
        got |= {m["Body"]: m["MessageAttributes"] for m in batch}
    assert sorted(got) == sorted(f"failed job {i}" for i in range(23))
    assert got["failed job 4"]["blob"]["BinaryValue"] == bytes([4])  # type: ignore[index]
    again = run_restore(own, repo, repo.load_snapshot(result.snapshot_id), options, dry_run=True)
    assert {c.action for c in again.changes if c.kind == "data:sqs"} == {"unchanged"}
    tsqs.send_message(QueueUrl=url, MessageBody="theirs")
    refused = run_restore(own, repo, repo.load_snapshot(result.snapshot_id), options, dry_run=True)
    (failed,) = [c for c in refused.failed if c.kind == "data:sqs"]
    assert "the queue holds 24 messages: pass --data-mode merge" in failed.detail
