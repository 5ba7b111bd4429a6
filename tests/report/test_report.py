"""`lambda-ark report`: the data (--json) and the self-contained HTML page; never a secret."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from tests.repository.conftest import PASSWORD, CliResult

from lambda_ark.report import Targets, build_report, render
from lambda_ark.repository import Repository

from .estate import NOW, SECRET, build

DAY = 86400


@pytest.fixture(autouse=True)
def _password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAMBDA_ARK_PASSWORD", PASSWORD)


def test_report_bad_input_is_one_line_exit_2(local_repo: Repository, cli: Callable[..., CliResult],
                                             tmp_path: Path) -> None:
    res = cli("report", "--repo", local_repo.url, "--rpo", "soon")
    assert res.code == 2 and res.err.count("\n") == 1 and "--rpo" in res.err
    res = cli("report", "--repo", local_repo.url, "--policy", str(tmp_path / "missing.yaml"))
    assert res.code == 2 and res.err.count("\n") == 1 and "missing.yaml" in res.err
    res = cli("report", "--repo", local_repo.url, "--out", str(tmp_path / "no" / "such" / "dir.html"))
    assert res.code == 2 and "cannot write" in res.err


def test_an_empty_repository_still_reports(local_repo: Repository, cli: Callable[..., CliResult],
                                           tmp_path: Path) -> None:
    res = cli("report", "--repo", local_repo.url, "--out", str(tmp_path / "r.html"))
    assert res.code == 0, res.err
    assert "<html" in (tmp_path / "r.html").read_text()


def test_report_data(local_repo: Repository) -> None:
    ids = build(local_repo)
    data = build_report(local_repo, targets=Targets(default=DAY, jobs={"nightly": DAY}), clock=lambda: NOW)
    assert data.snapshots == len(ids)
    worst = data.rpo_functions[0]
    assert worst["function"] == "111122223333/us-east-1/edge" and worst["ok"] is False and worst["ratio"] == 4.0
    assert {r["job"]: r["ok"] for r in data.rpo_jobs} == {"edge": False, "nightly": True}
    assert [(lost["function"], lost["kind"], lost["before"], lost["after"]) for lost in data.lost_triggers] == [
        ("111122223333/eu-west-1/orders-api", "s3_notifications", 2, 1)]
    assert data.triggers == {"mappings": 1, "s3_notifications": 2}
    assert len(data.anomalies) == 1 and [f["what"] for f in data.failures] == ["snapshot", "drill", "prune"]
    assert [d["status"] for d in data.drills] == ["passed", "failed", "passed"]
    assert data.growth[-1]["stored_total"] == sum(4000 + d for d in range(10, 0, -1)) + sum(
        4000 + d for d in range(10, 3, -1))
    assert data.growth[-1]["logical_total"] > 0 and data.storage["dedup_ratio"] is not None
    heat = data.rpo_heatmap
    assert len(heat["days"]) == 14 and heat["functions"][0].endswith("/edge")
    assert heat["ratio"][0][-1] == 4.0 and heat["ratio"][0][0] is None  # not backed up 14 days ago yet
    assert data.audit["ok"] is True and data.audit["commands"] == {"backup": 1, "init": 1, "prune": 1}
    cover = {r["region"]: r for r in data.coverage}
    assert cover["eu-west-1"]["protected"] == 2 and cover["eu-west-1"]["discovered"] is None


def test_coverage_names_functions_never_backed_up(local_repo: Repository) -> None:
    build(local_repo)
    live = {"111122223333/eu-west-1": ["billing", "orders-api", "shiny-new"]}
    data = build_report(local_repo, targets=Targets(default=DAY), discovered=live, clock=lambda: NOW)
    row = next(r for r in data.coverage if r["region"] == "eu-west-1")
    assert row["discovered"] == 3 and row["never_backed_up"] == ["shiny-new"] and row["unprotected"] == ["shiny-new"]


def test_report_cli_html_and_json_agree_and_hold_no_secret(local_repo: Repository, cli: Callable[..., CliResult],
                                                          tmp_path: Path) -> None:
    build(local_repo)
    out = tmp_path / "report.html"
    res = cli("report", "--repo", local_repo.url, "--out", str(out))
    assert res.code == 0, res.err and "wrote" in res.out
    page = out.read_text()
    as_json = cli("report", "--repo", local_repo.url, "--json")
    assert as_json.code == 0
    data = json.loads(as_json.out)
    embedded = json.loads(re.search(r"<script type='application/json' id='report-data'>(.*?)</script>", page,
                                    re.S)[1])  # type: ignore[index]
    for key in ("coverage", "lost_triggers", "drills", "audit", "growth", "triggers", "failures"):
        assert embedded[key] == data[key]
    assert [r["function"] for r in embedded["rpo_functions"]] == [r["function"] for r in data["rpo_functions"]]
    assert SECRET not in page and SECRET not in as_json.out
    # self-contained: no script, style or image comes from anywhere else
    # (plotly.js mentions map-tile servers; no chart here uses them: the browser test sees no request)
    assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)=", page)


def test_render_shows_every_section(local_repo: Repository) -> None:
    build(local_repo)
    page = render(build_report(local_repo, targets=Targets(default=DAY), clock=lambda: NOW))
    for title in ("Coverage", "RPO per job", "RPO per function", "Repository growth", "Drills", "Triggers",
                  "Lost triggers", "Anomalies", "Failures", "Audit log"):
        assert f"<h2>{title}" in page
    assert page.count("class=\"plotly-graph-div\"") == 6
