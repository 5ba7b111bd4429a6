"""Watch mode on the embedded endpoint: CloudTrail -> EventBridge -> SQS -> a snapshot of exactly what
changed. Messages that are not this account's CloudTrail events go to the dead-letter queue."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from tests.faulty_proxy import FaultyProxy, Rule

from lambda_ark import embedded, watch
from lambda_ark.aws import Aws, connect
from lambda_ark.backup import BackupOptions, BackupResult, run_backup
from lambda_ark.repository import Repository
from lambda_ark.watch import WatchOptions, run_watch
from lambda_ark.watch_channel import ensure, teardown

from .conftest import PASSWORD, run_cli
from .isolated import Account, make_functions, own_account

REGION = "ap-northeast-3"


@pytest.fixture
def acct(aws: Aws) -> Account:
    acct = own_account(aws)
    make_functions(acct.aws, REGION, ["orders", "billing"])
    time.sleep(1.1)  # CloudTrail stamps events to the second: the baseline comes a second later
    return acct


def _queue_size(acct: Account, region: str, dlq: bool = False) -> int:
    sqs = acct.aws.client("sqs", region)
    url = sqs.get_queue_url(QueueName="lambda-ark-changes" + ("-dlq" if dlq else ""))["QueueUrl"]
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages",
                                                                    "ApproximateNumberOfMessagesNotVisible"])
    return sum(int(v) for v in attrs["Attributes"].values())


def test_watch_once_captures_a_change_made_seconds_earlier_and_nothing_else(
    acct: Account, tmp_path: Path, endpoint: embedded.Endpoint
) -> None:
    repo = str(tmp_path / "repo")
    env = acct.env
    assert run_cli("init", "--repo", repo, endpoint=endpoint.url, **env).returncode == 0
    assert run_cli("backup", "--repo", repo, "--regions", REGION, endpoint=endpoint.url, **env).returncode == 0
    idle = run_cli("watch", "--repo", repo, "--regions", REGION, "--once", endpoint=endpoint.url, **env)
    assert idle.returncode == 0, idle.stderr
    assert idle.stdout.strip() == "no changes pending"  # the rule and queues now exist, nothing in them

    acct.aws.client("lambda", REGION).put_function_concurrency(FunctionName="orders", ReservedConcurrentExecutions=4)
    done = run_cli("watch", "--repo", repo, "--regions", REGION, "--once", "--json", endpoint=endpoint.url, **env)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    (snap,) = out["snapshots"]
    assert snap["change_feed"] == "events" and (snap["captured"], snap["unchanged"]) == (1, 1)
    (rpo,) = snap["rpo"]
    assert rpo["event"] == "PutFunctionConcurrency20171031" and rpo["change"] == f"concurrency of orders in {REGION}"
    assert 0 <= rpo["rpo_seconds"] < 60
    assert out["dead_lettered"] == 0 and out["errors"] == []
    calls = out["aws_calls"]
    assert calls.get("lambda.GetFunction", 0) == 0  # only the concurrency of one function was read
    assert calls["lambda.GetFunctionConcurrency"] == 1
    assert not any(c.startswith(("s3.", "sns.", "apigateway", "scheduler.")) for c in calls)
    snapshot = Repository.open(repo, password=PASSWORD).load_snapshot("latest")
    orders = next(r for r in snapshot.body["functions"] if r["name"] == "orders")
    assert orders["items"]["concurrency"]["reserved"] == 4
    assert snapshot.summary["rpo"] == snap["rpo"]
    assert _queue_size(acct, REGION) == 0  # consumed once the snapshot was committed
    again = run_cli("watch", "--repo", repo, "--regions", REGION, "--once", endpoint=endpoint.url, **env)
    assert again.stdout.strip() == "no changes pending"


def _put(acct: Account, body: str) -> None:
    sqs = acct.aws.client("sqs", REGION)
    sqs.send_message(QueueUrl=sqs.get_queue_url(QueueName="lambda-ark-changes")["QueueUrl"], MessageBody=body)


def _envelope(acct: Account, detail: dict[str, Any], **extra: Any) -> str:
    return json.dumps({"version": "0", "id": "x", "detail-type": "AWS API Call via CloudTrail", "source": "aws.lambda",
                       "account": acct.id, "time": "2026-01-01T00:00:00Z", "region": REGION, "resources": [],
                       "detail": detail, **extra})


def test_foreign_and_malformed_messages_go_to_the_dead_letter_queue(acct: Account, tmp_path: Path) -> None:
    repo = Repository.init(str(tmp_path / "repo"), password=PASSWORD, aws=acct.aws)
    options = BackupOptions(regions=[REGION])
    run_backup(acct.aws, repo, options)
    ensure(acct.aws, [REGION])
    _put(acct, "this is not JSON")
    _put(acct, json.dumps({"detail-type": "Scheduled Event", "source": "aws.events", "account": acct.id,
                           "detail": {}}))
    _put(acct, _envelope(acct, {"eventName": "AddPermission20150331v2"}, account="999999999999"))
    _put(acct, _envelope(acct, {"eventSource": "lambda.amazonaws.com", "eventName": "CreateAlias20150331"}))
    acct.aws.client("lambda", REGION).add_permission(FunctionName="billing", StatementId="s3",
                                                     Action="lambda:InvokeFunction", Principal="s3.amazonaws.com")
    warned: list[str] = []
    result = run_watch(acct.aws, repo, WatchOptions(backup=options, once=True), on_warning=warned.append)
    assert result.dead_lettered == 4 and len(warned) == 4 and warned == result.warnings
    assert all("moved to lambda-ark-changes-dlq" in w for w in warned)
    assert any("not JSON" in w for w in warned) and any("999999999999" in w for w in warned)
    (snap,) = result.snapshots
    assert snap.captured == 1 and [r["event"] for r in snap.rpo] == ["AddPermission20150331v2"]
    assert (_queue_size(acct, REGION), _queue_size(acct, REGION, dlq=True)) == (0, 4)
    sqs = acct.aws.client("sqs", REGION)
    dlq = sqs.get_queue_url(QueueName="lambda-ark-changes-dlq")["QueueUrl"]
    got = sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10, MessageAttributeNames=["All"])["Messages"]
    assert all(m["MessageAttributes"]["lambda-ark-reason"]["StringValue"] for m in got)


def test_a_snapshot_that_fails_leaves_its_changes_queued(
    acct: Account, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = Repository.init(str(tmp_path / "repo"), password=PASSWORD, aws=acct.aws)
    options = BackupOptions(regions=[REGION])
    run_backup(acct.aws, repo, options)
    ensure(acct.aws, [REGION])
    acct.aws.client("lambda", REGION).put_function_event_invoke_config(FunctionName="orders", MaximumRetryAttempts=0)
    monkeypatch.setattr(watch, "RETRY_AFTER", 0)

    def broken(*args: Any, **kwargs: Any) -> BackupResult:
        raise OSError("disk full")

    monkeypatch.setattr(watch, "run_backup", broken)
    failed = run_watch(acct.aws, repo, WatchOptions(backup=options, once=True))
    assert failed.snapshots == [] and not failed.ok
    (error,) = failed.errors
    assert error.startswith("no snapshot written:") and "disk full" in error and "stay queued" in error
    assert _queue_size(acct, REGION) >= 1  # the change (and the watch's own rule updates) still queued
    monkeypatch.setattr(watch, "run_backup", run_backup)
    done = run_watch(acct.aws, repo, WatchOptions(backup=options, once=True))
    (snap,) = done.snapshots
    assert [r["event"] for r in snap.rpo] == ["PutFunctionEventInvokeConfig20190925"]
    assert _queue_size(acct, REGION) == 0


def test_a_burst_of_changes_becomes_one_snapshot_after_the_debounce(acct: Account, tmp_path: Path) -> None:
    repo = Repository.init(str(tmp_path / "repo"), password=PASSWORD, aws=acct.aws)
    options = BackupOptions(regions=[REGION])
    run_backup(acct.aws, repo, options)
    ensure(acct.aws, [REGION])
    stop = threading.Event()
    snapshots: list[BackupResult] = []

    def on_snapshot(result: BackupResult) -> None:
        snapshots.append(result)
        stop.set()

    loop = threading.Thread(target=run_watch, args=(acct.aws, repo, WatchOptions(backup=options, debounce=1.5)),
                            kwargs={"stop": stop, "on_snapshot": on_snapshot}, daemon=True)
    loop.start()
    lam = acct.aws.client("lambda", REGION)
    lam.put_function_recursion_config(FunctionName="orders", RecursiveLoop="Allow")
    time.sleep(0.5)
    lam.put_function_recursion_config(FunctionName="billing", RecursiveLoop="Allow")
    loop.join(timeout=60)
    assert not loop.is_alive()
    (snap,) = snapshots
    assert snap.captured == 2 and len(snap.rpo) == 2
    records = {r["name"]: r["items"] for r in repo.load_snapshot("latest").body["functions"]}
    assert records["orders"]["recursion"] == records["billing"]["recursion"] == {"RecursiveLoop": "Allow"}


def test_teardown_removes_the_rules_and_queues(acct: Account) -> None:
    ensure(acct.aws, [REGION])
    removed = teardown(acct.aws, [REGION])
    assert sorted(removed) == sorted(
        f"{what} in {region}" for region in (REGION, "us-east-1")
        for what in ("rule lambda-ark-changes", "queue lambda-ark-changes", "queue lambda-ark-changes-dlq"))
    assert acct.aws.client("events", REGION).list_rules(NamePrefix="lambda-ark")["Rules"] == []
    assert teardown(acct.aws, [REGION]) == []


def test_watch_teardown_from_the_command_line(acct: Account, endpoint: embedded.Endpoint) -> None:
    ensure(acct.aws, [REGION])
    done = run_cli("watch", "--repo", "/nonexistent", "--regions", REGION, "--teardown", "--json",
                   endpoint=endpoint.url, **acct.env)
    assert done.returncode == 0, done.stderr
    assert len(json.loads(done.stdout)["removed"]) == 6


def test_a_queue_that_cannot_be_read_is_an_error_not_a_crash(
    acct: Account, tmp_path: Path, endpoint: embedded.Endpoint, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    repo = Repository.init(str(tmp_path / "repo"), password=PASSWORD, aws=acct.aws)
    run_backup(acct.aws, repo, BackupOptions(regions=[REGION]))
    proxy = FaultyProxy(upstream=endpoint.url)
    proxy.start()
    try:
        proxy.rules.append(Rule("POST", r"^/", times=-1, status=503, headers=r"X-Amz-Target: AmazonSQS\.ReceiveMessage",
                                body=b'{"__type": "ServiceUnavailable", "message": "try later"}'))
        via = connect(endpoint_url=f"http://127.0.0.1:{proxy._server.server_address[1]}")
        via.session = acct.aws.session
        result = run_watch(via, repo, WatchOptions(backup=BackupOptions(regions=[REGION]), once=True))
    finally:
        proxy.stop()
    assert proxy.rules[0].hits >= 1
    assert result.snapshots == [] and not result.ok
    (error,) = result.errors
    assert error.startswith("receiving changes: ") and "ServiceUnavailable" in error
