"""When an unchanged function is read again anyway: a pure decision, tested on a clock we set."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from lambda_ark.backup import recapture_due
from lambda_ark.model import FunctionRecord

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)
WEEK = timedelta(days=7)


def record(i: int, captured: datetime | None) -> FunctionRecord:
    arn = f"arn:aws:lambda:us-east-1:123456789012:function:f{i}"
    return FunctionRecord(account="1", region="us-east-1", name=f"f{i}", arn=arn, fingerprint="x", captured_at=captured)


def test_never_when_disabled() -> None:
    assert not recapture_due(record(0, NOW - timedelta(days=400)), NOW, None)


def test_a_record_without_a_capture_time_is_due() -> None:
    assert recapture_due(record(0, None), NOW, WEEK)


def test_fresh_captures_are_not_due_and_old_ones_are() -> None:
    records = [record(i, NOW - timedelta(days=3)) for i in range(200)]
    assert not any(recapture_due(r, NOW, WEEK) for r in records)  # younger than half the period
    records = [record(i, NOW - WEEK) for i in range(200)]
    assert all(recapture_due(r, NOW, WEEK) for r in records)  # the full period has passed


def test_due_dates_are_spread_over_the_second_half_of_the_period() -> None:
    records = [record(i, NOW - timedelta(days=5)) for i in range(400)]
    due = sum(recapture_due(r, NOW, WEEK) for r in records)
    assert 0.25 * 400 < due < 0.75 * 400  # 5 of 7 days: roughly the first ~43 % of the spread
