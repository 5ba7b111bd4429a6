"""The embedded AWS endpoint: moto's server on 127.0.0.1, made faithful where backup depends on it.

This is part of the product (demo, `lambda-ark endpoint`, no-credentials mode), not a test helper.
Each fidelity patch lives in its own module here; nothing outside this package knows it is moto.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from moto.moto_server.threaded_moto_server import ThreadedMotoServer


@dataclass
class Endpoint:
    url: str
    server: ThreadedMotoServer

    def stop(self) -> None:
        self.server.stop()


def start(port: int = 0, host: str = "127.0.0.1") -> Endpoint:
    """Start a fresh endpoint on `host:port` (0 = a free port) in a background thread."""
    server = ThreadedMotoServer(ip_address=host, port=port, verbose=False)
    server.start()
    h, p = server.get_host_and_port()
    return Endpoint(url=f"http://{h}:{p}", server=server)


_shared: Endpoint | None = None
_shared_lock = threading.Lock()


def shared_endpoint() -> Endpoint:
    """The process-wide endpoint used when no credentials are configured."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = start()
        return _shared
