"""A policy job's run is one audit event in its primary repository, failed runs included."""

from __future__ import annotations

from lambda_ark.audit import events, verify
from lambda_ark.automation import run_due

from .conftest import Setup, job_name, member
from .test_run import one_account_policy


def test_policy_runs_are_logged(setup: Setup) -> None:
    acct, name = member(setup.aws), job_name()
    ctx = setup.context(setup.policy(one_account_policy(setup, name, acct.id)))
    assert run_due(ctx).exit_code == 0
    bad = setup.context(setup.policy(one_account_policy(setup, name, "999999999999")))  # cannot be assumed
    setup.clock.advance(hours=1)
    assert run_due(bad).exit_code == 1
    found, warnings = events(setup.open())
    assert not warnings and [(e.command, e.outcome) for e in found] == [("policy run", "ok"), ("policy run", "error")]
    ok, failed = found
    assert ok.scope["job"] == name and ok.scope["trigger"] == "schedule" and len(ok.snapshots) == 1
    assert ok.counts["accounts"] == 1 and ok.counts["failures"] == 0 and ok.principal
    assert failed.snapshots == [] and failed.counts["failures"] == 1
    assert verify(setup.open()).ok


def test_scheduled_drills_are_logged(setup: Setup) -> None:
    from .test_drill_jobs import DRILL_REGION, drill_policy, python_member

    acct, name = python_member(setup, {"orders-a": "return event"}), job_name()
    ctx = setup.context(setup.policy(drill_policy(setup, name, acct.id,
                                                  f'{{schedule: "rate(1 day)", to_region: {DRILL_REGION}}}')))
    assert run_due(ctx).exit_code == 0
    found, _ = events(setup.open())
    assert [(e.command, e.outcome) for e in found] == [("policy run", "ok"), ("policy drill", "ok")]
    drill = found[1]
    assert drill.snapshots == found[0].snapshots and drill.counts["passed"] == 1 and drill.counts["rto_ms"] >= 0
