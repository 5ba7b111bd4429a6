"""Incremental backups see what RevisionId does not show, through CloudTrail; without CloudTrail they
fall back to fingerprints and the periodic re-read, and say so.

Each test has an account of its own. CloudTrail stamps events to the second, so a test waits a
second after building its estate: changes made before a backup's second are behind it for certain.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from tests.faulty_proxy import FaultyProxy, Rule

from lambda_ark import embedded
from lambda_ark.aws import Aws, connect
from lambda_ark.backup import BackupOptions, run_backup
from lambda_ark.change_feed import from_cloudtrail
from lambda_ark.repository import Repository

from .conftest import PASSWORD
from .isolated import Account, make_functions, own_account

REGION = "eu-north-1"
LOOKUP = r"X-Amz-Target: [\w.]*CloudTrail_20131101\.LookupEvents"


@pytest.fixture
def acct(aws: Aws) -> Account:
    acct = own_account(aws)
    make_functions(acct.aws, REGION, ["orders", "billing"])
    lam = acct.aws.client("lambda", REGION)
    lam.publish_version(FunctionName="orders")
    lam.update_function_configuration(FunctionName="orders", Description="second")
    lam.get_waiter("function_updated_v2").wait(FunctionName="orders")
    lam.publish_version(FunctionName="orders")
    lam.create_alias(FunctionName="orders", Name="live", FunctionVersion="1")
    time.sleep(1.1)
    return acct


@pytest.fixture
def repo(tmp_path: Path, aws: Aws) -> Repository:
    return Repository.init(str(tmp_path / "repo"), password=PASSWORD, aws=aws)


def _items(repo: Repository, name: str) -> dict[str, Any]:
    (record,) = [r for r in repo.load_snapshot("latest").body["functions"] if r["name"] == name]
    return dict(record["items"])


def _change_everything_revision_id_does_not_show(acct: Account) -> None:
    lam = acct.aws.client("lambda", REGION)
    arn = lam.get_function(FunctionName="orders")["Configuration"]["FunctionArn"]
    lam.update_alias(FunctionName="orders", Name="live", FunctionVersion="2")
    lam.tag_resource(Resource=arn, Tags={"team": "payments"})
    lam.put_function_concurrency(FunctionName="orders", ReservedConcurrentExecutions=5)
    lam.put_function_event_invoke_config(FunctionName="orders", MaximumRetryAttempts=1)
    lam.add_permission(FunctionName="orders", StatementId="sns", Action="lambda:InvokeFunction",
                       Principal="sns.amazonaws.com")
    lam.create_function_url_config(FunctionName="orders", AuthType="AWS_IAM")


def test_an_incremental_backup_reads_what_the_fingerprint_cannot_see(acct: Account, repo: Repository) -> None:
    first = run_backup(acct.aws, repo, BackupOptions(regions=[REGION]))
    assert first.ok and first.change_feed == "none"  # the first snapshot reads everything
    lam = acct.aws.client("lambda", REGION)
    fingerprint = lam.get_function(FunctionName="orders")["Configuration"]["RevisionId"]
    lam.tag_resource(Resource=lam.get_function(FunctionName="billing")["Configuration"]["FunctionArn"],
                     Tags={"quiet": "yes"})
    assert lam.get_function(FunctionName="orders")["Configuration"]["RevisionId"] == fingerprint
    _change_everything_revision_id_does_not_show(acct)
    before = dict(acct.aws.calls)

    second = run_backup(acct.aws, repo, BackupOptions(regions=[REGION]))
    assert second.ok, second.errors
    assert second.change_feed == "cloudtrail" and (second.captured, second.unchanged) == (2, 0)
    items = _items(repo, "orders")
    assert items["aliases"][0]["function_version"] == "2"
    assert items["function"]["tags"] == {"team": "payments"}
    assert items["concurrency"]["reserved"] == 5
    assert items["invoke_config"][""]["MaximumRetryAttempts"] == 1
    assert [s["Sid"] for s in items["policy"][""]] == ["sns"]
    assert items["url"][""]["AuthType"] == "AWS_IAM"
    assert [v["version"] for v in items["versions"]] == ["1", "2"]
    assert _items(repo, "billing")["function"]["tags"] == {"quiet": "yes"}
    # billing's tag asked for its function kind only: nothing else of it was read
    calls = {k: v - before.get(k, 0) for k, v in acct.aws.calls.items() if v != before.get(k, 0)}
    assert calls["lambda.GetFunction"] == 2 and calls["lambda.ListAliases"] == 1
    assert "s3.ListBuckets" not in calls and "sns.ListSubscriptions" not in calls  # no trigger changed
    summary = repo.load_snapshot("latest").summary
    # CloudTrail may show an event up to --feed-delay late: coverage moves on only past that
    assert summary["change_feed"] == "cloudtrail" and summary["covered"] == repo.snapshots()[0].summary["covered"]
    assert {r["event"] for r in second.rpo} >= {"UpdateAlias20150331", "TagResource20170331v2",
                                                "PutFunctionConcurrency20171031", "AddPermission20150331v2"}
    assert all(0 <= r["rpo_seconds"] < 120 for r in second.rpo)
    assert summary["rpo"] == second.rpo and summary["rpo_max_seconds"] == max(r["rpo_seconds"] for r in second.rpo)
    third = run_backup(acct.aws, repo, BackupOptions(regions=[REGION], feed_delay=timedelta(0)))
    assert third.captured == 2  # the same window again: nothing lost to a late event
    assert repo.load_snapshot("latest").summary["covered"] > summary["covered"]


def test_nothing_changed_costs_no_function_read_and_no_trigger_listing(acct: Account, repo: Repository) -> None:
    run_backup(acct.aws, repo, BackupOptions(regions=[REGION]))
    before = dict(acct.aws.calls)
    again = run_backup(acct.aws, repo, BackupOptions(regions=[REGION]))
    assert (again.captured, again.unchanged, again.change_feed) == (0, 2, "cloudtrail")
    calls = {k for k, v in acct.aws.calls.items() if v != before.get(k, 0)}
    assert {c for c in calls if c.startswith(("lambda.", "cloudtrail."))} == {"lambda.ListFunctions",
                                                                           "cloudtrail.LookupEvents"}
    # the triggers whose events the feed maps are not listed again (the others are, every run)
    assert not any(c.startswith(("s3.", "sns.", "events.", "apigateway", "scheduler.", "cloudfront.")) for c in calls)


def test_a_trigger_change_lists_that_service_again(acct: Account, repo: Repository) -> None:
    run_backup(acct.aws, repo, BackupOptions(regions=[REGION]))
    sns = acct.aws.client("sns", REGION)
    topic = sns.create_topic(Name="orders-events")["TopicArn"]
    arn = acct.aws.client("lambda", REGION).get_function(FunctionName="orders")["Configuration"]["FunctionArn"]
    sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=arn)
    before = dict(acct.aws.calls)
    again = run_backup(acct.aws, repo, BackupOptions(regions=[REGION]))
    assert again.captured == 0  # no function-scoped kind changed
    assert [s["topic_arn"] for s in _items(repo, "orders")["sns"]] == [topic]
    assert acct.aws.calls["sns.ListSubscriptions"] == before["sns.ListSubscriptions"] + 1
    assert acct.aws.calls["events.ListRules"] == before["events.ListRules"]  # nothing else listed
    assert [r["change"] for r in again.rpo] == [f"sns in {REGION}"]


@pytest.fixture
def proxy(endpoint: embedded.Endpoint) -> Iterator[FaultyProxy]:
    p = FaultyProxy(upstream=endpoint.url)
    p.start()
    yield p
    p.stop()


def _through(proxy: FaultyProxy, acct: Account) -> Aws:
    via = connect(endpoint_url=f"http://127.0.0.1:{proxy._server.server_address[1]}")
    via.session = acct.aws.session
    return via


@pytest.mark.parametrize(
    ("status", "body", "why"),
    [
        (400, b'{"__type": "AccessDeniedException", "message": "not authorized to perform cloudtrail:LookupEvents"}',
         "not permitted: grant cloudtrail:LookupEvents"),
        (501, b'{"__type": "NotImplemented", "message": "LookupEvents is not available"}',
         "not offered by this endpoint"),
    ],
)
def test_without_cloudtrail_the_backup_falls_back_and_says_so(
    acct: Account, repo: Repository, proxy: FaultyProxy, monkeypatch: pytest.MonkeyPatch,
    status: int, body: bytes, why: str,
) -> None:
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")
    run_backup(acct.aws, repo, BackupOptions(regions=[REGION]))
    acct.aws.client("lambda", REGION).update_alias(FunctionName="orders", Name="live", Description="moved")
    proxy.rules.append(Rule("POST", r"^/$", times=-1, status=status, body=body, headers=LOOKUP))
    via = _through(proxy, acct)
    result = run_backup(via, repo, BackupOptions(regions=[REGION]))
    assert proxy.rules[0].hits >= 1
    assert result.ok and result.change_feed == "none"  # a warning, not an error: the backup is what it was
    (warning,) = [w for w in result.warnings if w.startswith("change feed:")]
    assert why in warning and "re-read periodically" in warning
    assert repo.load_snapshot("latest").summary["change_feed"] == "none"
    # today's behaviour: the alias-only change is not seen until the periodic re-read ...
    assert _items(repo, "orders")["aliases"][0]["description"] == ""
    assert via.calls["s3.ListBuckets"] == 1  # ... and every trigger listing is read again
    # ... and once CloudTrail answers again, the next run catches up from the last coverage
    proxy.rules.clear()
    caught_up = run_backup(via, repo, BackupOptions(regions=[REGION]))
    assert caught_up.change_feed == "cloudtrail"
    assert _items(repo, "orders")["aliases"][0]["description"] == "moved"


def test_a_run_that_writes_nothing_does_not_move_the_coverage(
    acct: Account, repo: Repository, proxy: FaultyProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    run_backup(acct.aws, repo, BackupOptions(regions=[REGION]))
    acct.aws.client("lambda", REGION).put_function_concurrency(FunctionName="billing",
                                                               ReservedConcurrentExecutions=2)
    proxy.rules.append(Rule("GET", r"^/2015-03-31/functions/?(\?|$)", times=-1, status=500,
                            body=b'{"__type": "ServiceException", "message": "boom"}'))
    with pytest.raises(Exception, match="every region failed"):
        run_backup(_through(proxy, acct), repo, BackupOptions(regions=[REGION]))
    later = run_backup(acct.aws, repo, BackupOptions(regions=[REGION]))
    assert _items(repo, "billing")["concurrency"]["reserved"] == 2 and later.change_feed == "cloudtrail"


def test_no_change_feed_asked_for(acct: Account, repo: Repository) -> None:
    run_backup(acct.aws, repo, BackupOptions(regions=[REGION]))
    result = run_backup(acct.aws, repo, BackupOptions(regions=[REGION], change_feed=False))
    assert result.change_feed == "none" and acct.aws.calls["cloudtrail.LookupEvents"] == 0
    assert any("--no-change-feed" in w for w in result.warnings)


def test_a_window_beyond_cloudtrails_90_days_is_no_feed(aws: Aws) -> None:
    now = datetime.now(UTC)
    feed = from_cloudtrail(aws, [REGION], now - timedelta(days=91), now, include_iam=False)
    assert (feed.source, feed.complete) == ("none", False) and "90 days" in feed.reason


def test_backup_json_reports_the_feed_and_rpo(acct: Account, tmp_path: Path, endpoint: embedded.Endpoint) -> None:
    from .conftest import run_cli

    repo_path = str(tmp_path / "cli-repo")
    env = acct.env
    assert run_cli("init", "--repo", repo_path, endpoint=endpoint.url, **env).returncode == 0
    assert run_cli("backup", "--repo", repo_path, "--regions", REGION, endpoint=endpoint.url, **env).returncode == 0
    acct.aws.client("lambda", REGION).put_function_recursion_config(FunctionName="orders", RecursiveLoop="Allow")
    done = run_cli("backup", "--repo", repo_path, "--regions", REGION, "--json", "--api-share", "40%",
                   endpoint=endpoint.url, **env)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["change_feed"] == "cloudtrail" and out["captured"] == 1
    (rpo,) = out["rpo"]
    assert rpo["event"] == "PutFunctionRecursionConfig20240831" and rpo["change"] == f"recursion of orders in {REGION}"
    assert rpo["rpo_seconds"] >= 0


def test_a_long_window_is_asked_per_event_source(acct: Account) -> None:
    acct.aws.client("lambda", REGION).put_function_concurrency(FunctionName="billing", ReservedConcurrentExecutions=1)
    now = datetime.now(UTC)
    before = acct.aws.calls["cloudtrail.LookupEvents"]
    short = from_cloudtrail(acct.aws, [REGION], now - timedelta(minutes=30), now, include_iam=False)
    assert acct.aws.calls["cloudtrail.LookupEvents"] - before == 1  # every write event, one listing
    long = from_cloudtrail(acct.aws, [REGION], now - timedelta(hours=2), now, include_iam=False)
    assert acct.aws.calls["cloudtrail.LookupEvents"] - before == 1 + 6  # one per regional event source
    assert {(c.kind, c.function) for c in short.changes} == {(c.kind, c.function) for c in long.changes}
    assert ("concurrency", "billing") in {(c.kind, c.function) for c in long.changes}
