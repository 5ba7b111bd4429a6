"""A drill leaves its event in the audit log: snapshot, outcome, per-status counts and RTO."""

from __future__ import annotations

import json

from tests.e2e.conftest import run_cli

from lambda_ark import embedded

from .conftest import PASSWORD, SRC, Estate, record_of


def _events(estate: Estate, endpoint: embedded.Endpoint) -> list[dict[str, object]]:
    out = run_cli("audit", "log", "--json", "--repo", estate.repo.url, endpoint=endpoint.url, password=PASSWORD)
    return json.loads(out.stdout)["events"]  # type: ignore[no-any-return]


def test_drills_are_logged_passed_and_failed(estate: Estate, endpoint: embedded.Endpoint) -> None:
    estate.function("orders")
    estate.backup()
    args = ("drill", "latest", "--region", SRC, "--repo", estate.repo.url)
    assert run_cli(*args, endpoint=endpoint.url, password=PASSWORD, **estate.acct.env).returncode == 0
    estate.tamper(lambda body: record_of(body, "orders")["items"]["function"]["config"]["Environment"]["Variables"]
                  .pop("TABLE"))
    assert run_cli(*args, endpoint=endpoint.url, password=PASSWORD, **estate.acct.env).returncode == 3
    drills = [e for e in _events(estate, endpoint) if e["command"] == "drill"]
    assert [d["outcome"] for d in drills] == ["ok", "partial"]
    passed, failed = drills
    assert passed["counts"]["passed"] == 1 and passed["counts"]["rto_ms"] > 0  # type: ignore[index,operator]
    assert failed["counts"] == {"failed": 1} and "failed: 1 failed" in str(failed["error"])
    assert passed["scope"]["drill_id"] and passed["snapshots"]  # type: ignore[index]
