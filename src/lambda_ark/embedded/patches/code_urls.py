"""Code downloads: `Code.Location` and layer `Content.Location` become working presigned URLs.

AWS: `GetFunction` returns `Code.Location`, a presigned S3 URL valid for 10 minutes, from which the
deployment package downloads with a plain HTTP GET; the bytes hash (base64 SHA-256) to `CodeSha256`.
`GetLayerVersion` / `PublishLayerVersion` do the same in `Content.Location`.
moto: `Code.Location` names an S3 host that does not resolve and a key in no bucket; layer
`Content.Location` is the literal `s3://`.

Here both become `<endpoint>/_ark/<kind>/<region>/<account>/<name>/<version>?...&X-Amz-Signature=...`
served by the embedded endpoint itself. Like an S3 presigned URL the link is signed (tampering gives
403 SignatureDoesNotMatch) and expires (403 AccessDenied "Request has expired"). It names one
immutable package (`versionId` = its SHA-256), so a URL issued before an `UpdateFunctionCode` still
returns the code it was issued for, as S3 does.
"""

from __future__ import annotations

import calendar
import hashlib
import hmac
import secrets
import threading
import time
from typing import Any
from urllib.parse import quote, unquote

from moto.awslambda.models import LambdaFunction, LayerVersion
from werkzeug.wrappers import Request, Response

from .. import context, routes

FUNCTION_KIND = "lambda-code"
LAYER_KIND = "layer-code"
_DATE_FORMAT = "%Y%m%dT%H%M%SZ"

# Signing secret for this process: URLs are only ever checked by the process that issued them.
_secret = secrets.token_bytes(32)
# Packages by SHA-256 hex. Entries are added when a URL is issued and hold the same bytes objects
# moto already holds; superseded packages stay until `reset()` (acceptable for a local endpoint).
_blobs: dict[str, bytes] = {}
_blobs_lock = threading.Lock()


def presign(kind: str, region: str, account: str, name: str, version: str, data: bytes) -> str:
    """A presigned download URL for `data`, on the endpoint serving the current request."""
    settings = context.current()
    digest = hashlib.sha256(data).hexdigest()
    with _blobs_lock:
        _blobs.setdefault(digest, data)
    path = f"{routes.PREFIX}{kind}/{region}/{account}/{quote(name, safe='')}/{quote(version, safe='')}"
    date = time.strftime(_DATE_FORMAT, time.gmtime())
    expires = str(max(0, settings.code_url_ttl))
    signature = _sign(path, digest, date, expires)
    query = (
        f"versionId={digest}&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date={date}"
        f"&X-Amz-Expires={expires}&X-Amz-SignedHeaders=host&X-Amz-Signature={signature}"
    )
    return f"{settings.base_url}{path}?{query}"


def _sign(path: str, digest: str, date: str, expires: str) -> str:
    message = "\n".join((unquote(path), digest, date, expires)).encode()
    return hmac.new(_secret, message, hashlib.sha256).hexdigest()


def serve(request: Request) -> Response:
    """GET/HEAD of a presigned package URL, checked like S3 checks a presigned GET."""
    if request.method not in ("GET", "HEAD"):
        return routes.s3_error(405, "MethodNotAllowed", "The specified method is not allowed.")
    args = request.args
    digest, date, expires = args.get("versionId", ""), args.get("X-Amz-Date", ""), args.get("X-Amz-Expires", "")
    signature = args.get("X-Amz-Signature", "")
    expected = _sign(request.path, digest, date, expires)
    if not signature or not hmac.compare_digest(signature, expected):
        return routes.s3_error(
            403, "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided.",
        )
    try:
        issued = calendar.timegm(time.strptime(date, _DATE_FORMAT))
        lifetime = int(expires)
    except ValueError:
        return routes.s3_error(403, "AccessDenied", "Invalid date or expiry in the presigned URL.")
    if time.time() >= issued + lifetime:
        return routes.s3_error(403, "AccessDenied", "Request has expired")
    with _blobs_lock:
        data = _blobs.get(digest)
    if data is None:
        return routes.s3_error(404, "NoSuchKey", "The specified key does not exist.")
    response = Response(data, status=200, content_type="application/zip")
    response.headers["ETag"] = f'"{hashlib.md5(data).hexdigest()}"'  # noqa: S324 - S3's ETag is MD5
    return response


def reset() -> None:
    with _blobs_lock:
        _blobs.clear()


def _function_get_code(original: Any) -> Any:
    def get_code(self: LambdaFunction) -> dict[str, Any]:
        resp: dict[str, Any] = original(self)
        code = resp.get("Code")
        data = getattr(self, "code_bytes", None)
        if code is not None and code.get("RepositoryType") == "S3" and data is not None:
            code["Location"] = presign(
                FUNCTION_KIND, self.region, self.account_id, self.function_name, str(self.version), data
            )
        return resp

    return get_code


def _layer_version_dict(original: Any) -> Any:
    def get_layer_version(self: LayerVersion) -> dict[str, Any]:
        resp: dict[str, Any] = original(self)
        data = getattr(self, "code_bytes", b"")
        if data:
            resp["Content"]["Location"] = presign(
                LAYER_KIND, self.region, self.account_id, self.name, str(self.version), data
            )
        return resp

    return get_layer_version


def apply() -> None:
    LambdaFunction.get_code = _function_get_code(LambdaFunction.get_code)  # type: ignore[method-assign]
    LayerVersion.get_layer_version = _layer_version_dict(LayerVersion.get_layer_version)  # type: ignore[method-assign]
    routes.register(f"{routes.PREFIX}{FUNCTION_KIND}/", serve)
    routes.register(f"{routes.PREFIX}{LAYER_KIND}/", serve)
