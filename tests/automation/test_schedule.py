"""Schedules: EventBridge's rate() and cron(), classic 5-field cron; slots at or before / after a time."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from lambda_ark.policy.schedule import ScheduleError, parse_schedule

T = datetime(2025, 3, 10, 12, 30, tzinfo=UTC)  # a Monday


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(("text", "expected"), [
    ("", "empty schedule"),
    ("bogus", "bad schedule 'bogus': expected rate(1 hour)"),
    ("rate(1 hours)", "expected rate(1 hour) (singular for 1"),
    ("rate(5 hour)", "expected rate(5 hours)"),
    ("rate(0 minutes)", "positive whole number"),
    ("rate(2 weeks)", "unit 'weeks', expected minute(s), hour(s) or day(s)"),
    ("rate(1.5 hours)", "expected rate(VALUE UNIT)"),
    ("cron(0 3 * * * *)", "exactly one of day-of-month and day-of-week must be '?'"),
    ("cron(0 3 ? * ? *)", "exactly one of day-of-month and day-of-week must be '?'"),
    ("cron(0 3 * *)", "4 fields"),
    ("cron(0 3 ? * 8 *)", "day-of-week '8', expected 1-7 (1 is Sunday)"),
    ("cron(0 3 ? * 1/2 *)", "does not take '/'"),
    ("cron(0 3 * * ? 1969)", "within 1970-2199"),
    ("cron(0 3 LW * ? *)", "'LW' (last weekday of the month) is not supported"),
    ("cron(61 3 * * ? *)", "bad cron expression 'cron(61 3 * * ? *)'"),
    ("61 * * * *", "bad cron expression '61 * * * *'"),
    ("0 * * *", "bad schedule '0 * * *'"),
    ("0 0 * * * *", "bad schedule"),  # six bare fields: seconds or years? EventBridge needs cron(...)
])
def test_bad_schedules_say_what_was_expected(text: str, expected: str) -> None:
    with pytest.raises(ScheduleError) as info:
        parse_schedule(text)
    assert expected in str(info.value)


@pytest.mark.parametrize(("text", "latest", "following"), [
    ("rate(1 hour)", "2025-03-10 12:00", "2025-03-10 13:00"),
    ("rate(15 minutes)", "2025-03-10 12:30", "2025-03-10 12:45"),
    ("rate(1 day)", "2025-03-10 00:00", "2025-03-11 00:00"),
    ("rate(7 days)", "2025-03-10 00:00", "2025-03-17 00:00"),  # counted from a Monday
    ("cron(0 3 * * ? *)", "2025-03-10 03:00", "2025-03-11 03:00"),
    ("cron(0/20 * * * ? *)", "2025-03-10 12:20", "2025-03-10 12:40"),
    ("cron(0 18 ? * MON-FRI *)", "2025-03-07 18:00", "2025-03-10 18:00"),
    ("cron(0 9 ? * 2 *)", "2025-03-10 09:00", "2025-03-17 09:00"),  # 2 is Monday in EventBridge
    ("cron(0 9 ? * 1 *)", "2025-03-09 09:00", "2025-03-16 09:00"),  # 1 is Sunday
    ("cron(0 10 ? * 6L *)", "2025-02-28 10:00", "2025-03-28 10:00"),  # last Friday of the month
    ("cron(0 10 ? * 2#1 *)", "2025-03-03 10:00", "2025-04-07 10:00"),  # first Monday
    ("cron(0 10 L * ? *)", "2025-02-28 10:00", "2025-03-31 10:00"),
    ("cron(0 10 15W * ? *)", "2025-02-14 10:00", "2025-03-14 10:00"),  # the 15th is a Saturday in March
    ("cron(0 0 1 1 ? 2026-2027)", None, "2026-01-01 00:00"),
    ("cron(0 0 1 1 ? 2020,2022)", "2022-01-01 00:00", None),
    ("0 * * * *", "2025-03-10 12:00", "2025-03-10 13:00"),
    ("30 12 * * 1", "2025-03-10 12:30", "2025-03-17 12:30"),  # classic cron: 1 is Monday; 12:30 is a slot
])
def test_slots(text: str, latest: str | None, following: str | None) -> None:
    schedule = parse_schedule(text)
    assert schedule.latest(T) == (at(latest) if latest else None)
    assert schedule.following(T) == (at(following) if following else None)


def test_a_slot_is_its_own_latest_and_the_next_one_follows_it() -> None:
    schedule = parse_schedule("rate(1 hour)")
    slot = at("2025-03-10 12:00")
    assert schedule.latest(slot) == slot
    assert schedule.following(slot) == at("2025-03-10 13:00")
    assert schedule.upcoming(slot, 3) == [at("2025-03-10 13:00"), at("2025-03-10 14:00"), at("2025-03-10 15:00")]


def test_missed_slots_are_counted() -> None:
    schedule = parse_schedule("rate(1 hour)")
    assert schedule.slots_between(at("2025-03-10 08:00"), at("2025-03-10 12:30")) == 4
    assert schedule.slots_between(at("2025-03-10 12:00"), at("2025-03-10 12:30")) == 0
    assert parse_schedule("rate(1 minute)").slots_between(at("2025-01-01 00:00"), T, limit=50) == 50


def test_times_must_carry_a_timezone() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        parse_schedule("rate(1 hour)").latest(datetime(2025, 1, 1))
