"""`daemon`: `run` on its own clock. It wakes at each job's next slot, runs what is due, and sleeps
again; on start it runs what is due at once, which after downtime catches up one missed slot per
job. It re-reads the policy file before each round (an invalid edit is reported and the last good
policy kept). `stop` (SIGTERM) ends the wait at once; a job that is running finishes first.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ..errors import LambdaArkError, describe
from ..policy.schedule import parse_schedule
from .context import Context
from .run import RunReport, run_due

MAX_SLEEP = timedelta(hours=1)  # wake at least hourly: a policy edit can bring a slot closer
RETRY_AFTER = timedelta(minutes=1)  # after a round that failed as a whole (the repository unreachable)


@dataclass
class Daemon:
    ctx: Context
    reload: Callable[[], Context | None] = lambda: None  # a fresh context when the policy changed
    on_round: Callable[[RunReport], None] = lambda report: None
    on_error: Callable[[str], None] = lambda message: None
    stop: threading.Event = field(default_factory=threading.Event)
    wait: Callable[[float], bool] | None = None  # returns True when stopped; default: stop.wait
    rounds: int = 0

    def run(self) -> None:
        wait = self.wait or self.stop.wait
        while not self.stop.is_set():
            delay = self._round()
            if wait(max(delay.total_seconds(), 0.0)) or self.stop.is_set():
                return

    def _round(self) -> timedelta:
        try:
            fresh = self.reload()
        except LambdaArkError as exc:
            self.on_error(f"policy not reloaded, the previous one stays in force: {exc}")
            fresh = None
        if fresh is not None:
            self.ctx = fresh
        self.rounds += 1
        try:
            self.on_round(run_due(self.ctx))
        except Exception as exc:  # noqa: BLE001 - the daemon outlives one bad round
            self.on_error(f"round failed: {describe(exc)}; trying again in {RETRY_AFTER}")
            return RETRY_AFTER
        return self.until_next(self.ctx.clock())

    def until_next(self, now: datetime) -> timedelta:
        """How long to sleep: until the earliest next slot of any job or drill, at most MAX_SLEEP."""
        schedules = [job.schedule for job in self.ctx.policy.jobs.values()]
        schedules += [job.drill.schedule for job in self.ctx.policy.jobs.values() if job.drill is not None]
        slots = [s for text in schedules if (s := parse_schedule(text).following(now)) is not None]
        if not slots:
            return MAX_SLEEP
        return min(min(slots) - now, MAX_SLEEP)
