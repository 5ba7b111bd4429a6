"""A job's scheduled drill (`drill:` in the policy), run by `run` after the job's backup: its own
slots and state, the newest good snapshot per account, metrics, notifications, and the failures a
user must hear of (a function that no longer runs, nothing to drill yet, a missing test event)."""

from __future__ import annotations

import json
import sys
from typing import Any

import pytest

from lambda_ark.automation import load_state, run_due
from lambda_ark.automation.drills import drill_key
from lambda_ark.automation.run import ERROR, NOT_DUE, RAN
from lambda_ark.drill import drill_records
from lambda_ark.errors import UsageError
from lambda_ark.policy import PolicyError

from .conftest import REGION, Setup, create_function, job_name, member, role_of

PY = f"python{sys.version_info.major}.{sys.version_info.minor}"  # a runtime the endpoint can run here
DRILL_REGION = "eu-central-1"


def python_member(setup: Setup, bodies: dict[str, str]) -> Any:
    """An account whose functions run on this machine (the endpoint runs Python handlers)."""
    from tests.kinds.ownaccount import package

    acct = member(setup.aws, functions=())
    for name, body in bodies.items():
        create_function(acct.aws, REGION, name, Runtime=PY, Code={"ZipFile": package(body)})
    return acct


def drill_policy(setup: Setup, name: str, account: str, drill: str, extra: str = "") -> str:
    return f"""
repositories: {{primary: {setup.repo()}}}
accounts: [{{role_arn: "{role_of(account)}"}}]
jobs:
  {name}:
    schedule: "rate(1 hour)"
    select: {{regions: [{REGION}], names: ["orders-*"]}}
    drill: {drill}
{extra}"""


def emf_points(setup: Setup) -> dict[str, float]:
    out: dict[str, float] = {}
    for line in setup.emf.getvalue().splitlines():
        doc = json.loads(line)
        out |= {k: v for k, v in doc.items() if k.startswith("Drill")}
    return out


def test_a_due_drill_runs_after_the_backup_and_proves_its_snapshot(setup: Setup, hook: Any) -> None:
    acct, name = python_member(setup, {"orders-a": "return {'ok': event.get('n')}"}), job_name()
    (setup.tmp / "order.json").write_text('{"n": 7}')
    listener = hook()
    drill = f'{{schedule: "rate(1 day)", to_region: {DRILL_REGION}, events: {{"orders-*": order.json}}}}'
    ctx = setup.context(setup.policy(drill_policy(setup, name, acct.id, drill, f"    notify: [{listener.url}]")),
                        metrics=["emf"])

    report = run_due(ctx)
    assert [(j.kind, j.action) for j in report.jobs] == [("backup", RAN), ("drill", RAN)], report.as_dict()
    assert report.exit_code == 0, report.as_dict()
    backup, drilled = report.jobs[0].run, report.jobs[1].drill
    assert backup is not None and drilled is not None and drilled.status == "ok"
    (account,) = drilled.accounts
    assert account.account == acct.id and account.snapshot == backup.accounts[0].snapshot
    assert account.status == "passed" and account.rto_seconds is not None and account.record_id

    records, _ = drill_records(setup.open())
    (rid, rec), = [(i, r) for i, r in records if i == account.record_id]
    assert rec.snapshot == account.snapshot and rec.target["regions"] == [DRILL_REGION]
    assert [(f.status, f.event) for f in rec.functions] == [("passed", "order.json")]
    assert emf_points(setup) == {"DrillFailures": 0.0, "DrillRTOSeconds": account.rto_seconds}
    subjects = [b.get("kind") for b in listener.bodies]
    assert subjects == [None, "drill"]  # the backup's message, then the drill's (notify_on: always)

    setup.clock.advance(hours=1)  # the backup is due again, the daily drill is not
    again = run_due(ctx)
    assert [(j.kind, j.action) for j in again.jobs] == [("backup", RAN), ("drill", NOT_DUE)]
    assert again.jobs[1].next is not None and again.exit_code == 0
    state, _ = load_state(setup.open(), drill_key(name))
    assert state.last_run is not None and state.last_run.status == "ok" and state.running is None


def test_a_drill_that_finds_a_broken_function_fails_the_run_and_tells(setup: Setup, hook: Any) -> None:
    acct = python_member(setup, {"orders-ok": "return event", "orders-bad": "raise RuntimeError('lost its table')"})
    name, listener = job_name(), hook()
    text = drill_policy(setup, name, acct.id, '{schedule: "rate(1 day)"}',
                        f"    notify: [{listener.url}]\n    notify_on: failure")
    report = run_due(setup.context(setup.policy(text), metrics=["emf"]))

    assert report.exit_code == 3, report.as_dict()
    backup, drilled = report.jobs[0].run, report.jobs[1].drill
    assert backup is not None and backup.status == "ok"
    assert drilled is not None and drilled.status == "failed" and drilled.rto_seconds is None
    (account,) = drilled.accounts
    assert account.status == "failed" and "1 of 2 functions did not pass" in account.detail
    assert "orders-bad-drill" in account.detail and "RuntimeError" in account.detail
    (rec,) = [r for i, r in drill_records(setup.open())[0] if i == account.record_id]
    assert sorted((f.target.split()[0], f.status) for f in rec.functions) == [
        ("orders-bad-drill", "failed"), ("orders-ok-drill", "passed")]
    assert emf_points(setup) == {"DrillFailures": 1.0}
    (body,) = listener.bodies  # the backup was fine (notify_on: failure): only the drill speaks
    assert body["kind"] == "drill" and body["status"] == "failed" and body["accounts"][0]["status"] == "failed"
    # the drill cleaned up after itself, also when it failed
    names = [f["FunctionName"] for f in acct.aws.client("lambda", REGION).list_functions()["Functions"]]
    assert sorted(names) == ["orders-bad", "orders-ok"]


def test_nothing_to_drill_yet_is_an_error_not_a_pass(setup: Setup) -> None:
    name = job_name()
    text = drill_policy(setup, name, "123456789012", '{schedule: "rate(1 day)"}')  # an account never reached
    report = run_due(setup.context(setup.policy(text)))
    drilled = report.jobs[1].drill
    assert drilled is not None and drilled.status == "failed" and drilled.accounts == []
    assert drilled.errors == [f"job {name} has no good snapshot to drill yet (run the job first)"]
    assert report.exit_code == 1  # the backup wrote nothing and the drill proved nothing


def test_a_missing_test_event_file_fails_the_drill_with_its_name(setup: Setup) -> None:
    acct, name = python_member(setup, {"orders-a": "return event"}), job_name()
    text = drill_policy(setup, name, acct.id, '{schedule: "rate(1 day)", events: {"orders-*": gone.json}}')
    report = run_due(setup.context(setup.policy(text)))
    drilled = report.jobs[1].drill
    assert drilled is not None and drilled.status == "failed" and report.exit_code == 3
    (error,) = drilled.errors
    assert error.startswith("test events: ") and "gone.json" in error


def test_run_drill_now_runs_only_the_drill(setup: Setup) -> None:
    acct, name = python_member(setup, {"orders-a": "return event"}), job_name()
    ctx = setup.context(setup.policy(drill_policy(setup, name, acct.id, '{schedule: "rate(7 days)"}')))
    assert run_due(ctx, name).exit_code == 0  # a manual backup: the drill is not asked for
    now = run_due(ctx, name, drill=True)
    assert [(j.kind, j.action) for j in now.jobs] == [("drill", RAN)] and now.exit_code == 0
    with pytest.raises(UsageError, match="has no drill"):
        run_due(setup.context(setup.policy(drill_policy(setup, name, acct.id, "null"))), name, drill=True)


def test_a_drill_running_elsewhere_is_not_started_twice(setup: Setup) -> None:
    from lambda_ark.automation.state import job_lock

    acct, name = python_member(setup, {"orders-a": "return event"}), job_name()
    ctx = setup.context(setup.policy(drill_policy(setup, name, acct.id, '{schedule: "rate(1 day)"}')))
    with job_lock(setup.open(), drill_key(name)):
        report = run_due(ctx)
    assert [(j.kind, j.action) for j in report.jobs] == [("backup", RAN), ("drill", "running elsewhere")]
    assert report.exit_code == 0  # the drill's slot is still free: the next run takes it
    assert [j.action for j in run_due(ctx).jobs] == [NOT_DUE, RAN]
    assert ERROR not in [j.action for j in report.jobs]


@pytest.mark.parametrize(("drill", "message"), [
    ('{schedule: "every day"}', "jobs.J.drill.schedule"),
    ('{schedule: "rate(1 day)", to_region: mars-1}', "jobs.J.drill.to_region"),
    ('{schedule: "rate(1 day)", role_arn: "arn:aws:iam::1:role/x"}', "jobs.J.drill.role_arn"),
    ('{schedule: "rate(1 day)", keep: true}', "jobs.J.drill.keep"),
    ("{to_region: eu-west-1}", "jobs.J.drill.schedule"),
])
def test_a_wrong_drill_section_is_refused_where_it_is(setup: Setup, drill: str, message: str) -> None:
    text = drill_policy(setup, "J", "123456789012", drill)
    with pytest.raises(PolicyError) as caught:
        setup.policy(text)
    assert any(message in str(p) for p in caught.value.problems), [str(p) for p in caught.value.problems]


def test_run_drill_without_a_job_is_a_usage_error(setup: Setup) -> None:
    from typer.testing import CliRunner

    from lambda_ark.cli import app

    path = setup.tmp / "lambda-ark.yaml"
    path.write_text(drill_policy(setup, "J", "123456789012", '{schedule: "rate(1 day)"}'))
    result = CliRunner().invoke(app, ["run", "--policy", str(path), "--drill"])
    assert isinstance(result.exception, UsageError) and "--drill needs --job NAME" in str(result.exception)
