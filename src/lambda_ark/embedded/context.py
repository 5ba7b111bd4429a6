"""What a patch needs to know about the request it is answering: which endpoint, at which address.

moto's backends are process-global, but a presigned URL must name the server the client actually
reached (several endpoints may run in one process). The middleware records the serving endpoint in
a thread-local for the duration of each request; werkzeug's threaded server gives every request its
own thread, so nothing leaks between concurrent requests.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass
class Settings:
    """Per-endpoint knobs that patches read while answering a request."""

    base_url: str
    # Lifetime of presigned code URLs, seconds. AWS issues 10-minute URLs; 0 issues URLs that are
    # already expired, which lets callers test how they handle expiry without waiting.
    code_url_ttl: int = 600


_local = threading.local()
_fallback: Settings | None = None


def current() -> Settings:
    """The settings of the endpoint serving this thread's request (or the last one started)."""
    settings: Settings | None = getattr(_local, "settings", None)
    if settings is not None:
        return settings
    if _fallback is not None:
        return _fallback
    return Settings(base_url="http://127.0.0.1")


def set_fallback(settings: Settings) -> None:
    global _fallback
    _fallback = settings


@contextmanager
def serving(settings: Settings) -> Iterator[None]:
    previous = getattr(_local, "settings", None)
    _local.settings = settings
    try:
        yield
    finally:
        _local.settings = previous
