"""apply_policy against a calendar of snapshots, with a clock the test controls."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lambda_ark.errors import UsageError
from lambda_ark.repository import Rules, SnapshotInfo, apply_policy
from lambda_ark.repository.policy import parse_duration

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
