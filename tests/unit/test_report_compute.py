"""The report's pure decisions: RPO per function and job, lost triggers, coverage, growth."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lambda_ark.report.compute import (
    SnapView,
    Targets,
    coverage,
    function_rpo,
    growth,
    job_rpo,
    lost_triggers,
)

T0 = datetime(2026, 2, 1, tzinfo=UTC)
H = 3600


def snap(hours: int, functions: dict[str, dict[str, int]] | None, scope: str = "s", tags: list[str] | None = None,
         added: int = 10, logical: int | None = 100) -> SnapView:
    return SnapView(id=f"id{hours}", time=T0 + timedelta(hours=hours), scope=scope, tags=tags or [],
                    stored_bytes=added, functions=functions, logical_bytes=logical)


@pytest.mark.parametrize(("snaps", "expected"), [
    ([snap(0, {"a/r/f": {}})], [("a/r/f", 10 * H, False)]),
    ([snap(0, {"a/r/f": {}}), snap(8, {"a/r/f": {}}, tags=["partial"])], [("a/r/f", 10 * H, False)]),
    ([snap(0, {"a/r/f": {}}), snap(8, {"a/r/f": {}})], [("a/r/f", 2 * H, True)]),
    ([snap(0, {"a/r/f": {}, "a/r/gone": {}}), snap(8, {"a/r/f": {}})], [("a/r/f", 2 * H, True)]),
    ([snap(0, None)], []),  # a body not read tells nothing about functions
])
def test_function_rpo(snaps: list[SnapView], expected: list[tuple[str, int, bool]]) -> None:
    rows = function_rpo(snaps, T0 + timedelta(hours=10), Targets(default=4 * H))
    assert [(r["function"], r["age_seconds"], r["ok"]) for r in rows] == expected


def test_job_rpo_uses_each_jobs_target_and_names_jobs_never_run() -> None:
    snaps = [snap(0, {}, tags=["job:nightly"]), snap(9, {}, tags=["job:hourly"])]
    rows = job_rpo(snaps, T0 + timedelta(hours=10), Targets(default=24 * H, jobs={"hourly": H // 2, "weekly": H}))
    assert [(r["job"], r["age_seconds"], r["ok"]) for r in rows] == [
        ("hourly", H, False), ("nightly", 10 * H, True), ("weekly", None, False)]


def test_lost_triggers_compare_snapshots_of_one_scope_only() -> None:
    snaps = [snap(0, {"k": {"sns": 2, "mappings": 1}}, scope="x"), snap(1, {"k": {}}, scope="y"),
             snap(2, {"k": {"sns": 1, "mappings": 1}}, scope="x"), snap(3, {}, scope="x")]
    assert [(r["kind"], r["before"], r["after"]) for r in lost_triggers(snaps)] == [("sns", 2, 1)]


def test_coverage_without_and_with_the_live_estate() -> None:
    snaps = [snap(0, {"1/r/a": {}, "1/r/old": {}}), snap(1, {"1/r/a": {}})]
    assert coverage(snaps, None) == [{"account": "1", "region": "r", "protected": 1, "discovered": None,
                                      "never_backed_up": [], "unprotected": []}]
    (row,) = coverage(snaps, {"1/r": ["a", "old", "new"]})
    assert row["never_backed_up"] == ["new"] and row["unprotected"] == ["new", "old"]


def test_growth_accumulates_stored_and_logical_bytes() -> None:
    points = growth([snap(1, {}, added=5, logical=50), snap(0, {}, added=7, logical=None)])
    assert [(p["stored_total"], p["logical_total"]) for p in points] == [(7, 0), (12, 50)]
