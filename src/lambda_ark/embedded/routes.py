"""Extra HTTP routes the embedded endpoint serves next to moto (under `/_ark/`).

AWS serves some things from other hosts (presigned S3 URLs for code); the embedded endpoint serves
them itself so that a download works with nothing but the URL, like on AWS. Patches register a
handler per path prefix; the middleware calls it before moto ever sees the request.
"""

from __future__ import annotations

from collections.abc import Callable
from xml.sax.saxutils import escape

from werkzeug.wrappers import Request, Response

Handler = Callable[[Request], Response]

PREFIX = "/_ark/"
_handlers: dict[str, Handler] = {}


def register(prefix: str, handler: Handler) -> None:
    """Serve every request whose path starts with `prefix` (which must start with `/_ark/`)."""
    if not prefix.startswith(PREFIX):
        raise ValueError(f"embedded routes live under {PREFIX}: {prefix!r}")
    _handlers[prefix] = handler


def find(path: str) -> Handler | None:
    for prefix, handler in _handlers.items():
        if path.startswith(prefix):
            return handler
    return None


def s3_error(status: int, code: str, message: str) -> Response:
    """An error body shaped like S3's, since the URLs we serve stand in for presigned S3 URLs."""
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{escape(code)}</Code><Message>{escape(message)}</Message></Error>"
    )
    return Response(body, status=status, content_type="application/xml")
