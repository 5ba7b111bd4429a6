"""apply_policy against a calendar of snapshots, with a clock the test controls."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lambda_ark.errors import UsageError
from lambda_ark.repository import Rules, SnapshotInfo, apply_policy
from lambda_ark.repository.policy import parse_duration, parse_group_by, plan_forget

NOW = datetime(2024, 12, 31, 23, 0, tzinfo=UTC)


def calendar() -> list[SnapshotInfo]:
    """Two snapshots a day (03:00 and 15:00) for all of 2024 (732 snapshots)."""
    out, day = [], datetime(2024, 1, 1, tzinfo=UTC)
    while day.year == 2024:
        for hour in (3, 15):
            t = day + timedelta(hours=hour)
            out.append(SnapshotInfo(id=t.strftime("%Y%m%d%H"), time=t, host="h"))
        day += timedelta(days=1)
    return out


CASES = [
    # (rules, expected kept ids, newest first)
    (Rules(last=3), ["2024123115", "2024123103", "2024123015"]),
    (Rules(daily=3), ["2024123115", "2024123015", "2024122915"]),
    (Rules(hourly=2), ["2024123115", "2024123103"]),
    (Rules(weekly=2), ["2024123115", "2024122915"]),  # Tue 31 Dec (week 1 of 2025), Sun 29 Dec
    (Rules(monthly=3), ["2024123115", "2024113015", "2024103115"]),
    (Rules(yearly=5), ["2024123115"]),
    (Rules(last=1, monthly=2), ["2024123115", "2024113015"]),
    (Rules(within=timedelta(days=1)), ["2024123115", "2024123103"]),
    (Rules(within=timedelta(hours=12)), ["2024123115"]),
    (Rules(daily=2, weekly=1), ["2024123115", "2024123015"]),
]


@pytest.mark.parametrize(("rules", "expected"), CASES)
def test_policy_table(rules: Rules, expected: list[str]) -> None:
    snaps = calendar()
    keep, remove, reasons = apply_policy(snaps, rules, NOW)
    assert [s.id for s in keep] == expected
    assert len(keep) + len(remove) == len(snaps)
    assert set(reasons) == set(expected) and all(reasons[i] for i in expected)


def test_reasons_name_every_rule() -> None:
    _, _, reasons = apply_policy(calendar(), Rules(last=1, daily=1, monthly=1, yearly=1), NOW)
    assert reasons == {"2024123115": ["last snapshot", "daily snapshot", "monthly snapshot", "yearly snapshot"]}


def test_never_removes_everything() -> None:
    later = NOW + timedelta(days=30)
    keep, remove, reasons = apply_policy(calendar(), Rules(within=timedelta(days=7)), later)
    assert [s.id for s in keep] == ["2024123115"] and "never removes every" in reasons["2024123115"][0]
    assert len(remove) == len(calendar()) - 1


def test_empty_rules_refused() -> None:
    with pytest.raises(UsageError):
        apply_policy(calendar(), Rules(), NOW)


def test_no_snapshots() -> None:
    assert apply_policy([], Rules(last=3), NOW) == ([], [], {})


@pytest.mark.parametrize(("text", "expected"), [
    ("7d", timedelta(days=7)), ("12h", timedelta(hours=12)), ("2w", timedelta(weeks=2)),
    ("1y6m", timedelta(days=365 + 180)), ("1d 12h", timedelta(hours=36)),
])
def test_durations(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "7", "d7", "7x", "1.5d"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(UsageError):
        parse_duration(text)


# -- grouping, the anomaly guard and named snapshots (plan_forget) ------------------------------

def _snap(sid: str, day: int, scope: str | None = "s1", tags: tuple[str, ...] = (), host: str = "h") -> SnapshotInfo:
    summary = {} if scope is None else {"scope": scope}
    return SnapshotInfo(id=sid, time=NOW - timedelta(days=30 - day), host=host, tags=list(tags), summary=summary)


SERIES = [
    _snap("a1", 1), _snap("a2", 2), _snap("a3", 3, tags=("partial",)), _snap("a4", 4, tags=("anomaly",)),
    _snap("a5", 5),
    _snap("b1", 1, scope="s2"), _snap("b2", 2, scope="s2", host="other"), _snap("b3", 3, scope="s2"),
    _snap("c1", 1, scope=None, tags=("dev",)), _snap("c2", 2, scope=None, tags=("dev", "repaired")),
    _snap("d1", 1, scope=None), _snap("d2", 2, scope=None),
]

PLAN_CASES = [
    # (group_by, rules, named, expected kept ids (sorted), expected removed ids (sorted))
    # scope,tags: status tags (partial, anomaly, repaired) never split a series; a missing scope is ""
    ("scope,tags", Rules(last=1), [], ["a3", "a5", "b3", "c2", "d2"], ["a1", "a2", "a4", "b1", "b2", "d1", "c1"]),
    ("scope", Rules(last=1), [], ["a3", "a5", "b3", "d2"], ["a1", "a2", "a4", "b1", "b2", "c1", "c2", "d1"]),
    # (b3 is a3's age but sorts after it: the newest before anomaly a4 once scopes share a group)
    ("tags", Rules(last=1), [], ["a5", "b3", "c2"], ["a1", "a2", "a3", "a4", "b1", "b2", "c1", "d1", "d2"]),
    ("host", Rules(last=1), [], ["a5", "b2", "b3"],
     ["a1", "a2", "a3", "a4", "b1", "c1", "c2", "d1", "d2"]),
    ("scope,host", Rules(last=1), [], ["a3", "a5", "b2", "b3", "d2"],
     ["a1", "a2", "a4", "b1", "c1", "c2", "d1"]),
    ("", Rules(last=1), [], ["a5", "b3"], ["a1", "a2", "a3", "a4", "b1", "b2", "c1", "c2", "d1", "d2"]),
    # the guard: a3 is the newest before anomaly a4; named, it goes and nothing older stands in
    ("scope,tags", Rules(last=1), ["a3"], ["a5", "b3", "c2", "d2"],
     ["a1", "a2", "a3", "a4", "b1", "b2", "d1", "c1"]),
    # named without rules: only those go, the rest is not even looked at
    ("scope,tags", None, ["a5", "b1"], [], ["a5", "b1"]),
    ("scope,tags", Rules(last=2), ["a5"], ["a3", "a4", "b2", "b3", "c1", "c2", "d1", "d2"], ["a1", "a2", "a5", "b1"]),
]


@pytest.mark.parametrize(("group_by", "rules", "named", "kept", "removed"), PLAN_CASES)
def test_plan_forget_table(group_by: str, rules: Rules | None, named: list[str], kept: list[str],
                           removed: list[str]) -> None:
    plan = plan_forget(SERIES, rules, NOW, group_by=parse_group_by(group_by), named=named)
    assert sorted(s.id for s in plan.keep) == sorted(kept)
    assert sorted(s.id for s in plan.remove) == sorted(removed)
    assert set(plan.reasons) == {s.id for s in plan.keep}


def test_the_last_snapshot_before_an_anomaly_is_kept_and_says_why() -> None:
    plan = plan_forget(SERIES, Rules(last=1), NOW, group_by=parse_group_by("scope,tags"))
    assert plan.reasons["a3"] == ["last before anomaly a4"]
    assert plan.reasons["a5"] == ["last snapshot"]


def test_the_guard_protects_the_newest_good_snapshot_before_each_anomaly() -> None:
    series = [_snap("x1", 1), _snap("x2", 2), _snap("x3", 3, tags=("anomaly",)), _snap("x4", 4, tags=("anomaly",)),
              _snap("x5", 5), _snap("x6", 6, tags=("anomaly",)), _snap("x7", 7)]
    plan = plan_forget(series, Rules(last=1), NOW, group_by=())
    assert {s.id: plan.reasons[s.id] for s in plan.keep} == {
        "x7": ["last snapshot"], "x5": ["last before anomaly x6"],
        "x2": ["last before anomaly x3", "last before anomaly x4"]}


@pytest.mark.parametrize(("text", "expected"), [
    ("scope,tags", ("scope", "tags")), ("", ()), ("host", ("host",)), ("tags,host", ("host", "tags")),
    ("tag", ("tags",)), (" scope , host ", ("host", "scope")),
])
def test_group_by(text: str, expected: tuple[str, ...]) -> None:
    assert parse_group_by(text) == expected


def test_unknown_group_by_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="paths"):
        parse_group_by("scope,paths")


def test_no_rule_and_no_name_is_refused() -> None:
    with pytest.raises(UsageError, match="no retention rule"):
        plan_forget(SERIES, None, NOW)
