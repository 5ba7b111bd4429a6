"""The audit log: hash chains under audit/, what `audit verify` finds when someone tampers with it."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from lambda_ark.audit import Draft, append, events, find_problems, read, record, verify
from lambda_ark.audit.log import Entry
from lambda_ark.repository import Repository
from lambda_ark.repository.auditnames import EventName, chain_heads

from .conftest import PASSWORD, snapshot

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def clock(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def names(repo: Repository, writer: str | None = None) -> list[Path]:
    root = Path(repo.url, "audit")
    return sorted(p for p in root.rglob("*") if p.is_file() and (writer is None or p.parent.name == writer))


def chain(repo: Repository, writer: str = "aaaa", n: int = 4, start: int = 0) -> list[Path]:
    for i in range(n):
        append(repo, Draft(command=f"op{i}"), writer=writer, clock=lambda i=i: clock(start + i))
    return names(repo, writer)


def test_untouched_log_verifies(local_repo: Repository) -> None:
    chain(local_repo)
    result = verify(local_repo)
    assert result.ok, result.problems
    assert (result.events, result.chains) == (4, 1)
    found, warnings = events(local_repo)
    assert [e.command for e in found] == ["op0", "op1", "op2", "op3"] and not warnings
    assert [e.seq for e in found] == [1, 2, 3, 4] and found[0].prev is None and found[1].prev is not None


def test_deleted_event_is_named(local_repo: Repository) -> None:
    paths = chain(local_repo)
    paths[1].unlink()
    result = verify(local_repo)
    assert not result.ok
    assert result.problems == ["missing: event aaaa#2 (the chain goes on to #4)"]


def test_altered_event_is_named(local_repo: Repository) -> None:
    paths = chain(local_repo)
    raw = bytearray(paths[2].read_bytes())
    raw[-5] ^= 1
    paths[2].write_bytes(bytes(raw))
    result = verify(local_repo)
    assert result.problems == [f"{paths[2].relative_to(local_repo.url)}: altered: it fails to authenticate"]
    _, warnings = events(local_repo)  # the listing goes on without it, saying so
    assert len(warnings) == 1 and "altered" in warnings[0]


def test_event_swapped_for_another_valid_one_is_named(local_repo: Repository) -> None:
    paths = chain(local_repo)
    paths[1].write_bytes(paths[2].read_bytes())  # sealed with the right key, but not what the name says
    result = verify(local_repo)
    assert result.problems == [f"{paths[1].relative_to(local_repo.url)}: altered: its content does not match its id"]


def test_reordered_events_are_named(local_repo: Repository) -> None:
    paths = chain(local_repo)
    a, b = (EventName.parse(str(p.relative_to(local_repo.url))) for p in paths[1:3])
    assert a is not None and b is not None
    # Swap their places: each keeps its id (so it opens and hashes right) but takes the other's seq and time.
    new_a = EventName(a.writer, b.seq, b.ms, a.id)
    new_b = EventName(b.writer, a.seq, a.ms, b.id)
    paths[1].rename(Path(local_repo.url, new_a.name))
    paths[2].rename(Path(local_repo.url, new_b.name))
    problems = verify(local_repo).problems
    assert any(p.startswith(f"reordered: {new_a.name} holds event aaaa#2") for p in problems), problems
    assert any(p.startswith(f"reordered: {new_b.name} holds event aaaa#3") for p in problems), problems


def test_deleting_the_newest_events_is_found_through_a_later_snapshot(local_repo: Repository) -> None:
    paths = chain(local_repo, n=3)
    with local_repo.writer() as w:
        snap_id = w.commit(snapshot())
    head = local_repo.snapshots()[-1].audit
    assert head == {"aaaa": str(paths[-1].relative_to(local_repo.url))}
    paths[-1].unlink()  # the newest event: no later event names it, only the snapshot header
    problems = verify(local_repo).problems
    assert problems == [f"missing: event {head['aaaa']}, the head of chain aaaa when snapshot {snap_id[:8]} was "
                        "committed (events at the end of the log were deleted)"]


def test_deleting_a_whole_chain_is_found_through_another_chain(local_repo: Repository) -> None:
    gone = chain(local_repo, "aaaa", n=2)
    chain(local_repo, "bbbb", n=1, start=10)  # names aaaa's head in `after`
    for p in gone:
        p.unlink()
    problems = verify(local_repo).problems
    assert problems == [f"missing: event {gone[-1].relative_to(local_repo.url)} (named by bbbb#1)"]


def test_objects_that_are_not_events_are_named(local_repo: Repository) -> None:
    chain(local_repo, n=1)
    Path(local_repo.url, "audit", "notes.txt").write_text("hello")
    assert verify(local_repo).problems == ["audit/notes.txt: not an audit event (put there by hand?)"]


def test_an_append_that_cannot_be_stored_is_a_warning_not_an_error(local_repo: Repository,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(name: str, data: bytes) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(local_repo.backend, "put", refuse)
    warning = record(local_repo, Draft(command="prune"))
    assert warning is not None and "prune event was not written" in warning and "disk full" in warning


def test_a_clock_that_steps_back_keeps_the_chain_in_order(local_repo: Repository) -> None:
    append(local_repo, Draft(command="a"), writer="aaaa", clock=lambda: clock(10))
    event = append(local_repo, Draft(command="b"), writer="aaaa", clock=lambda: clock(5))
    assert event.time == clock(10) and verify(local_repo).ok


_CHILD = """
import sys
from lambda_ark.audit import Draft, append
from lambda_ark.repository import Repository
repo = Repository.open(sys.argv[1], password=sys.argv[2])
for i in range(5):
    append(repo, Draft(command=f"{sys.argv[3]}-{i}"))
"""


def test_concurrent_processes_append_safely(local_repo: Repository) -> None:
    children = [subprocess.Popen([sys.executable, "-c", _CHILD, local_repo.url, PASSWORD, tag])
                for tag in ("left", "right")]
    assert [c.wait(timeout=120) for c in children] == [0, 0]
    result = verify(local_repo)
    assert result.ok and (result.events, result.chains) == (10, 2), result.problems
    found, _ = events(local_repo)
    assert sorted(e.command for e in found) == sorted(f"{t}-{i}" for t in ("left", "right") for i in range(5))
    assert [e.time for e in found] == sorted(e.time for e in found)  # chains merged by time


def _entry(writer: str, seq: int, prev: str | None, after: list[str] | None = None, minute: int = 0) -> Entry:
    from lambda_ark.audit import AuditEvent

    t = clock(minute or seq)
    event = AuditEvent(writer=writer, seq=seq, prev=prev, after=after or [], time=t, host="h", user="u",
                       command="c", outcome="ok")
    return Entry(EventName(writer, seq, int(t.timestamp() * 1000), f"{writer[0]}{seq}".ljust(64, "0")), event)


def _id(writer: str, seq: int) -> str:
    return f"{writer[0]}{seq}".ljust(64, "0")


@pytest.mark.parametrize(("entries", "heads", "expected"), [
    ([_entry("aaaa", 1, None), _entry("aaaa", 2, _id("aaaa", 1))], {}, []),
    ([_entry("aaaa", 2, _id("aaaa", 1))], {}, ["missing: event aaaa#1 (the chain goes on to #2)"]),
    ([_entry("aaaa", 1, None), _entry("aaaa", 2, _id("aaaa", 9))], {},
     [f"reordered or replaced: aaaa#2 does not follow aaaa#1 (it names {_id('aaaa', 9)[:12]}… as its previous "
      "event)"]),
    ([_entry("aaaa", 1, None, minute=5), _entry("aaaa", 2, _id("aaaa", 1), minute=1)], {},
     ["reordered: aaaa#2 is older than aaaa#1"]),
    ([_entry("bbbb", 1, None, after=["audit/aaaa/x"])], {}, ["missing: event audit/aaaa/x (named by bbbb#1)"]),
    ([_entry("aaaa", 1, None)], {"s" * 64: {"aaaa": "audit/aaaa/y"}},
     ["missing: event audit/aaaa/y, the head of chain aaaa when snapshot ssssssss was committed (events at the "
      "end of the log were deleted)"]),
])
def test_find_problems(entries: list[Entry], heads: dict[str, dict[str, str]], expected: list[str]) -> None:
    assert find_problems(entries, [], heads) == expected


def test_chain_heads_cover_the_chains_active_near_the_newest_event() -> None:
    hour = 3600 * 1000
    names_ = [EventName("old", 1, 0, "a" * 64), EventName("new", 1, 5 * hour, "b" * 64),
              EventName("new", 2, 6 * hour, "c" * 64), EventName("near", 3, 5 * hour + 1, "d" * 64)]
    assert set(chain_heads(names_)) == {"new", "near"}
    assert chain_heads(names_)["new"].seq == 2
    assert chain_heads([]) == {}


def test_read_skips_events_deleted_while_listing(local_repo: Repository, monkeypatch: pytest.MonkeyPatch) -> None:
    paths = chain(local_repo, n=2)
    real_get = local_repo.backend.get

    def get(name: str, *args: object, **kw: object) -> bytes:
        if name.endswith(paths[0].name):
            paths[0].unlink(missing_ok=True)
        return real_get(name, *args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(local_repo.backend, "get", get)
    entries, _ = read(local_repo)
    assert len(entries) == 1
