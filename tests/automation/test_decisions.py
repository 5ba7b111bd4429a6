"""The pure decisions of automation, table-tested: which slot is due, the exit code of a run, alarm
windows and plans, what a retry reads again, what a notification says."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from lambda_ark.automation.alarms import AlarmSpec, plan_alarms, rpo_window
from lambda_ark.automation.errors_queue import Received, failure_messages, retry_scope
from lambda_ark.automation.job import AccountRun, JobRun
from lambda_ark.automation.notify import message
from lambda_ark.automation.run import ERROR, NOT_DUE, RAN, RUNNING, JobOutcome, RunReport
from lambda_ark.automation.state import due_slot
from lambda_ark.backup import BackupResult


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(("schedule", "now", "last", "due"), [
    ("rate(1 hour)", "2025-03-10 12:30", None, "2025-03-10 12:00"),  # a new job runs at once
    ("rate(1 hour)", "2025-03-10 12:30", "2025-03-10 12:00", None),  # this slot is taken
    ("rate(1 hour)", "2025-03-10 12:59", "2025-03-10 12:00", None),
    ("rate(1 hour)", "2025-03-10 13:00", "2025-03-10 12:00", "2025-03-10 13:00"),  # on the minute
    ("rate(1 hour)", "2025-03-10 17:10", "2025-03-10 12:00", "2025-03-10 17:00"),  # downtime: the newest only
    ("cron(0 3 * * ? *)", "2025-03-10 02:59", "2025-03-09 03:00", None),
    ("cron(0 3 * * ? *)", "2025-03-10 14:00", "2025-03-08 03:00", "2025-03-10 03:00"),
    ("cron(0 0 1 1 ? 2030)", "2025-03-10 12:00", None, None),  # no slot yet
    ("rate(1 hour)", "2025-03-10 12:30", "2025-03-10 13:00", None),  # a claim from a clock ahead of ours
])
def test_due_slot(schedule: str, now: str, last: str | None, due: str | None) -> None:
    assert due_slot(schedule, at(now), at(last) if last else None) == (at(due) if due else None)


def run_with(*statuses: str, errors: tuple[str, ...] = ()) -> JobRun:
    run = JobRun(job="j", trigger="schedule", slot=None, started=at("2025-03-10 12:00"), errors=list(errors))
    for i, status in enumerate(statuses):
        result = None if status == "failed" else BackupResult(snapshot_id=f"s{i}", functions=2)
        run.accounts.append(AccountRun(account=f"{i:012d}", via="x", status=status, result=result))
    return run


@pytest.mark.parametrize(("outcomes", "errors", "code"), [
    ([], [], 0),
    ([JobOutcome("a", NOT_DUE)], [], 0),
    ([JobOutcome("a", RUNNING)], [], 0),  # overlap refused: the other run reports for itself
    ([JobOutcome("a", RAN, run_with("ok", "ok"))], [], 0),
    ([JobOutcome("a", RAN, run_with("ok", "failed"))], [], 3),  # one account not assumable
    ([JobOutcome("a", RAN, run_with("ok", "partial"))], [], 3),
    ([JobOutcome("a", RAN, run_with("anomaly"))], [], 3),
    ([JobOutcome("a", RAN, run_with("ok", errors=("copy to s3://x: denied",)))], [], 3),
    ([JobOutcome("a", RAN, run_with("failed", "failed"))], [], 1),  # nothing written
    ([JobOutcome("a", RAN, run_with("failed")), JobOutcome("b", RAN, run_with("ok"))], [], 3),
    ([JobOutcome("a", ERROR, message="repository locked")], [], 1),
    ([JobOutcome("a", ERROR), JobOutcome("b", RAN, run_with("ok"))], [], 3),
    ([JobOutcome("a", RAN, run_with("ok"))], ["job x: not in the policy"], 3),
])
def test_exit_code(outcomes: list[JobOutcome], errors: list[str], code: int) -> None:
    assert RunReport(jobs=outcomes, errors=errors).exit_code == code


@pytest.mark.parametrize(("rpo", "window"), [
    (30, (60, 1)), (7200, (7200, 1)), (7230, (7260, 1)), (86400, (86400, 1)),
    (2 * 86400, (86400, 2)), (30 * 86400, (86400, 7)),  # CloudWatch looks back seven days at most
])
def test_rpo_window(rpo: int, window: tuple[int, int]) -> None:
    assert rpo_window(rpo) == window


SPEC = AlarmSpec("lambda-ark/j/1/failed", "d", "Failures", (("Job", "j"), ("Account", "1"), ("Region", "all")),
                 0, 300, 1, "notBreaching", ("arn:aws:sns:eu-west-1:111111111111:t",))


def test_alarm_plans() -> None:
    live = SPEC.request() | {"Threshold": 0.0, "StateValue": "OK", "AlarmArn": "arn:…",
                             "Dimensions": list(reversed(SPEC.request()["Dimensions"]))}
    live.pop("DatapointsToAlarm")  # not every answer carries it: then it equals EvaluationPeriods
    assert [(c.action, c.name) for c in plan_alarms([SPEC], {})] == [("create", SPEC.name)]
    assert [c.action for c in plan_alarms([SPEC], {SPEC.name: live})] == ["unchanged"]
    changed = live | {"Period": 60, "AlarmActions": []}
    assert [(c.action, c.detail) for c in plan_alarms([SPEC], {SPEC.name: changed})] == [
        ("update", "Period, AlarmActions")]
    stale = plan_alarms([], {"lambda-ark/old/1/failed": live})
    assert [(c.action, c.name) for c in stale] == [("stale", "lambda-ark/old/1/failed")]


def test_retry_scope_merges_messages_per_job_and_account() -> None:
    got = retry_scope([
        Received("r1", "j", "111111111111", ["111111111111/eu-west-1/a", "111111111111/eu-west-1"]),
        Received("r2", "j", "111111111111", ["111111111111/us-east-1/b"]),
        Received("r3", "j", "222222222222", ["222222222222"]),
        Received("r4", "k", "111111111111", []),
    ])
    assert got == {"j": {"111111111111": {"111111111111/eu-west-1/a", "111111111111/us-east-1/b"},
                         "222222222222": set()},
                   "k": {"111111111111": set()}}


def test_failure_messages_name_what_to_retry() -> None:
    run = run_with("ok", "failed", "partial")
    run.accounts[2].result.failed = ["000000000002/eu-west-1/orders"]  # type: ignore[union-attr]
    run.accounts[1].error = "account 000000000001: cannot assume …: AccessDenied"
    got = [(m["account"], m["failed"], m["errors"]) for m in failure_messages(run)]
    assert got == [("000000000001", ["000000000001"], ["account 000000000001: cannot assume …: AccessDenied"]),
                   ("000000000002", ["000000000002/eu-west-1/orders"], [])]


def test_notification_subjects() -> None:
    assert message(run_with("ok", "ok"))[0] == "lambda-ark: job j ok: 4 functions in 2 accounts"
    subject, body = message(run_with("ok", "failed"))
    assert subject == "lambda-ark: job j PARTIAL: 1 of 2 accounts"
    assert body["status"] == "partial" and [f["account"] for f in body["failures"]] == ["000000000001"]
    assert message(run_with("failed"))[0] == "lambda-ark: job j FAILED: 1 of 1 accounts"
    assert len(message(run_with(*["failed"] * 3, errors=("x" * 200,)))[0]) <= 100


def test_metric_targets_on_the_command_line() -> None:
    from lambda_ark.cli.automation_common import metric_targets
    from lambda_ark.errors import UsageError

    assert metric_targets(None) is None and metric_targets([]) is None
    assert metric_targets(["emf", "prometheus=/x.prom"]) == ["emf", "prometheus=/x.prom"]
    for bad in ("statsd", "prometheus="):
        with pytest.raises(UsageError, match=f"--metrics '{bad}': expected cloudwatch, emf, prometheus=FILE or none"):
            metric_targets([bad])
