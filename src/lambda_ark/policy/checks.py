"""Warnings about a valid policy: things that will work, but probably not as meant.

`warnings` is pure (table-tested); `reachability` asks each repository whether it is there, through
a callback, and reports one that is not as a warning (the network or credentials may differ where
the policy runs).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import urlsplit

from .loader import LoadedPolicy, Problem
from .models import Job
from .schedule import parse_schedule
from .values import notify_target, rpo_seconds

_LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")


def warnings(loaded: LoadedPolicy, now: datetime | None = None) -> list[Problem]:
    policy, out = loaded.policy, []
    now = now or datetime.now(UTC)
    for name, job in policy.jobs.items():
        where = ("jobs", name)
        if job.retention is None:
            out.append(loaded.where(where, "no retention: every snapshot of this job is kept for ever"))
        if (gap := _longest_gap(job, now)) and job.rpo and rpo_seconds(job.rpo) < gap:
            out.append(loaded.where((*where, "rpo"), f"rpo {job.rpo} is shorter than the time between two runs "
                                    f"({_text(gap)}): the RPO alarm will fire between runs"))
        targets = job.notify if job.notify is not None else policy.notify
        source = (*where, "notify") if job.notify is not None else ("notify",)
        for i, text in enumerate(targets):
            target = notify_target(text)
            host = urlsplit(target.address).hostname or ""
            if target.kind == "webhook" and target.address.startswith("http://") and host not in _LOCAL_HOSTS:
                out.append(loaded.where((*source, i), f"webhook {text} is not encrypted (http://): use https://"))
            region = policy.metrics.region
            if target.kind == "sns" and region and target.region != region:
                out.append(loaded.where((*source, i), f"topic {target.address} is in {target.region}, metrics and "
                                        f"alarms in {region}: CloudWatch alarms notify only topics of their region"))
    return _unique(out)


def reachability(loaded: LoadedPolicy, exists: Callable[[str], str | None]) -> list[Problem]:
    """`exists(url)` returns None when a repository is there, else why not (one line)."""
    repos = loaded.policy.repositories
    places: list[tuple[tuple[str | int, ...], str]] = [(("repositories", "primary"), repos.primary.url)]
    places += [(("repositories", "copies", i), r.url) for i, r in enumerate(repos.copies)]
    out = []
    for loc, url in places:
        if (why := exists(url)) is not None:
            out.append(loaded.where(loc, f"repository {url} is not reachable from here: {why}"))
    return out


def _longest_gap(job: Job, now: datetime) -> int:
    """The longest time between two of the next runs, in seconds (0 if it has fewer than two)."""
    slots = parse_schedule(job.schedule).upcoming(now, 6)
    return max((int((b - a).total_seconds()) for a, b in zip(slots, slots[1:], strict=False)), default=0)


def _text(seconds: int) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _unique(problems: list[Problem]) -> list[Problem]:
    seen, out = set(), []
    for p in problems:
        if str(p) not in seen:
            seen.add(str(p))
            out.append(p)
    return out
