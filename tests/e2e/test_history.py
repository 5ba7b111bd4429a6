"""`lambda-ark history`: a function's changes across snapshots with the CloudTrail events behind them,
as an operator runs it (a subprocess), never showing a secret."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.accounts import Account
from tests.faulty_proxy import FaultyProxy, Rule

from lambda_ark import embedded
from lambda_ark.aws import Aws

from .conftest import run_cli
from .isolated import make_functions, own_account

REGION = "ca-central-1"
SECRET = "hunter2-history-SECRET"
LOOKUP = r"X-Amz-Target: [\w.]*CloudTrail_20131101\.LookupEvents"


@pytest.fixture
def story(endpoint: embedded.Endpoint, aws: Aws, tmp_path: Path) -> tuple[Account, str]:
    """orders: backed up, reconfigured (memory, a secret), backed up, then changed again (not backed up)."""
    acct = own_account(aws)
    make_functions(acct.aws, REGION, ["orders", "billing"])
    repo = str(tmp_path / "repo")
    assert run_cli("init", "--repo", repo, endpoint=endpoint.url).returncode == 0
    args = ("backup", "--repo", repo, "--regions", REGION, "--feed-delay", "0")
    assert run_cli(*args, endpoint=endpoint.url, **acct.env).returncode == 0
    lam = acct.aws.client("lambda", REGION)
    # CloudTrail's times are whole seconds: a change within a second of a backup's start cannot be placed
    time.sleep(1.1)
    lam.update_function_configuration(FunctionName="orders", MemorySize=512,
                                      Environment={"Variables": {"DB_PASSWORD": SECRET}})
    time.sleep(1.1)
    assert run_cli(*args, endpoint=endpoint.url, **acct.env).returncode == 0
    time.sleep(1.1)
    lam.update_function_configuration(FunctionName="orders", Timeout=30)
    _until_cloudtrail_shows(acct, updates=2)
    return acct, repo


def _until_cloudtrail_shows(acct: Account, updates: int) -> None:
    """CloudTrail shows an event some time after the call (AWS: minutes; the endpoint: once the call's
    response is done): what history finds is what CloudTrail shows, so wait for it."""
    trail = acct.aws.client("cloudtrail", REGION)
    attribute = [{"AttributeKey": "EventName", "AttributeValue": "UpdateFunctionConfiguration20150331v2"}]
    for _ in range(100):
        if len(trail.lookup_events(LookupAttributes=attribute)["Events"]) >= updates:
            return
        time.sleep(0.1)
    raise AssertionError("CloudTrail never showed the updates")


@pytest.fixture
def proxy(endpoint: embedded.Endpoint) -> Iterator[FaultyProxy]:
    p = FaultyProxy(upstream=endpoint.url)
    p.start()
    yield p
    p.stop()


def test_unknown_function_is_one_line_exit_2(story: tuple[Account, str], endpoint: embedded.Endpoint) -> None:
    acct, repo = story
    out = run_cli("history", "nope", "--repo", repo, endpoint=endpoint.url, **acct.env)
    assert out.returncode == 2 and out.stderr.count("\n") == 1 and "no snapshot holds a function 'nope'" in out.stderr


def test_cloudtrail_denied_still_lists_the_changes_exit_3(story: tuple[Account, str], proxy: FaultyProxy) -> None:
    acct, repo = story
    proxy.rules.append(Rule("POST", r"^/$", times=-1, status=400, headers=LOOKUP,
                            body=b'{"__type": "AccessDeniedException", "message": "not authorized"}'))
    via = f"http://127.0.0.1:{proxy._server.server_address[1]}"
    out = run_cli("history", "orders", "--repo", repo, "--json", endpoint=via, AWS_MAX_ATTEMPTS="2", **acct.env)
    assert out.returncode == 3 and proxy.rules[0].hits >= 1
    result = json.loads(out.stdout)
    assert "AccessDenied" in result["cloudtrail"]
    assert [c["change"] for c in result["changes"]] == ["recorded", "changed"]


def test_history_joins_changes_with_who_made_them(story: tuple[Account, str], endpoint: embedded.Endpoint) -> None:
    acct, repo = story
    out = run_cli("history", "orders", "--repo", repo, "--json", endpoint=endpoint.url, **acct.env)
    assert out.returncode == 0, out.stderr
    assert SECRET not in out.stdout
    result = json.loads(out.stdout)
    assert result["cloudtrail"] == "asked"
    recorded, changed = result["changes"]
    assert recorded["change"] == "recorded" and recorded["function"] == f"{acct.id}/{REGION}/orders"
    assert "function.config.MemorySize" in changed["fields"]
    assert "function.config.Environment" in changed["fields"]  # that it changed, never to what
    (update,) = [e for e in changed["events"] if e["event"].startswith("UpdateFunctionConfiguration")]
    assert acct.id in update["who"] and update["from"]
    assert any(e["event"].startswith("CreateFunction") for e in recorded["events"])
    assert [e["event"][:27] for e in result["pending"]] == ["UpdateFunctionConfiguration"]  # not backed up yet
    text = run_cli("history", "orders", "--repo", repo, "--since", "1d", endpoint=endpoint.url, **acct.env)
    assert text.returncode == 0 and "function.config.MemorySize" in text.stdout and SECRET not in text.stdout
    assert "billing" not in text.stdout
