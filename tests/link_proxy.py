"""A poor link on loopback: an HTTP proxy in front of an endpoint that adds latency, caps bandwidth,
drops connections mid-body, answers bursts of 5xx, hangs, or goes away altogether.

Clients (boto3, the AWS CLI) talk to it over real HTTP exactly as to S3. It counts what crossed it:
request body bytes received from clients (`received`, partial bodies of dropped requests
included) and those it delivered upstream (`delivered`: only whole requests reach the server, as
S3 never stores a body cut short), so a test or benchmark can tell what was sent twice.

    link = LinkProxy(endpoint.url, latency=0.05, up_rate=2e6, drop_rate=0.05, seed=1)
    url = link.start()
    ...
    link.fail_next(3, status=503)      # a burst of SlowDown
    link.down = True                    # the replica goes away: every connection is cut at once
    link.after_received(10_000_000, lambda: setattr(link, "down", True))   # ... halfway through
"""

from __future__ import annotations

import http.client
import random
import re
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

_HOP = {"connection", "keep-alive", "transfer-encoding", "expect", "proxy-connection", "te", "upgrade"}
_BLOCK = 64 * 1024
_S3_ERRORS = {500: "InternalError", 503: "SlowDown", 403: "AccessDenied", 400: "InvalidRequest"}


class _Wire:
    """One direction of the link: a FIFO pipe of `rate` bytes per second (None: unlimited)."""

    def __init__(self, rate: float | None) -> None:
        self.rate = rate
        self._free_at = 0.0
        self._lock = threading.Lock()

    def carry(self, n: int) -> None:
        if not self.rate:
            return
        with self._lock:
            now = time.monotonic()
            start = max(now, self._free_at)
            self._free_at = start + n / self.rate
            wait = self._free_at - now
        time.sleep(wait)


@dataclass
class Fault:
    method: str  # "" matches any
    path: str  # regex on the path with query
    times: int  # -1: every matching request
    kind: str  # "status", "drop" (cut the body halfway), "hang" (answer nothing for `seconds`)
    status: int = 503
    seconds: float = 0.0
    hits: int = 0


@dataclass
class LinkProxy:
    upstream: str
    latency: float = 0.0  # seconds added to every request (a round trip)
    up_rate: float | None = None  # bytes/s client -> server
    down_rate: float | None = None  # bytes/s server -> client
    drop_rate: float = 0.0  # share of requests whose connection is cut halfway through a body
    seed: int = 0
    down: bool = False  # gone: every request's connection is cut before any answer
    faults: list[Fault] = field(default_factory=list)
    received: int = 0
    delivered: int = 0
    sent: int = 0
    requests: int = 0
    dropped: int = 0
    log: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)
        self._lock = threading.Lock()
        self._up, self._down = _Wire(self.up_rate), _Wire(self.down_rate)
        self._triggers: list[tuple[int, Callable[[], None]]] = []

    # -- faults --------------------------------------------------------------------------------
    def cap(self, up: float | None, down: float | None = None) -> None:
        """Cap the link at `up` / `down` bytes per second from now on (None: unlimited)."""
        self.up_rate, self.down_rate = up, down
        self._up, self._down = _Wire(up), _Wire(down)

    def fail_next(self, n: int, status: int = 503, method: str = "", path: str = "") -> Fault:
        fault = Fault(method, path, n, "status", status=status)
        self.faults.append(fault)
        return fault

    def drop_next(self, n: int, method: str = "", path: str = "") -> Fault:
        fault = Fault(method, path, n, "drop")
        self.faults.append(fault)
        return fault

    def hang_next(self, n: int, seconds: float, method: str = "", path: str = "") -> Fault:
        fault = Fault(method, path, n, "hang", seconds=seconds)
        self.faults.append(fault)
        return fault

    def after_received(self, nbytes: int, action: Callable[[], None]) -> None:
        """Run `action` once clients have sent `nbytes` of request bodies through the link."""
        self._triggers.append((nbytes, action))

    def _fault(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for f in self.faults:
                wanted = (not f.method or f.method == method) and re.search(f.path, path)
                if wanted and (f.times < 0 or f.hits < f.times):
                    f.hits += 1
                    return f
        return None

    def _count_received(self, n: int) -> None:
        fire = []
        with self._lock:
            self.received += n
            for trigger in list(self._triggers):
                if self.received >= trigger[0]:
                    self._triggers.remove(trigger)
                    fire.append(trigger[1])
        for action in fire:
            action()

    def _roll_drop(self) -> bool:
        with self._lock:
            return self.drop_rate > 0 and self._rng.random() < self.drop_rate

    # -- serving -------------------------------------------------------------------------------
    def start(self) -> str:
        proxy = self
        up = urlsplit(self.upstream)

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _cut(self) -> None:
                # RST, not FIN: the client sees a reset connection, as when a link dies
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.close_connection = True
                with proxy._lock:
                    proxy.dropped += 1

            def _read_body(self, cut_at: int | None) -> bytes | None:
                length = int(self.headers.get("Content-Length") or 0)
                chunks, got = [], 0
                while got < length:
                    want = min(_BLOCK, length - got)
                    if cut_at is not None and got + want > cut_at:
                        want = cut_at - got
                        if want <= 0:
                            return None
                    block = self.rfile.read(want)
                    if not block:
                        return None
                    proxy._up.carry(len(block))
                    proxy._count_received(len(block))
                    chunks.append(block)
                    got += len(block)
                    if cut_at is not None and got >= cut_at:
                        return None
                return b"".join(chunks)

            def _send(self, status: int, headers: list[tuple[str, str]], body: bytes, cut: bool) -> None:
                self.send_response(status)
                head = self.command == "HEAD"  # no body, but the object's Content-Length goes through
                for k, v in headers:
                    if k.lower() not in _HOP and (head or k.lower() != "content-length"):
                        self.send_header(k, v)
                if not head:
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                end = len(body) // 2 if cut else len(body)
                for pos in range(0, end, _BLOCK):
                    block = body[pos : min(end, pos + _BLOCK)]
                    proxy._down.carry(len(block))
                    self.wfile.write(block)
                    with proxy._lock:
                        proxy.sent += len(block)
                if cut:
                    self.wfile.flush()
                    self._cut()

            def _handle(self) -> None:
                with proxy._lock:
                    proxy.requests += 1
                    proxy.log.append(f"{self.command} {self.path}")
                if proxy.down:
                    self._cut()
                    return
                if proxy.latency:
                    time.sleep(proxy.latency)
                fault = proxy._fault(self.command, self.path)
                length = int(self.headers.get("Content-Length") or 0)
                drop = (fault is not None and fault.kind == "drop") or proxy._roll_drop()
                drop_request = drop and length > 0
                body = self._read_body(length // 2 if drop_request else None)
                if body is None or proxy.down:
                    self._cut()
                    return
                if fault is not None and fault.kind == "hang":
                    time.sleep(fault.seconds)
                    self._cut()
                    return
                if fault is not None and fault.kind == "status":
                    code = _S3_ERRORS.get(fault.status, "ServiceUnavailable")
                    xml = f"<Error><Code>{code}</Code><Message>injected</Message></Error>".encode()
                    self._send(fault.status, [("Content-Type", "application/xml")], xml, cut=False)
                    return
                conn = http.client.HTTPConnection(up.hostname, up.port, timeout=60)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP}
                conn.request(self.command, self.path, body=body, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                conn.close()
                with proxy._lock:
                    proxy.delivered += len(body)
                self._send(resp.status, resp.getheaders(), data, cut=drop and not drop_request and len(data) > 1)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _handle  # noqa: N815

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request: object, client_address: object) -> None:
                pass  # clients killed mid-request (as the tests and benchmarks do) are not news

        self._server = Server(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
