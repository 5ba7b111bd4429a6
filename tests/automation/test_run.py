"""`run` against the embedded endpoint with a fake clock: due / not due, one catch-up, no overlap, a
run that died, accounts that cannot be assumed, organizations, retention and copies."""

from __future__ import annotations

from datetime import timedelta

import pytest
from tests.accounts import ACCESS_ROLE

from lambda_ark.automation import load_state, run_due
from lambda_ark.automation.run import ERROR, NOT_DUE, RAN, RUNNING
from lambda_ark.automation.state import Claim, job_lock, save_state
from lambda_ark.errors import UsageError
from lambda_ark.model import BackupBody

from .conftest import REGION, Setup, job_name, member, role_of, snapshots_of


def one_account_policy(setup: Setup, name: str, account: str, extra: str = "", schedule: str = "rate(1 hour)") -> str:
    return f"""
repositories: {{primary: {setup.repo()}}}
accounts: [{{role_arn: "{role_of(account)}"}}]
jobs:
  {name}:
    schedule: "{schedule}"
    select: {{regions: [{REGION}], names: ["orders-*"]}}
{extra}"""


def test_a_new_job_runs_at_once_then_once_per_slot(setup: Setup) -> None:
    acct, name = member(setup.aws), job_name()
    ctx = setup.context(setup.policy(one_account_policy(setup, name, acct.id)))

    first = run_due(ctx)
    assert [(j.job, j.action) for j in first.jobs] == [(name, RAN)] and first.exit_code == 0
    run = first.jobs[0].run
    assert run is not None and run.status == "ok" and run.slot == setup.clock.now.replace(minute=0)
    snaps = snapshots_of(setup.open(), name)
    assert len(snaps) == 1
    body = BackupBody.model_validate(setup.open().load_snapshot(snaps[0].id).body)
    assert sorted(r.name for r in body.functions) == ["orders-1", "orders-2"]
    assert {r.account for r in body.functions} == {acct.id}

    setup.clock.advance(minutes=29)  # 12:59: the 12:00 slot is taken
    again = run_due(ctx)
    assert [(j.action, j.next) for j in again.jobs] == [(NOT_DUE, run.slot + timedelta(hours=1))]
    assert len(snapshots_of(setup.open(), name)) == 1

    setup.clock.advance(minutes=1)  # 13:00
    assert [j.action for j in run_due(ctx).jobs] == [RAN]
    assert len(snapshots_of(setup.open(), name)) == 2
    state, _ = load_state(setup.open(), name)
    assert state.last_slot == setup.clock.now and state.running is None and state.last_run is not None
    assert state.accounts[acct.id].last_good == setup.clock.now and state.accounts[acct.id].snapshot


def test_after_downtime_one_missed_slot_is_caught_up_once(setup: Setup) -> None:
    acct, name = member(setup.aws), job_name()
    ctx = setup.context(setup.policy(one_account_policy(setup, name, acct.id)))
    assert [j.action for j in run_due(ctx).jobs] == [RAN]
    setup.clock.advance(hours=5)  # four slots came and went while nothing ran; the fifth is now
    caught_up = run_due(ctx)
    run = caught_up.jobs[0].run
    assert run is not None and run.slot == setup.clock.now.replace(minute=0)
    assert any("4 slots missed" in w and "running once" in w for w in run.warnings), run.warnings
    assert [j.action for j in run_due(ctx).jobs] == [NOT_DUE]
    assert len(snapshots_of(setup.open(), name)) == 2


def test_a_job_never_overlaps_itself(setup: Setup) -> None:
    acct, busy, other = member(setup.aws), job_name("busy"), job_name("other")
    text = one_account_policy(setup, busy, acct.id) + f"""
  {other}:
    schedule: rate(1 hour)
    select: {{regions: [{REGION}], names: ["misc"]}}
"""
    ctx = setup.context(setup.policy(text))
    with job_lock(setup.open(), busy):  # another process is running it
        report = run_due(ctx)
        by_job = {j.job: j for j in report.jobs}
        assert by_job[busy].action == RUNNING and "is already running" in by_job[busy].message
        assert by_job[other].action == RAN  # other jobs are not held up
        assert report.exit_code == 0
        named = run_due(ctx, busy)  # asked for by name: refused, loudly
        assert [j.action for j in named.jobs] == [ERROR]
        assert named.jobs[0].message.startswith(f"job {busy} is already running (run by pid ")
        assert named.exit_code == 1
    assert snapshots_of(setup.open(), busy) == []
    assert [j.action for j in run_due(ctx).jobs if j.job == busy] == [RAN]  # its slot was never claimed


def test_another_runner_finds_the_slot_taken(setup: Setup) -> None:
    acct, name = member(setup.aws), job_name()
    loaded = setup.policy(one_account_policy(setup, name, acct.id))
    assert [j.action for j in run_due(setup.context(loaded)).jobs] == [RAN]
    elsewhere = setup.context(loaded)  # another host: its own repository handle, same clock
    assert [j.action for j in run_due(elsewhere).jobs] == [NOT_DUE]


def test_a_run_that_died_is_named_and_its_slot_stays_claimed(setup: Setup) -> None:
    acct, name = member(setup.aws), job_name()
    ctx = setup.context(setup.policy(one_account_policy(setup, name, acct.id)))
    repo = setup.open()
    slot = setup.clock.now.replace(minute=0)
    state, _ = load_state(repo, name)
    state.last_slot, state.running = slot, Claim(slot=slot, started=slot, host="gone", pid=1)
    save_state(repo, state)  # killed after claiming its slot
    assert [j.action for j in run_due(ctx).jobs] == [NOT_DUE]
    setup.clock.advance(hours=1)
    run = run_due(ctx).jobs[0].run
    assert run is not None and any("did not finish" in w and "on gone (pid 1)" in w for w in run.warnings)


def test_a_manual_run_claims_the_current_slot(setup: Setup) -> None:
    acct, name = member(setup.aws), job_name()
    ctx = setup.context(setup.policy(one_account_policy(setup, name, acct.id, schedule="cron(0 3 * * ? *)")))
    manual = run_due(ctx, name)
    assert manual.jobs[0].run is not None and manual.jobs[0].run.trigger == "manual"
    assert [j.action for j in run_due(ctx).jobs] == [NOT_DUE]
    with pytest.raises(UsageError, match="no job 'nope'"):
        run_due(ctx, "nope")


def test_an_account_that_cannot_be_assumed_fails_alone(setup: Setup) -> None:
    good, name = member(setup.aws), job_name()
    bad = member(setup.aws).id
    text = f"""
repositories: {{primary: {setup.repo()}}}
accounts:
  - role_arn: "{role_of(good)}"
  - role_arn: "arn:aws:iam::{bad}:role/not-there"
jobs:
  {name}: {{schedule: rate(1 hour), select: {{regions: [{REGION}]}}}}
"""
    report = run_due(setup.context(setup.policy(text)))
    run = report.jobs[0].run
    assert run is not None and report.exit_code == 3
    by_account = {a.account: a for a in run.accounts}
    assert by_account[good.id].status == "ok" and by_account[good.id].result.functions == 3  # type: ignore[union-attr]
    assert by_account[bad].status == "failed" and "AccessDenied" in by_account[bad].error
    assert f"cannot assume arn:aws:iam::{bad}:role/not-there" in by_account[bad].error
    assert len(snapshots_of(setup.open(), name)) == 1


def test_every_active_account_of_an_organization(setup: Setup) -> None:
    from tests.embedded.test_sts_organizations import standalone
    from tests.kinds.ownaccount import create_function

    management = standalone(setup.aws)
    org = management.client("organizations")
    org.create_organization(FeatureSet="ALL")
    ids = [org.create_account(AccountName=f"m{i}", Email=f"m{i}-{job_name()}@example.com")
           ["CreateAccountStatus"]["AccountId"] for i in range(4)]
    for account in ids:
        member_aws = management.assume(role_of(account))
        member_aws.client("iam").create_role(RoleName="fn", AssumeRolePolicyDocument="{}")
        create_function(member_aws, REGION, "orders-1")
    excluded, closed, broken, kept = ids
    org.close_account(AccountId=closed)
    management.assume(role_of(broken)).client("iam").delete_role(RoleName=ACCESS_ROLE)
    name = job_name()
    text = f"""
repositories: {{primary: {setup.repo()}}}
accounts: [{{organization: {{role_name: {ACCESS_ROLE}, exclude: ["{excluded}", "{management.account_id()}"]}}}}]
jobs:
  {name}: {{schedule: rate(1 hour), select: {{regions: [{REGION}]}}}}
"""
    report = run_due(setup.context(setup.policy(text), aws=management))
    run = report.jobs[0].run
    assert run is not None and report.exit_code == 3
    assert {a.account: a.status for a in run.accounts} == {broken: "failed", kept: "ok"}


def test_an_organization_that_cannot_be_listed_is_the_job_s_error(setup: Setup) -> None:
    acct, name = member(setup.aws), job_name()
    text = f"""
repositories: {{primary: {setup.repo()}}}
accounts:
  - organization: {{role_name: {ACCESS_ROLE}}}
  - current: true
jobs:
  {name}: {{schedule: rate(1 hour), select: {{regions: [{REGION}]}}}}
"""
    # The member account runs this policy: ListAccounts is for the management account only.
    report = run_due(setup.context(setup.policy(text), aws=acct.aws))
    run = report.jobs[0].run
    assert run is not None and [a.status for a in run.accounts] == ["ok"]
    assert run.errors and "organization: cannot list its accounts" in run.errors[0]
    assert "AccessDeniedException" in run.errors[0] and report.exit_code == 3


def test_retention_per_account_and_copies(setup: Setup) -> None:
    a, b, name = member(setup.aws), member(setup.aws), job_name()
    copy_url = setup.repo("copy")
    text = f"""
repositories: {{primary: {setup.repo()}, copies: [{copy_url}]}}
accounts: [{{role_arn: "{role_of(a)}"}}, {{role_arn: "{role_of(b)}"}}]
jobs:
  {name}:
    schedule: rate(1 hour)
    select: {{regions: [{REGION}]}}
    retention: {{keep_last: 2}}
"""
    ctx = setup.context(setup.policy(text))
    runs = []
    for _ in range(3):
        runs.append(run_due(ctx).jobs[0].run)
        setup.clock.advance(hours=1)
    assert [r.status for r in runs if r] == ["ok"] * 3
    assert [r.forgotten for r in runs if r] == [0, 0, 2]  # each account keeps its own two
    kept = snapshots_of(setup.open(), name)
    assert len(kept) == 4 and sorted(s.summary["scope"] for s in kept).count(kept[0].summary["scope"]) == 2
    copied = snapshots_of(setup.open("copy"), name)
    assert sorted(s.original for s in copied) == sorted(s.id for s in kept)
    assert runs[0] is not None and runs[0].copied == {copy_url: 2}


def test_a_copy_that_fails_is_the_job_s_error_after_the_backups(setup: Setup) -> None:
    acct, name = member(setup.aws), job_name()
    text = one_account_policy(setup, name, acct.id).replace(
        "repositories: {", f"repositories: {{copies: [{setup.tmp / 'no-repo-here'}], ")
    report = run_due(setup.context(setup.policy(text)))
    run = report.jobs[0].run
    assert run is not None and [a.status for a in run.accounts] == ["ok"]
    assert run.status == "partial" and report.exit_code == 3
    assert run.errors and run.errors[0].startswith(f"copy to {setup.tmp / 'no-repo-here'}: no repository")
