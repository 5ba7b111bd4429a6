"""Rich progress for long work on a terminal; nothing at all with --json/--quiet or when piped."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn


@contextmanager
def region_progress(enabled: bool) -> Iterator[object]:
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
        console=None,
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
