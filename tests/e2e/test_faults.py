"""AWS misbehaving: throttles, 5xx, broken or expired code downloads, functions vanishing mid-backup.

The faults come from a proxy in front of the embedded endpoint (tests/faulty_proxy.py), so boto3's
retry logic and lambda-ark's downloader meet them over real HTTP.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from tests.faulty_proxy import FaultyProxy, Rule

from lambda_ark import embedded
from lambda_ark.aws import Aws, connect
from lambda_ark.backup import BackupOptions, run_backup
from lambda_ark.demo import estate
from lambda_ark.errors import AwsError, LambdaArkError
from lambda_ark.repository import Repository

from .conftest import PASSWORD
from .isolated import Account, make_functions, own_account

LIST = r"^/2015-03-31/functions/?(\?|$)"


@pytest.fixture
def proxy(endpoint: embedded.Endpoint) -> Iterator[FaultyProxy]:
    p = FaultyProxy(upstream=endpoint.url)
    p.start()
    yield p
    p.stop()


@pytest.fixture
def via_proxy(proxy: FaultyProxy, monkeypatch: pytest.MonkeyPatch) -> Aws:
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "3")
    return connect(endpoint_url=f"http://127.0.0.1:{proxy._server.server_address[1]}")


def _estate(aws: Aws, region: str, n: int = 3) -> list[str]:
    return estate.build(aws, [region], per_region=n).functions[region]


def test_throttling_is_retried(aws: Aws, via_proxy: Aws, proxy: FaultyProxy, tmp_path) -> None:  # type: ignore[no-untyped-def]
    _estate(aws, "ap-northeast-1")
    proxy.rules.append(Rule("GET", LIST, times=2, status=429))
    repo = Repository.init(str(tmp_path / "r"), password=PASSWORD, aws=aws)
    result = run_backup(via_proxy, repo, BackupOptions(regions=["ap-northeast-1"]))
    assert proxy.rules[0].hits == 2
    assert (result.functions, result.errors) == (3, [])


def test_persistent_5xx_is_a_named_error_and_other_regions_still_back_up(  # type: ignore[no-untyped-def]
    aws: Aws, via_proxy: Aws, proxy: FaultyProxy, tmp_path
) -> None:
    _estate(aws, "ap-northeast-2")
    _estate(aws, "ap-south-1")
    # one function of ap-south-1 always fails with a 5xx (names carry the region: orders-south-00)
    proxy.rules.append(
        Rule(
            "GET",
            r"^/2015-03-31/functions/orders-south-00$",
            times=-1,
            status=500,
            body=b'{"__type": "ServiceException", "message": "internal"}',
        )
    )
    repo = Repository.init(str(tmp_path / "r"), password=PASSWORD, aws=aws)
    run_backup(aws, repo, BackupOptions(regions=["ap-northeast-2", "ap-south-1"]))  # a good one first
    lam = aws.client("lambda", "ap-south-1")
    lam.update_function_configuration(FunctionName="orders-south-00", Timeout=30)  # so it is read again
    lam.get_waiter("function_updated_v2").wait(FunctionName="orders-south-00")
    result = run_backup(via_proxy, repo, BackupOptions(regions=["ap-northeast-2", "ap-south-1"]))
    assert result.partial and len(result.errors) == 1
    assert "orders-south-00" in result.errors[0] and "ServiceException" in result.errors[0]
    assert all("\n" not in e for e in result.errors)
    # everything else is captured, and the failed function keeps its last good capture
    assert result.functions == 6
    latest = repo.load_snapshot("latest")
    assert "partial" in latest.tags
    assert "orders-south-00" in {r["name"] for r in latest.body["functions"] if r["region"] == "ap-south-1"}


def test_truncated_download_is_retried_with_a_fresh_url(aws: Aws, via_proxy: Aws, proxy: FaultyProxy, tmp_path) -> None:  # type: ignore[no-untyped-def]
    _estate(aws, "eu-west-3", n=2)
    proxy.rules.append(Rule("GET", r"^/_ark/", times=1, truncate=True))
    repo = Repository.init(str(tmp_path / "r"), password=PASSWORD, aws=aws)
    result = run_backup(via_proxy, repo, BackupOptions(regions=["eu-west-3"]))
    assert proxy.rules[0].hits == 1
    assert result.errors == [] and result.functions == 2
    snap = repo.load_snapshot("latest")
    for rec in snap.body["functions"]:
        data = repo.read_file(snap.files[rec["items"]["function"]["file"]])
        from lambda_ark.kinds.common import code_sha256

        assert code_sha256(data) == rec["items"]["function"]["code_sha256"]


def test_expired_code_url_is_a_clear_error(aws: Aws, via_proxy: Aws, proxy: FaultyProxy, tmp_path) -> None:  # type: ignore[no-untyped-def]
    _estate(aws, "eu-west-2", n=2)
    proxy.rules.append(Rule("GET", r"^/_ark/", times=-1, status=403, body=b"<Error><Code>AccessDenied</Code></Error>"))
    repo = Repository.init(str(tmp_path / "r"), password=PASSWORD, aws=aws)
    # every function failed: nothing to record, so no snapshot (of nothing) is written
    refused = r"^no snapshot written: .*\(3 errors: function .*HTTP 403.*; and 2 more\)"  # 2 functions, 1 layer
    with pytest.raises(LambdaArkError, match=refused):
        run_backup(via_proxy, repo, BackupOptions(regions=["eu-west-2"]))
    assert repo.snapshots() == []


def test_function_deleted_between_list_and_get_is_a_warning(
    aws: Aws, via_proxy: Aws, proxy: FaultyProxy, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    names = _estate(aws, "us-east-2", n=3)
    victim = names[1]

    def delete() -> None:
        aws.client("lambda", "us-east-2").delete_function(FunctionName=victim)

    proxy.rules.append(Rule("GET", rf"^/2015-03-31/functions/{victim}$", times=1, before=delete))
    repo = Repository.init(str(tmp_path / "r"), password=PASSWORD, aws=aws)
    result = run_backup(via_proxy, repo, BackupOptions(regions=["us-east-2"]))
    assert result.errors == []
    assert any(victim in w and "deleted during backup" in w for w in result.warnings)
    assert {r["name"] for r in repo.load_snapshot("latest").body["functions"]} == set(names) - {victim}


def test_restore_waits_for_a_new_role_to_become_assumable(  # type: ignore[no-untyped-def]
    aws: Aws, via_proxy: Aws, proxy: FaultyProxy, tmp_path
) -> None:
    from lambda_ark.restore.apply import RestoreOptions, run_restore

    names = _estate(aws, "ap-east-1", n=1)
    repo = Repository.init(str(tmp_path / "r"), password=PASSWORD, aws=aws)
    run_backup(aws, repo, BackupOptions(regions=["ap-east-1"]))
    estate.event_sources(aws, "ap-east-2")
    # IAM is eventually consistent: Lambda refuses a role created a moment ago, then accepts it
    refused = (
        b'{"__type": "InvalidParameterValueException",'
        b' "message": "The role defined for the function cannot be assumed by Lambda."}'
    )
    proxy.rules.append(Rule("POST", r"^/2015-03-31/functions/?$", times=1, status=400, body=refused))
    result = run_restore(
        via_proxy, repo, repo.load_snapshot("latest"), RestoreOptions(to_region="ap-east-2"), dry_run=False
    )
    assert proxy.rules[0].hits == 1
    assert result.failed == []
    assert aws.client("lambda", "ap-east-2").get_function(FunctionName=names[0])


def test_a_bug_in_one_kind_costs_one_item_not_the_run(
    aws: Aws,
    tmp_path,
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
) -> None:
    # Not a mock of AWS: a kind that misreads one function's data, as a future AWS change could make it.
    from lambda_ark.kinds import policy, url
    from lambda_ark.restore.apply import RestoreOptions, run_restore

    names = _estate(aws, "me-central-1", n=3)
    real_capture = url.capture

    def capture(ctx, index, fn):  # type: ignore[no-untyped-def]
        if fn["FunctionName"] == names[0]:
            raise KeyError("AuthType")
        return real_capture(ctx, index, fn)

    monkeypatch.setattr(url, "capture", capture)
    repo = Repository.init(str(tmp_path / "r"), password=PASSWORD, aws=aws)
    result = run_backup(aws, repo, BackupOptions(regions=["me-central-1"]))
    # the message names the kind; the function keeps no half capture (it had no previous one)
    # one kind failing for one function costs that kind only: the function and the rest are captured
    assert result.errors == [f"url of {names[0]} in me-central-1: unexpected KeyError: 'AuthType' "
                             "(previous capture of url kept)"]
    assert result.functions == 3 and result.partial

    def plan(ctx, record, data):  # type: ignore[no-untyped-def]
        raise ValueError("bad shape")

    monkeypatch.setattr(policy, "plan", plan)
    estate.event_sources(aws, "ap-northeast-3")
    applied = run_restore(
        aws, repo, repo.load_snapshot("latest"), RestoreOptions(to_region="ap-northeast-3"), dry_run=False
    )
    failed = [c for c in applied.failed if c.kind == "policy"]
    assert failed and all(c.detail == "unexpected ValueError: bad shape" for c in failed)
    assert {c.kind for c in applied.failed} == {"policy"}  # everything else was restored
    assert len(aws.client("lambda", "ap-northeast-3").list_functions()["Functions"]) == 3


def _through(proxy: FaultyProxy, acct: Account) -> Aws:
    """The same account, reached through the proxy."""
    return Aws(session=acct.aws.session, endpoint_url=f"http://127.0.0.1:{proxy._server.server_address[1]}")


def test_one_failing_service_costs_that_service_not_the_region(  # type: ignore[no-untyped-def]
    aws: Aws, proxy: FaultyProxy, monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "3")
    acct = own_account(aws)
    region = "eu-west-1"
    make_functions(acct.aws, region, ["svc-a", "svc-b"])
    lam = acct.aws.client("lambda", region)
    fn_arn = lam.get_function(FunctionName="svc-a")["Configuration"]["FunctionArn"]
    v2 = acct.aws.client("apigatewayv2", region)
    api = v2.create_api(Name="svc-http", ProtocolType="HTTP")["ApiId"]
    integration = v2.create_integration(ApiId=api, IntegrationType="AWS_PROXY", IntegrationUri=fn_arn,
                                        PayloadFormatVersion="2.0")["IntegrationId"]
    v2.create_route(ApiId=api, RouteKey="GET /orders", Target=f"integrations/{integration}")
    repo = Repository.init(str(tmp_path / "r"), password=PASSWORD, aws=aws)
    first = run_backup(acct.aws, repo, BackupOptions(regions=[region]))
    assert first.ok, first.errors
    kept = {r["name"]: r["items"].get("apigatewayv2") for r in repo.load_snapshot("latest").body["functions"]}
    assert kept["svc-a"]

    lam.update_function_configuration(FunctionName="svc-b", Timeout=77)  # so it is captured again
    lam.get_waiter("function_updated_v2").wait(FunctionName="svc-b")
    v2.update_api(ApiId=api, Description="moved")  # the change feed names the API listing for a re-read
    body = b'{"__type": "NotImplemented", "message": "GetApis is not available here"}'
    proxy.rules.append(Rule("GET", r"^/v2/apis", times=-1, status=501, body=body))
    result = run_backup(_through(proxy, acct), repo, BackupOptions(regions=[region]))
    assert proxy.rules[0].hits >= 1
    assert result.functions == 2 and result.captured >= 1  # not "0 functions"
    (error,) = result.errors
    assert error.startswith(f"apigatewayv2 in {region}: ") and "NotImplemented" in error and "GetApis" in error
    latest = repo.load_snapshot("latest")
    assert "partial" in latest.tags and not result.ok  # a kind that could not be read: exit 3
    records = {r["name"]: r for r in latest.body["functions"]}
    assert {n: r["items"].get("apigatewayv2") for n, r in records.items()} == kept  # previous capture kept
    assert records["svc-b"]["items"]["function"]["config"]["Timeout"] == 77  # everything else was captured


def test_every_region_failing_writes_nothing(  # type: ignore[no-untyped-def]
    aws: Aws, proxy: FaultyProxy, monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "3")
    acct = own_account(aws)
    make_functions(acct.aws, "eu-west-1", ["denied-a"])
    repo_path = tmp_path / "r"
    repo = Repository.init(str(repo_path), password=PASSWORD, aws=aws)
    assert run_backup(acct.aws, repo, BackupOptions(regions=["eu-west-1", "eu-west-2"])).ok
    before = sorted(p for p in repo_path.rglob("*") if p.is_file())
    denied = b'{"__type": "AccessDeniedException", "message": "not authorized to perform lambda:ListFunctions"}'
    proxy.rules.append(Rule("GET", LIST, times=-1, status=403, body=denied))
    with pytest.raises(AwsError, match=r"^no snapshot written: every region failed \(eu-west-1: .*AccessDenied"):
        run_backup(_through(proxy, acct), repo, BackupOptions(regions=["eu-west-1", "eu-west-2"]))
    assert sorted(p for p in repo_path.rglob("*") if p.is_file()) == before
    assert len(repo.snapshots()) == 1


def test_a_region_that_cannot_be_listed_keeps_its_functions(  # type: ignore[no-untyped-def]
    aws: Aws, proxy: FaultyProxy, monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "3")
    acct = own_account(aws)
    make_functions(acct.aws, "eu-west-1", ["listed-a"])
    make_functions(acct.aws, "eu-west-2", ["unlisted-a", "unlisted-b"])
    repo = Repository.init(str(tmp_path / "r"), password=PASSWORD, aws=aws)
    assert run_backup(acct.aws, repo, BackupOptions(regions=["eu-west-1", "eu-west-2"])).ok
    denied = b'{"__type": "AccessDeniedException", "message": "not authorized"}'
    proxy.rules.append(Rule("GET", LIST, times=-1, status=403, body=denied))
    via = _through(proxy, acct)

    class OneRegionThroughTheProxy(Aws):  # only eu-west-2's calls meet the fault
        def client(self, service: str, region: str | None = None) -> Any:
            return via.client(service, region) if region == "eu-west-2" else super().client(service, region)

    routed = OneRegionThroughTheProxy(session=acct.aws.session, endpoint_url=acct.aws.endpoint_url)
    result = run_backup(routed, repo, BackupOptions(regions=["eu-west-1", "eu-west-2"]))
    assert result.functions == 3 and result.anomaly == ""  # carried forward, not lost
    assert [e.split(":")[0] for e in result.errors] == ["region eu-west-2"]
