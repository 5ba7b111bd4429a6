"""The HTTP server: moto's WSGI app behind a small middleware, on a background thread.

Why not moto's ThreadedMotoServer: it offers no hook to wrap the app (we need `/_ark/` routes and the
per-request endpoint context) and its request handler logs every request to stderr.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Request, Response

from . import calls, cloudtrail, context, lookup_events, routes
from .quotas import Quotas

log = logging.getLogger("lambda_ark.embedded")


class QuietRequestHandler(MotoRequestHandler):
    """moto's handler without werkzeug's per-request access log on stderr (kept at DEBUG instead)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        if log.isEnabledFor(logging.DEBUG):
            log.debug("%s %s", self.requestline, code)

    def log(self, type: str, message: str, *args: Any) -> None:
        # Errors (a client that hung up, a handler that raised) stay visible, but through logging.
        level = logging.ERROR if type == "error" else logging.DEBUG
        log.log(level, message.rstrip(), *args)


class ArkMiddleware:
    """Serve `/_ark/` routes; meter quotas and answer CloudTrail's LookupEvents; otherwise hand the
    request to moto, inside the endpoint's context, and record what it changed (CloudTrail)."""

    def __init__(self, app: Any, settings: context.Settings, latency: float = 0.0,
                 quotas: Quotas | None = None) -> None:
        self.app = app
        self.settings = settings
        self.latency = latency
        self.quotas = quotas

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        if self.latency:
            time.sleep(self.latency)  # each request has its own thread: a delay, not a queue
        with context.serving(self._settings_for(environ)):
            path = environ.get("PATH_INFO", "")
            handler = routes.find(path) if path.startswith(routes.PREFIX) else None
            if handler is not None:
                return handler(Request(environ))(environ, start_response)
            call = calls.identify(environ)
            if call is not None and self.quotas is not None and (refused := self.quotas.admit(call)) is not None:
                return refused(environ, start_response)
            if call is not None and call.service == "cloudtrail" and call.operation == "LookupEvents":
                return lookup_events.handle(call)(environ, start_response)
            started = datetime.now(UTC)
            answered: list[Any] = []

            def keep_status(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
                answered[:] = [status, headers]
                return start_response(status, headers, exc_info)

            try:
                # moto builds its responses eagerly, so the body is complete before the context ends.
                body = list(self.app(environ, keep_status))
            except Exception as exc:  # noqa: BLE001 - becomes an AWS-style error, not a stderr traceback
                return _error_response(exc)(environ, start_response)
            if call is not None and answered and cloudtrail.recordable(call):
                _record(call, started, answered, body)
            return body

    def _settings_for(self, environ: dict[str, Any]) -> context.Settings:
        # Presigned URLs must name the address the client used to reach us (e.g. 127.0.0.1 vs
        # localhost, or a published port), so take it from the Host header when there is one.
        host = environ.get("HTTP_HOST")
        if not host:
            return self.settings
        scheme = environ.get("wsgi.url_scheme", "http")
        return context.Settings(base_url=f"{scheme}://{host}", code_url_ttl=self.settings.code_url_ttl)


def _record(call: calls.ApiCall, started: datetime, answered: list[Any], body: list[bytes]) -> None:
    try:
        status = int(str(answered[0]).split()[0])
        cloudtrail.record(call, started, status, dict(answered[1]), b"".join(body))
    except Exception:  # noqa: BLE001 - recording must never fail the call it records
        log.debug("embedded endpoint could not record a CloudTrail event", exc_info=True)


def _error_response(exc: Exception) -> Response:
    """An unimplemented or failing operation as a JSON error botocore can read (and does not retry)."""
    if isinstance(exc, NotImplementedError):
        status, code = 501, "NotImplemented"
    else:
        status, code = 500, "InternalFailure"
        log.debug("embedded endpoint failed a request", exc_info=exc)
    body = json.dumps({"__type": code, "message": f"lambda-ark embedded endpoint: {exc}"})
    return Response(body, status=status, content_type="application/json", headers={"x-amzn-ErrorType": code})


class Server:
    """One listening socket serving the (process-global) moto backends on a daemon thread."""

    def __init__(self, host: str, port: int, latency: float = 0.0, aws_quotas: bool = False) -> None:
        self.settings = context.Settings(base_url="")
        self.quotas = Quotas() if aws_quotas else None
        app = ArkMiddleware(DomainDispatcherApplication(create_backend_app), self.settings, latency, self.quotas)
        self._httpd: BaseWSGIServer = make_server(host, port, app, threaded=True, request_handler=QuietRequestHandler)
        bound_host, bound_port = self._httpd.server_address[:2]
        self.host, self.port = str(bound_host), int(bound_port)
        self.settings.base_url = f"http://{_url_host(self.host)}:{self.port}"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, name=f"lambda-ark-endpoint-{self.port}", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()


def _url_host(host: str) -> str:
    if host in ("0.0.0.0", ""):
        return "127.0.0.1"  # reachable locally; remote clients use the Host header path anyway
    if ":" in host:
        return f"[{host}]"
    return host
