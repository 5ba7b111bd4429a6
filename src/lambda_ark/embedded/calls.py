"""Which AWS API call an HTTP request to the endpoint is: service, operation, region, account, parameters.

The quota buckets and the CloudTrail recorder must know what a request is before moto answers it.
Requests are SigV4-signed, so the credential scope names the region and the signing service; the
operation comes from the service's own routing rules (X-Amz-Target, Action, or the REST path and
method), which moto implements for its dispatch and which are reused here. Only the services the
middleware acts on are identified; anything else passes through untouched.
"""

from __future__ import annotations

import io
import os
import re
import threading
from dataclasses import dataclass, field
from typing import Any

from moto.core.parse import PROTOCOL_PARSERS
from moto.core.request import Request, determine_request_protocol
from moto.core.routing import get_service_router
from moto.core.utils import get_service_model
from werkzeug.exceptions import HTTPException

# Signing names of the services the endpoint meters or records (API Gateway v1 and v2 share one).
SERVICES = frozenset({"lambda", "s3", "apigateway", "events", "scheduler", "sns", "cloudfront", "iam", "cloudtrail"})
_SCOPE = re.compile(r"Credential=([^/,\s]+)/\d{8}/([^/]+)/([^/]+)/aws4_request")


@dataclass
class ApiCall:
    service: str  # botocore's service name: lambda, apigatewayv2, ...
    operation: str  # e.g. UpdateFunctionConfiguration
    region: str
    account: str
    access_key: str
    environ: dict[str, Any] = field(repr=False)
    body: bytes = field(default=b"", repr=False)
    uri_params: dict[str, Any] = field(default_factory=dict, repr=False)
    source_ip: str = "127.0.0.1"
    user_agent: str = ""

    def parameters(self) -> dict[str, Any]:
        """The request's members by name (as the operation's input shape calls them); {} if unparsable."""
        model = get_service_model(self.service)
        request = _request(self.environ, self.body)
        try:
            protocol = determine_request_protocol(model, request.content_type)
            parser = PROTOCOL_PARSERS[protocol](model.operation_model(self.operation), map_type=dict)
            parsed = parser.parse(
                {
                    "method": request.method,
                    "values": request.values,
                    "headers": request.headers,
                    "body": self.body,
                    "url_path": request.path,
                    "url_params": self.uri_params,
                }
            )
        except Exception:  # noqa: BLE001 - a record without parameters beats a failed request
            return {}
        return dict(parsed)


def identify(environ: dict[str, Any]) -> ApiCall | None:
    """The API call `environ` makes, for the services in SERVICES; None for anything else.

    Buffers the request body (and puts it back), so moto still reads the whole request afterwards.
    """
    match = _SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
    if not match:
        return None
    access_key, region, signing_name = match.groups()
    if signing_name not in SERVICES:
        return None
    service = signing_name
    if signing_name == "apigateway" and environ.get("PATH_INFO", "").startswith("/v2/"):
        service = "apigatewayv2"
    body = _buffer_body(environ)
    try:
        operation, uri_params = get_service_router(service).match(_request(environ, body))
    except (HTTPException, NotImplementedError, KeyError):
        return None
    return ApiCall(
        service=service,
        operation=str(operation.name),
        region=region,
        account=_account(environ, access_key),
        access_key=access_key,
        environ=dict(environ),
        body=body,
        uri_params=dict(uri_params),
        source_ip=str(environ.get("REMOTE_ADDR") or "127.0.0.1"),
        user_agent=str(environ.get("HTTP_USER_AGENT") or ""),
    )


def _request(environ: dict[str, Any], body: bytes) -> Request:
    """A request of our own over the buffered body: reading its form must not consume moto's."""
    return Request({**environ, "wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body))})


def _buffer_body(environ: dict[str, Any]) -> bytes:
    """Read the whole body once and put a fresh stream back for moto."""
    stream = environ.get("wsgi.input")
    if stream is None:
        return b""
    length = environ.get("CONTENT_LENGTH")
    if length:
        data = stream.read(int(length))
    elif environ.get("wsgi.input_terminated"):
        data = stream.read()
    else:
        data = b""
    environ["wsgi.input"] = io.BytesIO(data)
    environ["CONTENT_LENGTH"] = str(len(data))
    return bytes(data)


_accounts: dict[str, str] = {}
_accounts_lock = threading.Lock()


def reset() -> None:
    """Forget which account each access key belongs to (the accounts themselves were reset)."""
    with _accounts_lock:
        _accounts.clear()


def _account(environ: dict[str, Any], access_key: str) -> str:
    """The account moto serves this request from: the same rule as moto's `get_current_account`."""
    if "MOTO_ACCOUNT_ID" in os.environ:
        return os.environ["MOTO_ACCOUNT_ID"]
    if environ.get("HTTP_X_MOTO_ACCOUNT_ID"):
        return str(environ["HTTP_X_MOTO_ACCOUNT_ID"])
    with _accounts_lock:
        if access_key in _accounts:
            return _accounts[access_key]
    from moto.iam.models import get_account_id_from

    account = get_account_id_from(access_key)
    with _accounts_lock:
        _accounts[access_key] = account
    return account
