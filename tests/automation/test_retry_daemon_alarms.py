"""The errors queue and `retry --from-queue`; the daemon on a fake clock; alarms planned and applied."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

from lambda_ark.automation import Daemon, apply_alarms, load_state, retry_from_queue, run_due
from lambda_ark.automation.run import RAN
from lambda_ark.automation.state import job_lock, save_state
from lambda_ark.policy import PolicyError

from .conftest import REGION, Setup, job_name, member, role_of, snapshots_of


def queue(setup: Setup, name: str) -> str:
    """A queue in the session's region: the endpoint's queue URLs name no region (AWS's do)."""
    return str(setup.aws.client("sqs").create_queue(QueueName=name)["QueueUrl"])


def test_failed_accounts_are_queued_and_retried_exactly(setup: Setup) -> None:
    good, late, name = member(setup.aws), member(setup.aws), job_name()
    url = queue(setup, name)
    missing = f"arn:aws:iam::{late.id}:role/ark-reader"  # not created yet: the account cannot be assumed
    text = f"""
repositories: {{primary: {setup.repo()}}}
accounts: [{{role_arn: "{role_of(good)}"}}, {{role_arn: "{missing}"}}]
errors_queue: {url}
jobs:
  {name}: {{schedule: rate(1 hour), select: {{regions: [{REGION}]}}}}
"""
    ctx = setup.context(setup.policy(text))
    assert run_due(ctx).exit_code == 3
    sqs = setup.aws.client("sqs")
    queued = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0)["Messages"]
    assert [(m["job"], m["account"], m["failed"]) for m in (json.loads(q["Body"]) for q in queued)] == [
        (name, late.id, [late.id])]

    late.aws.client("iam").create_role(RoleName="ark-reader", AssumeRolePolicyDocument=json.dumps({
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": setup.aws.account_id()}, "Action": "sts:AssumeRole"}]}))
    before = len(snapshots_of(setup.open(), name))
    report = retry_from_queue(ctx, url)
    assert (report.received, report.deleted, report.exit_code) == (1, 1, 0)
    run = report.jobs[0].run
    assert run is not None and run.trigger == "retry" and [a.account for a in run.accounts] == [late.id]
    assert len(snapshots_of(setup.open(), name)) == before + 1  # the retried account only
    assert sqs.receive_message(QueueUrl=url, VisibilityTimeout=0).get("Messages", []) == []
    state, _ = load_state(setup.open(), name)
    assert state.accounts[late.id].last_good is not None


def test_a_retry_that_cannot_start_leaves_its_messages(setup: Setup) -> None:
    name = job_name()
    url = queue(setup, name)
    sqs = setup.aws.client("sqs")
    for doc in ({"source": "lambda-ark", "version": 1, "job": name, "account": "111111111111", "failed": []},
                {"source": "lambda-ark", "version": 1, "job": "gone", "account": "111111111111", "failed": []},
                {"something": "else"}):
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps(doc))
    text = f"repositories: {{primary: {setup.repo()}}}\njobs:\n  {name}: {{schedule: rate(1 hour)}}\n"
    ctx = setup.context(setup.policy(text))
    with job_lock(setup.open(), name):
        report = retry_from_queue(ctx, url)
    assert (report.received, report.deleted) == (2, 0)
    assert any("is already running" in w and "stay in the queue" in w for w in report.warnings), report.warnings
    assert any("left in the queue" in w for w in report.warnings)
    assert report.errors == [f"job gone: not in {ctx.loaded.file}; its 1 queued items stay in the queue"]
    assert report.exit_code == 1


def test_the_daemon_runs_each_slot_on_its_clock_and_stops(setup: Setup) -> None:
    acct, name = member(setup.aws), job_name()
    text = f"""
repositories: {{primary: {setup.repo()}}}
accounts: [{{role_arn: "{role_of(acct)}"}}]
jobs:
  {name}: {{schedule: rate(1 hour), select: {{regions: [{REGION}], names: ["orders-*"]}}}}
"""
    ctx = setup.context(setup.policy(text))
    repo = setup.open()
    state, _ = load_state(repo, name)
    state.last_slot = setup.clock.now.replace(minute=0) - timedelta(hours=6)
    save_state(repo, state)  # the host was down for six hours
    started = setup.clock.now
    waits: list[float] = []
    rounds: list[list[str]] = []
    stop = threading.Event()

    def wait(seconds: float) -> bool:
        waits.append(seconds)
        setup.clock.advance(seconds=seconds)
        if len(waits) == 3:
            stop.set()  # SIGTERM arrives during the third sleep
        return stop.is_set()

    daemon = Daemon(ctx, stop=stop, wait=wait, on_round=lambda r: rounds.append([j.action for j in r.jobs]))
    daemon.run()
    assert rounds == [[RAN], [RAN], [RAN]]  # the catch-up at start, then one run per slot
    assert waits == [1800.0, 3600.0, 3600.0]
    assert len(snapshots_of(setup.open(), name)) == 3
    final, _ = load_state(setup.open(), name)
    assert final.last_slot == started.replace(minute=0) + timedelta(hours=2)


def test_the_daemon_keeps_the_last_good_policy_and_outlives_a_bad_round(setup: Setup) -> None:
    name = job_name()
    ctx = setup.context(setup.policy(f"repositories: {{primary: {setup.tmp / 'missing'}}}\n"
                                     f"jobs:\n  {name}: {{schedule: rate(1 hour)}}\n"))
    errors: list[str] = []
    stop = threading.Event()

    def reload() -> None:
        raise PolicyError([])

    def wait(seconds: float) -> bool:
        stop.set()
        return True

    reports: list[object] = []
    Daemon(ctx, reload=reload, on_error=errors.append, stop=stop, wait=wait,  # type: ignore[arg-type]
           on_round=reports.append).run()
    assert len(errors) == 1 and errors[0].startswith("policy not reloaded, the previous one stays in force")
    (report,) = reports
    assert [(j.action, j.message.split(" (")[0]) for j in report.jobs] == [  # type: ignore[attr-defined]
        ("error", f"no repository at {setup.tmp / 'missing'}")]

    def broken(report: object) -> None:
        raise RuntimeError("disk full")

    stop.clear()
    errors.clear()
    Daemon(ctx, on_error=errors.append, stop=stop, wait=wait, on_round=broken).run()
    assert errors == ["round failed: unexpected RuntimeError: disk full; trying again in 0:01:00"]


def test_alarms_are_planned_applied_and_idempotent(setup: Setup) -> None:
    a, b, name = member(setup.aws, functions=()), member(setup.aws, functions=()), job_name()
    topic = setup.aws.client("sns", REGION).create_topic(Name=name)["TopicArn"]
    text = f"""
repositories: {{primary: {setup.repo()}}}
accounts: [{{role_arn: "{role_of(a)}"}}, {{role_arn: "{role_of(b)}"}}]
metrics: {{region: {REGION}}}
jobs:
  {name}: {{schedule: rate(1 hour), rpo: 2h, notify: ["sns:{topic}"], alarm_deleted_functions: 3}}
"""
    policy = setup.policy(text).policy
    cw = setup.aws.client("cloudwatch", REGION)

    def ours() -> dict[str, dict[str, object]]:
        alarms = cw.describe_alarms(AlarmNamePrefix=f"lambda-ark/{name}/")["MetricAlarms"]
        return {x["AlarmName"]: x for x in alarms}

    planned = apply_alarms(setup.aws, policy, dry_run=True)
    assert planned.counts() == {"create": 6} and ours() == {}
    applied = apply_alarms(setup.aws, policy)
    assert applied.counts() == {"create": 6} and applied.errors == []
    live = ours()
    rpo = live[f"lambda-ark/{name}/{a.id}/rpo"]
    assert (rpo["MetricName"], rpo["Threshold"], rpo["Period"], rpo["TreatMissingData"]) == (
        "SnapshotAgeSeconds", 7200.0, 7200, "breaching")
    assert rpo["AlarmActions"] == [topic] and rpo["OKActions"] == [topic]
    deleted = live[f"lambda-ark/{name}/{b.id}/deleted"]
    assert (deleted["MetricName"], deleted["Threshold"]) == ("DeletedFunctions", 3.0)
    assert {d["Name"]: d["Value"] for d in deleted["Dimensions"]} == {"Job": name, "Account": b.id, "Region": "all"}
    assert apply_alarms(setup.aws, policy).counts() == {"unchanged": 6}

    cw.put_metric_alarm(**{**_request(live[f"lambda-ark/{name}/{a.id}/failed"]), "Threshold": 5.0})
    again = apply_alarms(setup.aws, policy)
    assert again.counts() == {"unchanged": 5, "update": 1}
    assert [c.detail for c in again.changes if c.action == "update"] == ["Threshold"]


def _request(alarm: dict[str, object]) -> dict[str, object]:
    keys = ("AlarmName", "AlarmDescription", "Namespace", "MetricName", "Dimensions", "Statistic", "Period",
            "EvaluationPeriods", "Threshold", "ComparisonOperator", "TreatMissingData", "AlarmActions", "OKActions")
    return {k: alarm[k] for k in keys if k in alarm}
