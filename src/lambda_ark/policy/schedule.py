"""When a job runs: `rate(…)` and `cron(…)` as EventBridge writes them, or a 5-field cron line.

Every schedule is a set of instants ("slots") in UTC, minute-aligned:

- `rate(N minutes|hours|days)` (singular for 1, as EventBridge requires): every N units counted from
  Monday 1970-01-05 00:00 UTC, so `rate(1 hour)` is the top of every hour and `rate(1 day)` is every
  midnight (EventBridge counts from when the rule was created; a fixed origin makes a slot the same
  instant for every host and every run, which is what "never twice for one slot" needs).
- `cron(minutes hours day-of-month month day-of-week year)`: EventBridge's six fields. Exactly one of
  day-of-month and day-of-week is `?`; day-of-week counts 1-7 from Sunday (or SUN-SAT); `L`, `W`,
  `#` as EventBridge documents them; years 1970-2199.
- `M H DOM MON DOW`: classic cron (croniter), day-of-week 0-7 from Sunday.

`Schedule.latest(t)` is the newest slot at or before `t`; `Schedule.following(t)` the first after it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from croniter import croniter
from croniter.croniter import CroniterError

EXAMPLES = "rate(1 hour), rate(15 minutes), cron(0 3 * * ? *), or 5-field cron such as '0 * * * *'"
RATE_ORIGIN = datetime(1970, 1, 5, tzinfo=UTC)  # a Monday: rate(7 days) runs on Mondays
_UNITS = {"minute": 60, "hour": 3600, "day": 86400}
_DOW_NAMES = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
_YEARS = (1970, 2199)
# Jumps between allowed years before deciding a year-restricted cron has no slot (a bound, never reached).
_SEARCH_LIMIT = 300


class ScheduleError(ValueError):
    """A schedule expression that cannot be parsed; the message says what was expected."""


@dataclass(frozen=True)
class Schedule:
    text: str
    every: timedelta | None = None  # rate(...)
    cron: str | None = None  # croniter expression (5 fields)
    years: frozenset[int] | None = None  # cron(...)'s year field; None: every year

    def latest(self, t: datetime) -> datetime | None:
        """The newest slot at or before `t` (None if there is none)."""
        t = _utc(t)
        if self.every is not None:
            steps = (t - RATE_ORIGIN) // self.every
            return RATE_ORIGIN + steps * self.every
        assert self.cron is not None
        start = t + timedelta(microseconds=1)  # get_prev is strictly before its start
        for _ in range(_SEARCH_LIMIT):
            slot = _utc(croniter(self.cron, start).get_prev(datetime))
            if slot.year < _YEARS[0]:
                return None
            if self.years is None or slot.year in self.years:
                return slot
            earlier = [y for y in self.years if y < slot.year]
            if not earlier:
                return None
            start = datetime(max(earlier) + 1, 1, 1, tzinfo=UTC)  # the end of the newest allowed year
        return None

    def following(self, t: datetime) -> datetime | None:
        """The first slot strictly after `t` (None if there is none)."""
        t = _utc(t)
        if self.every is not None:
            steps = (t - RATE_ORIGIN) // self.every + 1
            return RATE_ORIGIN + steps * self.every
        assert self.cron is not None
        start = t
        for _ in range(_SEARCH_LIMIT):
            slot = _utc(croniter(self.cron, start).get_next(datetime))
            if slot.year > _YEARS[1]:
                return None
            if self.years is None or slot.year in self.years:
                return slot
            later = [y for y in self.years if y > slot.year]
            if not later:
                return None
            start = datetime(min(later), 1, 1, tzinfo=UTC) - timedelta(microseconds=1)
        return None

    def upcoming(self, t: datetime, count: int) -> list[datetime]:
        out: list[datetime] = []
        while len(out) < count and (nxt := self.following(out[-1] if out else t)) is not None:
            out.append(nxt)
        return out

    def slots_between(self, after: datetime, until: datetime, limit: int = 1000) -> int:
        """How many slots lie in (after, until], counting at most `limit` (for 'missed N runs')."""
        n, t = 0, after
        while n < limit and (nxt := self.following(t)) is not None and nxt <= until:
            n, t = n + 1, nxt
        return n


def parse_schedule(text: str) -> Schedule:
    text = " ".join(str(text).split())
    if not text:
        raise ScheduleError(f"empty schedule: expected {EXAMPLES}")
    if text.startswith("rate("):
        return _rate(text)
    if text.startswith("cron("):
        return _eventbridge_cron(text)
    fields = text.split(" ")
    if len(fields) != 5:
        raise ScheduleError(f"bad schedule {text!r}: expected {EXAMPLES}")
    _check_croniter(text, text)
    return Schedule(text=text, cron=text)


def _rate(text: str) -> Schedule:
    m = re.fullmatch(r"rate\((\d+) ([a-z]+)\)", text)
    if not m:
        raise ScheduleError(f"bad rate {text!r}: expected rate(VALUE UNIT) with a unit of minutes, hours or days, "
                            "e.g. rate(1 hour) or rate(15 minutes)")
    value, unit = int(m.group(1)), m.group(2)
    base = unit[:-1] if unit.endswith("s") else unit
    if base not in _UNITS:
        raise ScheduleError(f"bad rate {text!r}: unit {unit!r}, expected minute(s), hour(s) or day(s)")
    if value < 1:
        raise ScheduleError(f"bad rate {text!r}: the value must be a positive whole number")
    wanted = base if value == 1 else base + "s"
    if unit != wanted:  # EventBridge refuses rate(1 hours) and rate(5 hour)
        raise ScheduleError(f"bad rate {text!r}: expected rate({value} {wanted}) (singular for 1, plural otherwise)")
    return Schedule(text=text, every=timedelta(seconds=value * _UNITS[base]))


def _eventbridge_cron(text: str) -> Schedule:
    m = re.fullmatch(r"cron\((.*)\)", text)
    fields = m.group(1).split(" ") if m else []
    expected = "expected cron(minutes hours day-of-month month day-of-week year), e.g. cron(0 3 * * ? *)"
    if len(fields) != 6:
        raise ScheduleError(f"bad cron expression {text!r}: {len(fields)} fields, {expected}")
    minute, hour, dom, month, dow, year = (f.upper() for f in fields)
    if (dom == "?") == (dow == "?"):
        raise ScheduleError(f"bad cron expression {text!r}: exactly one of day-of-month and day-of-week must be "
                            f"'?' (EventBridge), {expected}")
    if dom == "LW" or "LW" in dom.split(","):
        raise ScheduleError(f"bad cron expression {text!r}: 'LW' (last weekday of the month) is not supported here; "
                            "use L or a day number with W")
    expr = " ".join((minute, hour, "*" if dom == "?" else dom, month, "*" if dow == "?" else _dow(dow, text)))
    _check_croniter(expr, text)
    return Schedule(text=text, cron=expr, years=_years(year, text))


def _dow(field: str, text: str) -> str:
    """EventBridge day-of-week (1-7 = SUN-SAT, L, nL, n#k) as croniter writes it (0-6, Ln, n#k)."""

    def one(value: str) -> str:
        if value in _DOW_NAMES or value == "*":
            return value
        if not value.isdigit() or not 1 <= int(value) <= 7:
            raise ScheduleError(f"bad cron expression {text!r}: day-of-week {value!r}, expected 1-7 (1 is Sunday) "
                                "or SUN-SAT")
        return str(int(value) - 1)

    parts = []
    for part in field.split(","):
        if part == "L":  # on its own: the last day of the week, Saturday
            parts.append("6")
        elif part.endswith("L"):
            parts.append("L" + one(part[:-1]))
        elif "#" in part:
            day, _, nth = part.partition("#")
            parts.append(f"{one(day)}#{nth}")
        elif "-" in part:
            lo, _, hi = part.partition("-")
            parts.append(f"{one(lo)}-{one(hi)}")
        elif "/" in part:
            raise ScheduleError(f"bad cron expression {text!r}: day-of-week does not take '/' in EventBridge")
        else:
            parts.append(one(part))
    return ",".join(parts)


def _years(field: str, text: str) -> frozenset[int] | None:
    if field == "*":
        return None
    years: set[int] = set()
    for part in field.split(","):
        m = re.fullmatch(r"(\d{4}|\*)(?:-(\d{4}))?(?:/(\d+))?", part)
        if not m:
            raise ScheduleError(f"bad cron expression {text!r}: year {part!r}, expected 1970-2199, a range, a list "
                                "or '*'")
        lo = _YEARS[0] if m.group(1) == "*" else int(m.group(1))
        hi = int(m.group(2)) if m.group(2) else (_YEARS[1] if m.group(1) == "*" or m.group(3) else lo)
        step = int(m.group(3) or 1)
        if not (_YEARS[0] <= lo <= hi <= _YEARS[1]) or step < 1:
            raise ScheduleError(f"bad cron expression {text!r}: year {part!r}, expected years within 1970-2199")
        years.update(range(lo, hi + 1, step))
    return frozenset(years)


def _check_croniter(expr: str, text: str) -> None:
    try:
        croniter(expr, datetime(2024, 1, 1, tzinfo=UTC)).get_next(datetime)
    except (CroniterError, ValueError, KeyError) as exc:
        detail = " ".join(str(exc).split())
        raise ScheduleError(f"bad cron expression {text!r} ({detail}): expected {EXAMPLES}") from None


def _utc(t: datetime) -> datetime:
    if t.tzinfo is None:
        raise ValueError("schedule times must be timezone-aware")
    return t.astimezone(UTC)
