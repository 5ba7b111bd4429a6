"""Rich progress for long work on a terminal; nothing at all with --json/--quiet or when piped."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.status import Status

from ..kinds.base import Change
from .common import console


@contextmanager
def region_progress(enabled: bool) -> Iterator[Callable[[str, str, int], None] | None]:
    """Yields a callback (event, region, n) for `run_backup`, drawing one bar per region."""
    if not enabled or not sys.stderr.isatty():
        yield None
        return
    bars = Progress(
        TextColumn("{task.description:<16}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        transient=True,
        console=console(stderr=True),
    )
    tasks: dict[str, TaskID] = {}
    lock = threading.Lock()

    def callback(event: str, region: str, n: int) -> None:
        with lock:
            if event == "total":
                tasks[region] = bars.add_task(region, total=n)
            elif region in tasks:
                bars.advance(tasks[region], n)

    with bars:
        yield callback


@contextmanager
def change_progress(verb: str, enabled: bool) -> Iterator[Callable[[Change], None] | None]:
    """A spinner counting restore changes as they happen; nothing when piped or with --json."""
    if not enabled or not sys.stderr.isatty():
        yield None
        return
    counts: dict[str, int] = {}
    with Status(f"{verb}...", console=console(stderr=True)) as status:

        def callback(change: Change) -> None:
            counts[change.action] = counts.get(change.action, 0) + 1
            done = ", ".join(f"{n} {a}" for a, n in sorted(counts.items()))
            status.update(f"{verb}: {done} (last: {change.kind} {change.target})")

        yield callback
