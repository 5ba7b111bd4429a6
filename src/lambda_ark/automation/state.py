"""What the repository remembers about each job: the slot it last claimed, how its last run went, the
newest good snapshot per account; and the lock that keeps a job from overlapping itself.

    jobs/<job>/state        sealed JSON (JobState), bound to its name like index files
    jobs/<job>/locks/<id>   plaintext lock documents, as locks/ (stale rules and refresh identical)

A run takes the job's lock (write, then look: two racing runs may both back off, never both go),
reads the state again under it, claims its slot by writing the state, runs, and writes the outcome.
A job's lock conflicts only with that job's locks: other jobs, backups and restores go on.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from pydantic import BaseModel, Field

from ..errors import IntegrityError, LockError
from ..policy.schedule import parse_schedule
from ..repository import Repository
from ..repository.backends import NotFound
from ..repository.crypto import named
from ..repository.locks import Lock, list_locks

STATE_VERSION = 1


class JobRunning(LockError):
    """The job is running elsewhere (its lock is held): this run of it does not start."""


class Claim(BaseModel):
    """A run in progress: written when it starts, cleared when it ends. Found under a free lock, it
    names a run that died."""

    slot: datetime | None = None
    started: datetime
    host: str = Field(default_factory=socket.gethostname)
    pid: int = Field(default_factory=os.getpid)
    trigger: str = "schedule"


class LastRun(BaseModel):
    slot: datetime | None = None
    started: datetime
    finished: datetime
    status: str  # ok | partial | failed
    trigger: str = "schedule"
    policy: str = ""  # sha256 of the policy file it followed


class AccountState(BaseModel):
    last_good: datetime | None = None  # time of the newest snapshot written without errors
    snapshot: str = ""  # its id
    last_status: str = ""


class ShardLayout(BaseModel):
    """How the state machine last split one account's region (`deploy`): into `count` shards that
    held `functions` functions between them. The planner sizes the next run from it."""

    count: int = 1
    functions: int = 0


class JobState(BaseModel):
    version: int = STATE_VERSION
    job: str
    last_slot: datetime | None = None  # the newest slot claimed: never run again
    running: Claim | None = None
    last_run: LastRun | None = None
    accounts: dict[str, AccountState] = Field(default_factory=dict)
    shards: dict[str, ShardLayout] = Field(default_factory=dict)  # "account/region" -> its last layout

    def last_good(self, account: str) -> datetime | None:
        state = self.accounts.get(account)
        return state.last_good if state else None


def due_slot(schedule_text: str, now: datetime, last_slot: datetime | None) -> datetime | None:
    """The slot to run now, or None: the schedule's newest slot at or before `now`, unless already
    claimed (pure: table-tested). Jobs and their drills both decide by it."""
    slot = parse_schedule(schedule_text).latest(now)
    if slot is None or (last_slot is not None and slot <= last_slot):
        return None
    return slot


def state_name(job: str) -> str:
    return f"jobs/{job}/state"


def lock_prefix(job: str) -> str:
    return f"jobs/{job}/locks/"


def load_state(repo: Repository, job: str) -> tuple[JobState, str]:
    """The job's state (an empty one for a new job) and a warning if the stored one was unusable."""
    name = state_name(job)
    try:
        raw = repo.backend.get(name)
    except NotFound:
        return JobState(job=job), ""
    try:
        state = JobState.model_validate_json(repo.key.open(raw, named("state", name), name))
    except (IntegrityError, ValueError) as exc:
        # A damaged state costs at most one repeated slot; refusing would stop the job for good.
        return JobState(job=job), f"{name} is unreadable and was started afresh ({' '.join(str(exc).split())})"
    if state.job != job:
        return JobState(job=job), f"{name} names job {state.job!r}; started afresh"
    return state, ""


def save_state(repo: Repository, state: JobState) -> None:
    name = state_name(state.job)
    repo.backend.put(name, repo.key.seal(state.model_dump_json().encode(), named("state", name)))


@contextmanager
def job_lock(repo: Repository, job: str) -> Iterator[Lock]:
    """Hold the job's run lock, or raise JobRunning naming who holds it."""
    lock = Lock(repo.backend, exclusive=True, prefix=lock_prefix(job))
    try:
        lock.acquire()
    except LockError:
        holders = [x for x in list_locks(repo.backend, lock_prefix(job)) if x.name != lock.name and not x.is_stale()]
        who = holders[0].describe().replace("exclusive lock", "run") if holders else "another run"
        raise JobRunning(f"job {job} is already running ({who}); not started again") from None
    try:
        yield lock
    finally:
        lock.release()


def job_lock_prefixes(repo: Repository) -> list[str]:
    """Every job's lock folder present in the repository (for `unlock`)."""
    names = {o.name.split("/locks/", 1)[0] for o in repo.backend.list("jobs/") if "/locks/" in o.name}
    return sorted(f"{n}/locks/" for n in names)
