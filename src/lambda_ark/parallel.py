"""An interrupt-friendly parallel map: Ctrl-C stops the run now, not when running calls finish.

`concurrent.futures.ThreadPoolExecutor` waits for every submitted call on the way out (its `with`
block, and again at interpreter exit), so a Ctrl-C during a backup of a thousand functions waits
for all of them. `parallel_map` runs the calls on daemon threads instead:

- results come back in the order of `items`, like `list(map(fn, items))`;
- if calls raise, every item still runs and the first exception (in item order) is raised at the
  end, as `list(executor.map(...))` inside a `with` block does;
- if the waiting thread is interrupted (KeyboardInterrupt, SystemExit), items not yet started are
  never started, running calls are not waited for, and the interrupt propagates at once, so the
  caller's `finally` blocks (a repository lock's release) run straight away;
- a `parallel_map` called from inside another's worker is cancelled with it: its unstarted items are
  skipped and its waiting thread raises `Cancelled` (a BaseException, so per-item `except Exception`
  handlers do not mistake it for a failure of their item).

Calls already running when an interrupt comes go on in the background until they return; a CLI
exits the process (`os._exit`) once its cleanup is done rather than wait for them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

__all__ = ["Cancelled", "parallel_map"]

# How often a waiting thread looks up whether an enclosing map was cancelled.
_POLL_SECONDS = 0.1


class Cancelled(BaseException):  # noqa: N818 - like KeyboardInterrupt: a stop, not an error
    """An enclosing `parallel_map` was interrupted; the work of this one was abandoned."""


class _Token:
    """Cancelled when this map's waiter was interrupted, or when any enclosing map's was."""

    def __init__(self, parent: _Token | None) -> None:
        self.parent = parent
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    def cancelled(self) -> bool:
        token: _Token | None = self
        while token is not None:
            if token._event.is_set():
                return True
            token = token.parent
        return False


_current = threading.local()  # the token of the map whose worker this thread is


def parallel_map(fn: Callable[[T], R], items: Iterable[T], workers: int) -> list[R]:
    """`[fn(x) for x in items]` on up to `workers` threads; see the module docstring for how it stops."""
    todo = list(items)
    if not todo:
        return []
    token = _Token(getattr(_current, "token", None))
    results: list[Any] = [None] * len(todo)
    errors: dict[int, BaseException] = {}
    lock = threading.Lock()
    finished = threading.Event()
    state = {"next": 0, "done": 0}

    def worker() -> None:
        _current.token = token
        while True:
            with lock:
                i = state["next"]
                if i >= len(todo):
                    return
                state["next"] = i + 1
            if not token.cancelled():
                try:
                    results[i] = fn(todo[i])
                except BaseException as exc:  # noqa: BLE001 - handed to the waiting thread
                    errors[i] = exc
            with lock:
                state["done"] += 1
                if state["done"] == len(todo):
                    finished.set()

    try:
        for n in range(max(1, min(workers, len(todo)))):
            threading.Thread(target=worker, name=f"lambda-ark-map-{n}", daemon=True).start()
        while not finished.wait(_POLL_SECONDS):
            if token.cancelled():
                raise Cancelled()
    except BaseException:
        token.cancel()  # unstarted items are skipped; running ones are left to finish on their own
        raise
    if token.cancelled():
        raise Cancelled()
    if errors:
        raise errors[min(errors)]
    return results
