"""After a run: metrics (CloudWatch, EMF, Prometheus), notifications (SNS into an SQS queue, a webhook
on a local HTTP server), and deliveries that fail, which are warnings and never change the outcome."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from lambda_ark.automation import run_due
from lambda_ark.automation.notify import DeliveryError, post
from lambda_ark.aws import Aws

from .conftest import REGION, Setup, job_name, member, role_of


def policy_text(setup: Setup, name: str, accounts: list[str], extra: str = "", top: str = "") -> str:
    listed = ", ".join(f'{{role_arn: "{role_of(a)}"}}' for a in accounts)
    return f"""
repositories: {{primary: {setup.repo()}}}
accounts: [{listed}]
metrics: {{region: {REGION}}}
{top}
jobs:
  {name}:
    schedule: rate(1 hour)
    select: {{regions: [{REGION}], names: ["orders-*"]}}
{extra}"""


def metric(aws: Aws, name: str, job: str, account: str, region: str = "all", stat: str = "Maximum") -> list[float]:
    now = datetime.now(UTC)
    dims = [{"Name": "Job", "Value": job}, {"Name": "Account", "Value": account}, {"Name": "Region", "Value": region}]
    got = aws.client("cloudwatch", REGION).get_metric_data(
        MetricDataQueries=[{"Id": "m", "MetricStat": {"Metric": {"Namespace": "LambdaArk", "MetricName": name,
                                                                  "Dimensions": dims}, "Period": 60,
                                                       "Stat": stat}}],
        StartTime=now - timedelta(minutes=10), EndTime=now + timedelta(minutes=10))
    return [float(v) for v in got["MetricDataResults"][0]["Values"]]


def test_metrics_are_visible_through_get_metric_data(setup: Setup) -> None:
    good, name = member(setup.aws), job_name()
    bad = member(setup.aws, functions=()).id
    ctx = setup.context(setup.policy(policy_text(setup, name, [good.id, f"{bad}"]).replace(
        role_of(bad), f"arn:aws:iam::{bad}:role/nope")), metrics=["cloudwatch"])
    report = run_due(ctx)
    assert report.exit_code == 3 and report.warnings == []
    assert metric(setup.aws, "FunctionsProtected", name, good.id) == [2.0]
    assert metric(setup.aws, "FunctionsCaptured", name, good.id) == [2.0]
    assert metric(setup.aws, "FunctionsProtected", name, good.id, REGION) == [2.0]
    assert metric(setup.aws, "Failures", name, good.id) == [0.0]
    assert metric(setup.aws, "SnapshotAgeSeconds", name, good.id) == [0.0]
    assert metric(setup.aws, "DeletedFunctions", name, good.id) == [0.0]
    assert metric(setup.aws, "BytesAdded", name, good.id)[0] > 0
    assert metric(setup.aws, "Failures", name, bad) == [1.0]
    assert metric(setup.aws, "FunctionsProtected", name, bad) == []  # nothing protected, nothing claimed

    good.aws.client("lambda", REGION).delete_function(FunctionName="orders-2")
    setup.clock.advance(hours=1)
    run_due(ctx)
    assert max(metric(setup.aws, "DeletedFunctions", name, good.id)) == 1.0
    assert max(metric(setup.aws, "DeletedFunctions", name, good.id, REGION)) == 1.0
    assert min(metric(setup.aws, "FunctionsProtected", name, good.id, stat="Minimum")) == 1.0


def test_emf_lines_and_a_prometheus_textfile(setup: Setup) -> None:
    a, name, other = member(setup.aws), job_name(), job_name()
    prom = setup.tmp / "metrics" / "ark.prom"
    (prom.parent).mkdir()
    prom.write_text(f'# TYPE lambda_ark_failures gauge\nlambda_ark_failures{{account="1",ark_job="{other}",'
                    'region="all"} 1.0\n')
    ctx = setup.context(setup.policy(policy_text(setup, name, [a.id])), metrics=["emf", f"prometheus={prom}"])
    assert run_due(ctx).warnings == []
    lines = [json.loads(line) for line in setup.emf.getvalue().splitlines()]
    total = next(x for x in lines if x["Region"] == "all")
    assert total["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "LambdaArk"
    assert (total["Job"], total["Account"], total["FunctionsProtected"], total["Failures"]) == (name, a.id, 2, 0)
    assert {x["Region"] for x in lines} == {"all", REGION}
    text = prom.read_text()
    assert f'lambda_ark_functions_protected{{account="{a.id}",ark_job="{name}",region="all"}} 2.0' in text
    assert f'lambda_ark_failures{{account="1",ark_job="{other}",region="all"}} 1.0' in text  # kept
    assert "lambda_ark_last_run_timestamp_seconds" in text


def test_an_sns_notification_arrives_in_a_subscribed_queue(setup: Setup) -> None:
    a, name = member(setup.aws), job_name()
    sns, sqs = setup.aws.client("sns", REGION), setup.aws.client("sqs", REGION)
    topic = sns.create_topic(Name=name)["TopicArn"]
    queue = sqs.create_queue(QueueName=name)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    ctx = setup.context(setup.policy(policy_text(setup, name, [a.id], f"    notify: [sns:{topic}]")))
    assert run_due(ctx).warnings == []
    received = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
    assert len(received) == 1
    envelope = json.loads(received[0]["Body"])
    assert envelope["Subject"] == f"lambda-ark: job {name} ok: 2 functions in 1 accounts"
    body = json.loads(envelope["Message"])
    assert (body["job"], body["status"], body["failures"]) == (name, "ok", [])
    assert [(x["account"], x["functions"]) for x in body["accounts"]] == [(a.id, 2)]


def test_a_webhook_is_retried_on_5xx_and_not_on_4xx(setup: Setup, hook: Any) -> None:
    a, name = member(setup.aws), job_name()
    flaky, refusing = hook(503, 500), hook(404)
    text = policy_text(setup, name, [a.id], f"    notify: [{flaky.url}, {refusing.url}]")
    report = run_due(setup.context(setup.policy(text)))
    assert report.exit_code == 0  # a notification never fails a good backup
    assert len(flaky.bodies) == 3 and flaky.bodies[-1]["status"] == "ok" and setup.sleeps == [1.0, 2.0]
    assert len(refusing.bodies) == 1
    assert report.warnings == [f"notification to {refusing.url}: not delivered: HTTP 404 Not Found "
                               "(a 4xx is not retried)"]


def test_a_webhook_that_never_recovers(hook: Any) -> None:
    down = hook(500, 500, 500, 500)
    sleeps: list[float] = []
    with pytest.raises(DeliveryError, match="HTTP 500 Internal Server Error after 4 attempts"):
        post(down.url, {"a": 1}, sleeps.append)
    assert sleeps == [1.0, 2.0, 4.0]
    with pytest.raises(DeliveryError, match="after 2 attempts"):
        post("http://127.0.0.1:9/unreachable", {}, sleeps.append, attempts=2)


def test_undeliverable_metrics_and_notifications_are_warnings_that_hide_nothing(setup: Setup, hook: Any) -> None:
    good, name = member(setup.aws), job_name()
    (setup.tmp / "file").write_text("")
    missing_topic = f"arn:aws:sns:{REGION}:{setup.aws.account_id()}:{name}-missing"
    text = policy_text(setup, name, [good.id, "999999999999"], f"    notify: [sns:{missing_topic}]").replace(
        role_of("999999999999"), "arn:aws:iam::999999999999:role/nope")
    report = run_due(setup.context(setup.policy(text), metrics=[f"prometheus={setup.tmp / 'file' / 'x.prom'}"]))
    assert report.exit_code == 3  # the failed account still shows
    assert any(w.startswith("metrics (prometheus): not delivered") for w in report.warnings), report.warnings
    assert any(w.startswith(f"notification to sns:{missing_topic}: not delivered") and "NotFound" in w
               for w in report.warnings), report.warnings


def test_notify_on_failure_stays_quiet_when_all_is_well(setup: Setup, hook: Any) -> None:
    a, name = member(setup.aws), job_name()
    quiet = hook()
    text = policy_text(setup, name, [a.id], f"    notify: [{quiet.url}]\n    notify_on: failure")
    assert run_due(setup.context(setup.policy(text))).exit_code == 0
    assert quiet.bodies == []


def test_a_job_that_cannot_run_at_all_is_told(setup: Setup, hook: Any) -> None:
    name, listener = job_name(), hook()
    text = f"repositories: {{primary: {setup.tmp / 'gone'}}}\njobs:\n  {name}: {{schedule: rate(1 hour), " \
           f"notify: [{listener.url}], notify_on: failure}}\n"
    report = run_due(setup.context(setup.policy(text)))
    assert report.exit_code == 1 and [j.action for j in report.jobs] == ["error"]
    (body,) = listener.bodies
    assert body["status"] == "failed" and body["errors"][0].startswith(f"no repository at {setup.tmp / 'gone'}")
