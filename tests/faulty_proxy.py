"""A small HTTP proxy in front of the embedded endpoint that misbehaves on purpose.

It answers requests matching a rule with a throttle, a 5xx, a truncated body or a 403 (an expired
presigned URL), a given number of times, then forwards as normal. boto3 and lambda-ark's downloader
talk to it over real HTTP, exactly as to AWS.
"""

from __future__ import annotations

import http.client
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


@dataclass
class Rule:
    method: str
    path: str  # regex on the request path (with query)
    times: int  # how many matching requests misbehave (-1: all)
    status: int = 429
    body: bytes = b'{"__type": "TooManyRequestsException", "message": "Rate exceeded"}'
    truncate: bool = False  # forward, but cut the body short
    before: Callable[[], None] | None = None  # run before forwarding (e.g. delete the function)
    headers: str = ""  # regex the request's headers ("Name: value" lines) must match, e.g. one region's signature
    hits: int = 0


@dataclass
class FaultyProxy:
    upstream: str
    rules: list[Rule] = field(default_factory=list)
    seen: list[str] = field(default_factory=list)

    def start(self) -> str:
        proxy = self
        up = urlsplit(self.upstream)

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                proxy.seen.append(f"{self.command} {self.path}")
                rule = proxy._match(self.command, self.path, "\n".join(f"{k}: {v}" for k, v in self.headers.items()))
                if rule and rule.before is None and not rule.truncate:
                    self.send_response(rule.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(rule.body)))
                    self.end_headers()
                    self.wfile.write(rule.body)
                    return
                if rule and rule.before:
                    rule.before()
                conn = http.client.HTTPConnection(up.hostname, up.port, timeout=30)
                # The original Host header travels on, so URLs the endpoint builds (presigned code
                # URLs) point back at this proxy and downloads can misbehave too.
                headers = dict(self.headers.items())
                conn.request(self.command, self.path, body=body, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                self.send_response(resp.status)
                for k, v in resp.getheaders():
                    if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(k, v)
                # a HEAD answer has no body but says the size of the GET's (S3's HeadObject)
                head = self.command == "HEAD" and resp.getheader("Content-Length")
                self.send_header("Content-Length", head or str(len(data)))
                self.end_headers()
                if rule and rule.truncate:
                    self.wfile.write(data[: len(data) // 2])
                    self.close_connection = True
                    return
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _handle  # noqa: N815

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def _match(self, method: str, path: str, headers: str = "") -> Rule | None:
        for rule in self.rules:
            if rule.headers and not re.search(rule.headers, headers):
                continue
            if rule.method == method and re.search(rule.path, path) and (rule.times < 0 or rule.hits < rule.times):
                rule.hits += 1
                return rule
        return None

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
