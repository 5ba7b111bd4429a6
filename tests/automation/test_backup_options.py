"""The backup options automation added: `kinds` (a job's include), `recapture` (a retry's functions)
and `BackupResult.failed` (what a retry needs to know)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.accounts import own_account
from tests.faulty_proxy import FaultyProxy, Rule
from tests.kinds.ownaccount import create_function

from lambda_ark import embedded
from lambda_ark.aws import Aws
from lambda_ark.backup import BackupOptions, run_backup, scope_key
from lambda_ark.kinds.common import stable_hash
from lambda_ark.repository import Repository

REGION = "eu-west-1"


@pytest.fixture
def proxy(endpoint: embedded.Endpoint, monkeypatch: pytest.MonkeyPatch) -> Iterator[FaultyProxy]:
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")
    p = FaultyProxy(upstream=endpoint.url)
    p.start()
    yield p
    p.stop()


def test_scope_keys_of_runs_without_kinds_are_as_they_always_were() -> None:
    options = BackupOptions(functions=["a*"], tags={"t": "1"})
    old = stable_hash({"account": "1", "regions": ["eu-west-1"], "functions": ["a*"], "tags": {"t": "1"},
                       "shard": None})[:16]
    assert scope_key("1", ["eu-west-1"], options) == old
    narrow = BackupOptions(functions=["a*"], tags={"t": "1"}, kinds=frozenset({"aliases"}))
    assert scope_key("1", ["eu-west-1"], narrow) != old  # its own series


def test_kinds_narrow_what_is_recorded_and_the_function_always_is(aws: Aws, tmp_path: Path) -> None:
    acct = own_account(aws)
    create_function(acct.aws, REGION, "narrow")
    acct.aws.client("lambda", REGION).create_alias(FunctionName="narrow", Name="live", FunctionVersion="$LATEST")
    repo = Repository.init(str(tmp_path / "r"), password="pw", aws=aws)
    result = run_backup(acct.aws, repo, BackupOptions(regions=[REGION], kinds=frozenset({"aliases"})))
    assert result.ok
    (record,) = repo.load_snapshot(result.snapshot_id).body["functions"]
    assert set(record["items"]) == {"function", "aliases"}
    # A later run that records more never carries an unchanged function's kinds from the narrow one.
    full = run_backup(acct.aws, repo, BackupOptions(regions=[REGION]))
    assert (full.captured, full.unchanged) == (1, 0)
    (record,) = repo.load_snapshot(full.snapshot_id).body["functions"]
    assert {"function", "aliases", "recursion", "runtime_management"} <= set(record["items"])
    again = run_backup(acct.aws, repo, BackupOptions(regions=[REGION], kinds=frozenset({"aliases"})))
    assert (again.captured, again.unchanged) == (0, 1)  # narrow after full: carried from its own series


def test_failed_names_what_failed_and_recapture_reads_it_again(aws: Aws, tmp_path: Path, proxy: FaultyProxy) -> None:
    acct = own_account(aws)
    for name in ("steady", "flaky"):
        create_function(acct.aws, REGION, name)
    through = Aws(session=acct.aws.session, endpoint_url=f"http://127.0.0.1:{proxy._server.server_address[1]}")
    repo = Repository.init(str(tmp_path / "r"), password="pw", aws=aws)
    assert run_backup(through, repo, BackupOptions(regions=[REGION])).ok

    denied = b'{"__type": "AccessDeniedException", "message": "not authorized: lambda:ListFunctionUrlConfigs"}'
    proxy.rules.append(Rule("GET", r"^/2021-10-31/functions/flaky/urls", times=-1, status=403, body=denied))
    full = run_backup(through, repo, BackupOptions(regions=[REGION], full=True))
    assert full.failed == [f"{acct.id}/{REGION}/flaky"] and full.errors

    proxy.rules.clear()
    before = len([s for s in proxy.seen if "/functions/flaky/urls" in s])
    plain = run_backup(through, repo, BackupOptions(regions=[REGION]))
    assert (plain.captured, plain.failed) == (0, [])  # unchanged fingerprints: nothing read again
    assert len([s for s in proxy.seen if "/functions/flaky/urls" in s]) == before
    retried = run_backup(through, repo, BackupOptions(regions=[REGION], recapture=frozenset(full.failed)))
    assert (retried.captured, retried.unchanged, retried.failed) == (1, 1, [])
    assert len([s for s in proxy.seen if "/functions/flaky/urls" in s]) == before + 1


def test_a_region_that_cannot_be_listed_is_named_as_a_region(aws: Aws, tmp_path: Path, proxy: FaultyProxy) -> None:
    acct = own_account(aws)
    create_function(acct.aws, REGION, "here")
    through = Aws(session=acct.aws.session, endpoint_url=f"http://127.0.0.1:{proxy._server.server_address[1]}")
    repo = Repository.init(str(tmp_path / "r"), password="pw", aws=aws)
    denied = b'{"__type": "AccessDeniedException", "message": "not authorized"}'
    # Only eu-west-2's listing is refused (its requests are signed for eu-west-2).
    proxy.rules.append(Rule("GET", r"^/2015-03-31/functions/?(\?|$)", times=-1, status=403, body=denied,
                            headers=r"Credential=[^,]*/eu-west-2/lambda/"))
    result = run_backup(through, repo, BackupOptions(regions=[REGION, "eu-west-2"]))
    assert result.failed == [f"{acct.id}/eu-west-2"] and result.functions == 1
