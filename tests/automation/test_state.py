"""A job's state object and run lock in the repository: sealed, bound to its name, and unlockable."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from tests.e2e.conftest import PASSWORD, run_cli

from lambda_ark import embedded
from lambda_ark.automation.state import (
    JobRunning,
    JobState,
    job_lock,
    job_lock_prefixes,
    load_state,
    save_state,
    state_name,
)
from lambda_ark.repository import Repository


@pytest.fixture
def repo(tmp_path: Path) -> Repository:
    return Repository.init(str(tmp_path / "repo"), password=PASSWORD)


def test_state_round_trips_sealed(repo: Repository) -> None:
    slot = datetime(2025, 3, 10, 12, tzinfo=UTC)
    save_state(repo, JobState(job="nightly", last_slot=slot))
    raw = repo.backend.get(state_name("nightly"))
    assert b"nightly" not in raw and b"2025" not in raw  # sealed like every object
    state, problem = load_state(repo, "nightly")
    assert (state.last_slot, problem) == (slot, "")
    assert load_state(repo, "new") == (JobState(job="new"), "")


def test_a_damaged_or_moved_state_is_started_afresh_with_a_warning(repo: Repository) -> None:
    save_state(repo, JobState(job="a", last_slot=datetime(2025, 3, 10, tzinfo=UTC)))
    raw = repo.backend.get(state_name("a"))
    repo.backend.put(state_name("b"), raw)  # a's state put in b's place: bound to its name, refused
    state, problem = load_state(repo, "b")
    assert state.last_slot is None and problem.startswith("jobs/b/state is unreadable and was started afresh")
    repo.backend.put(state_name("a"), raw[:-1] + bytes([raw[-1] ^ 1]))
    state, problem = load_state(repo, "a")
    assert state.last_slot is None and "authentication failed" in problem


def test_one_run_per_job_and_jobs_apart(repo: Repository) -> None:
    with job_lock(repo, "a"):
        with pytest.raises(JobRunning, match=r"^job a is already running \(run by pid \d+ on "):
            with job_lock(repo, "a"):
                pass
        with job_lock(repo, "b"), repo.lock(exclusive=True):  # other jobs, and prune, are not held up
            pass
    with job_lock(repo, "a"):
        pass  # released


def test_unlock_removes_stale_job_locks(endpoint: embedded.Endpoint, repo: Repository, tmp_path: Path) -> None:
    old = (datetime.now(UTC) - timedelta(hours=2)).isoformat()
    repo.backend.put("jobs/nightly/locks/dead", json.dumps(
        {"exclusive": True, "host": "elsewhere", "pid": 1, "time": old}).encode())
    assert job_lock_prefixes(repo) == ["jobs/nightly/locks/"]
    with job_lock(repo, "nightly"):  # a stale lock does not block the job even before it is removed
        pass
    out = run_cli("unlock", "--repo", str(tmp_path / "repo"), endpoint=endpoint.url)
    assert out.returncode == 0 and out.stdout.strip() == "removed 1 locks"
    assert not repo.backend.exists("jobs/nightly/locks/dead")
