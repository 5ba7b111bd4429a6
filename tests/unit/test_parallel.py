"""parallel_map: map semantics, and a Ctrl-C that does not wait for running calls."""

from __future__ import annotations

import _thread
import threading

import pytest

from lambda_ark.parallel import Cancelled, parallel_map


def test_results_keep_the_order_of_the_items() -> None:
    assert parallel_map(lambda x: x * x, range(50), workers=7) == [x * x for x in range(50)]
    assert parallel_map(lambda x: x, [], workers=4) == []


def test_every_item_runs_and_the_first_failure_in_item_order_is_raised() -> None:
    ran: list[int] = []

    def fn(x: int) -> int:
        ran.append(x)
        if x in (3, 7):
            raise ValueError(f"item {x}")
        return x

    with pytest.raises(ValueError, match="item 3"):
        parallel_map(fn, range(10), workers=3)
    assert sorted(ran) == list(range(10))


def test_an_interrupt_returns_at_once_and_starts_nothing_more() -> None:
    release = threading.Event()
    started: list[int] = []

    def fn(x: int) -> int:
        started.append(x)
        if x == 0:
            _thread.interrupt_main()  # Ctrl-C, delivered to the waiting (main) thread
        release.wait(30)  # a call that takes long: the map must not wait for it
        return x

    with pytest.raises(KeyboardInterrupt):
        parallel_map(fn, range(20), workers=2)
    assert not release.is_set()  # we got here while calls were still running
    release.set()
    assert len(started) <= 2  # the items not yet started never were


def test_a_nested_map_is_cancelled_with_its_parent() -> None:
    release, reported = threading.Event(), threading.Event()
    outcome: list[str] = []
    inner_started: list[int] = []

    def inner(x: int) -> int:
        inner_started.append(x)
        release.wait(30)
        return x

    def outer(x: int) -> None:
        _thread.interrupt_main()
        try:
            parallel_map(inner, range(10), workers=1)
            outcome.append("finished")
        except Cancelled:
            outcome.append("cancelled")
        reported.set()

    with pytest.raises(KeyboardInterrupt):
        parallel_map(outer, [0], workers=1)
    release.set()
    assert reported.wait(30)
    assert outcome == ["cancelled"] and len(inner_started) <= 1  # the other inner items never ran
