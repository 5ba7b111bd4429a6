"""The embedded AWS endpoint: moto's server on 127.0.0.1, made faithful where backup depends on it.

This is part of the product (demo, `lambda-ark endpoint`, no-credentials mode), not a test helper.
Each fidelity patch lives in its own module under `patches/` and is applied once per process, before
the first server starts; nothing outside this package knows it is moto.

State is process-global: moto keeps its backends in module-level dictionaries, so every endpoint
started in one process serves the same accounts, regions and resources (two `start()` calls give two
addresses onto one world). `reset()` empties that world for every endpoint at once.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from . import calls, cloudtrail, context
from .patches import apply_all, code_urls
from .quotas import Quotas
from .server import Server

__all__ = ["Endpoint", "reset", "shared_endpoint", "start"]


@dataclass
class Endpoint:
    """A running embedded endpoint: point boto3's `endpoint_url` at `url`."""

    url: str
    server: Server = field(repr=False)

    @property
    def quotas(self) -> Quotas | None:
        """AWS's API rate quotas as this endpoint enforces them (None: it enforces none)."""
        return self.server.quotas

    @property
    def code_url_ttl(self) -> int:
        """Seconds a presigned code URL issued by this endpoint stays valid (AWS: 600)."""
        return self.server.settings.code_url_ttl

    @code_url_ttl.setter
    def code_url_ttl(self, seconds: int) -> None:
        self.server.settings.code_url_ttl = seconds

    @contextmanager
    def code_urls_expiring_after(self, seconds: int) -> Iterator[None]:
        """Issue code URLs with this lifetime inside the block (0: already expired when issued)."""
        previous = self.code_url_ttl
        self.code_url_ttl = seconds
        try:
            yield
        finally:
            self.code_url_ttl = previous

    def reset(self) -> None:
        """Forget every resource (in every endpoint of this process: the state is shared)."""
        reset()

    def stop(self) -> None:
        self.server.stop()


def start(port: int = 0, host: str = "127.0.0.1", latency: float = 0.0, aws_quotas: bool = False) -> Endpoint:
    """Start an endpoint on `host:port` (0 = a free port) in a background thread.

    `latency` (seconds) delays every request, so concurrency can be tried as it behaves against AWS,
    where a call costs a network round trip rather than local CPU. `aws_quotas` enforces AWS's API
    rate quotas per account and region (`quotas.py`), answering AWS's throttling errors.
    """
    apply_all()
    server = Server(host, port, latency=latency, aws_quotas=aws_quotas)
    context.set_fallback(server.settings)
    server.start()
    return Endpoint(url=server.settings.base_url, server=server)


def reset() -> None:
    """Empty every moto backend of this process, like POST /moto-api/reset, and our own stores."""
    from moto.moto_api._internal.models import moto_api_backend

    moto_api_backend.reset()
    code_urls.reset()
    cloudtrail.reset()
    calls.reset()


_shared: Endpoint | None = None
_shared_lock = threading.Lock()


def shared_endpoint() -> Endpoint:
    """The process-wide endpoint used when no credentials are configured."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = start()
        return _shared
