"""A repository in S3 (s3://bucket/prefix, any region) or on an S3-compatible endpoint (MinIO, …:
s3:https://host:9000/bucket/prefix, or s3://bucket/prefix with `Transfer.s3_endpoint`).

One object per name. Small objects are one PUT; large ones (packs above the multipart threshold)
offer the multipart verbs, which the transport wrapper drives part by part. This module never
retries: botocore is told to try once, and failures worth another try raise `Transient` (timeouts,
resets, truncated bodies, 5xx, SlowDown) for the wrapper to retry with backoff.

Bodies stream in blocks through `on_bytes` both ways, so a rate limit paces the socket rather than
sleeping between bursts. Uploads carry Content-MD5 (the server refuses a body damaged on the way)
instead of a signed payload hash, which botocore would compute by reading the body twice.

When the bucket has Object Lock enabled, every object except those named by `retain_except`
(locks, keys: they must stay deletable) is written with a retention date, so backups cannot be
deleted early even by a compromised writer; `retained_until` lets prune skip what is still locked.
Object Lock buckets are versioned: `delete` adds a delete marker (allowed even on retained
versions), which is how locks are released on a bucket whose default rule retains everything.
"""

from __future__ import annotations

import base64
import builtins
import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, NoReturn

import botocore.exceptions
import urllib3.exceptions
from botocore.config import Config

from ...aws import error_code, observed
from ...errors import RepositoryError, RepositoryNotFound, UsageError
from . import NotFound, ObjectInfo, OnBytes, Transient
from .multipart import Part, Upload

if TYPE_CHECKING:
    from ...aws import Aws
    from .transport import Transfer

_MISSING = {"NoSuchKey", "404", "NotFound", "NoSuchUpload"}
# Answers another try may not meet (AWS's and MinIO's spellings).
_TRANSIENT_CODES = {"SlowDown", "RequestTimeout", "InternalError", "ServiceUnavailable", "Throttling",
                    "ThrottlingException", "RequestLimitExceeded", "TooManyRequests", "XMinioServerNotInitialized"}
_BLOCK = 64 * 1024


def parse_url(url: str) -> tuple[str | None, str, str]:
    """(endpoint or None, bucket, prefix ending in "/" or "") of an S3 repository URL."""
    if url.startswith("s3://"):
        endpoint, rest = None, url[len("s3://"):]
    elif url.startswith(("s3:http://", "s3:https://")):
        scheme, _, after = url[len("s3:"):].partition("://")
        host, _, rest = after.partition("/")
        endpoint = f"{scheme}://{host}"
    else:
        raise UsageError(f"not an S3 repository URL: {url!r}")
    bucket, _, prefix = rest.partition("/")
    if not bucket:
        raise UsageError(f"no bucket in repository URL {url!r}")
    return endpoint, bucket, prefix.strip("/") + "/" if prefix.strip("/") else ""


class _Body:
    """A request body botocore streams in blocks, calling `on_bytes` for each (pacing the upload)."""

    def __init__(self, data: bytes | memoryview, on_bytes: OnBytes | None) -> None:
        self._data, self._pos, self._on_bytes = memoryview(data), 0, on_bytes

    def __len__(self) -> int:
        return len(self._data)

    def read(self, size: int = -1) -> bytes:
        # A block at most per sized read, whatever block size the HTTP client asks for: the limiter
        # paces blocks. read() without a size still means "the rest", as for any file.
        end = len(self._data) if size is None or size < 0 else min(len(self._data), self._pos + min(size, _BLOCK))
        block = bytes(self._data[self._pos : end])
        self._pos = end
        if block and self._on_bytes is not None:
            self._on_bytes(len(block))
        return block

    def seek(self, pos: int, whence: int = 0) -> int:
        self._pos = pos if whence == 0 else self._pos + pos if whence == 1 else len(self._data) + pos
        return self._pos

    def tell(self) -> int:
        return self._pos


def _md5(data: bytes | memoryview) -> str:
    return base64.b64encode(hashlib.md5(data, usedforsecurity=False).digest()).decode()


class S3Backend:
    def __init__(self, url: str, aws: Aws | None = None, transfer: Transfer | None = None) -> None:
        from .transport import Transfer

        transfer = transfer or Transfer()
        endpoint, self.bucket, self.prefix = parse_url(url)
        if aws is None:
            from ...aws import connect

            aws = connect()
        self.url = url
        self.aws = aws  # KMS keys of this repository are reached through the same session
        # An S3-compatible store is named by the URL or by --s3-endpoint; else AWS (or AWS_ENDPOINT_URL).
        self.endpoint = endpoint or transfer.s3_endpoint
        self.multipart_threshold, self.part_size = transfer.multipart_threshold, transfer.part_size
        self._config = Config(
            retries={"mode": "standard", "total_max_attempts": 1},  # the transport wrapper retries
            connect_timeout=transfer.connect_timeout,
            read_timeout=transfer.timeout,
            max_pool_connections=32,
            request_checksum_calculation="when_required",  # we send Content-MD5 ourselves
            s3={"payload_signing_enabled": False, "addressing_style": "path" if self.endpoint else "auto"},
        )
        self.retain_except: tuple[str, ...] = ()
        self.retention_days: int | None = None  # None: the bucket's default retention
        self.region = self._bucket_region()
        self.s3 = self._client(self.region)
        self.lock_mode, self.bucket_days = self._object_lock()

    def _client(self, region: str) -> Any:
        endpoint = self.endpoint or self.aws.endpoint_url
        return observed(self.aws.session.client("s3", region_name=region, endpoint_url=endpoint, config=self._config))

    def _bucket_region(self) -> str:
        try:
            loc = self._client(self.aws.session.region_name or "us-east-1").get_bucket_location(Bucket=self.bucket)
        except botocore.exceptions.ClientError as exc:
            if error_code(exc) in ("NoSuchBucket", "404"):
                raise RepositoryNotFound(f"no bucket {self.bucket!r} for repository {self.url}") from exc
            self._fail("get_bucket_location", "", exc)
        except Exception as exc:  # noqa: BLE001 - classified: transient or final
            self._fail("get_bucket_location", "", exc)
        return str(loc.get("LocationConstraint") or "us-east-1")  # S3 reports us-east-1 as an empty constraint

    def _object_lock(self) -> tuple[str | None, int | None]:
        try:
            conf = self.s3.get_object_lock_configuration(Bucket=self.bucket)["ObjectLockConfiguration"]
        except botocore.exceptions.ClientError as exc:
            if _is_transient(exc):
                self._fail("get_object_lock_configuration", "", exc)
            if error_code(exc) == "ObjectLockConfigurationNotFoundError":
                return None, None  # no Object Lock on this bucket
            # anything else (AccessDenied) must not pass for "no Object Lock": backups would be
            # written without the retention the bucket is there to give them
            raise RepositoryError(f"{self.url}: cannot read the bucket's Object Lock configuration: {exc}") from exc
        except Exception as exc:  # noqa: BLE001
            self._fail("get_object_lock_configuration", "", exc)
        if conf.get("ObjectLockEnabled") != "Enabled":
            return None, None
        default = conf.get("Rule", {}).get("DefaultRetention", {})
        days = int(default.get("Days") or 0) or int(default.get("Years") or 0) * 365 or None
        return str(default.get("Mode") or "GOVERNANCE"), days

    def _key(self, name: str) -> str:
        return self.prefix + name

    def _fail(self, op: str, name: str, exc: BaseException) -> NoReturn:
        where = f"{op} {self.url}/{name}" if name else f"{op} {self.url}"
        if isinstance(exc, botocore.exceptions.ClientError) and error_code(exc) in _MISSING:
            raise NotFound(f"{name}: not found in {self.url}") from exc
        if _is_transient(exc):
            raise Transient(f"{where}: {_text(exc)}") from exc
        raise RepositoryError(f"{where}: {_text(exc)}") from exc

    def _call(self, op: str, name: str, **kwargs: Any) -> Any:
        try:
            return getattr(self.s3, op)(Bucket=self.bucket, **kwargs)
        except Exception as exc:  # noqa: BLE001 - classified: not found, transient or final
            self._fail(op, name, exc)

    def _retention(self, name: str) -> dict[str, Any]:
        days = self.retention_days or self.bucket_days
        if self.lock_mode and days and not name.startswith(self.retain_except):
            return {"ObjectLockMode": self.lock_mode,
                    "ObjectLockRetainUntilDate": datetime.now(UTC) + timedelta(days=days)}
        return {}

    def put(self, name: str, data: bytes, on_bytes: OnBytes | None = None) -> None:
        self._call("put_object", name, Key=self._key(name), Body=_Body(data, on_bytes), ContentLength=len(data),
                   ContentMD5=_md5(data), **self._retention(name))

    def get(self, name: str, offset: int = 0, length: int | None = None, on_bytes: OnBytes | None = None) -> bytes:
        extra: dict[str, Any] = {}
        if offset or length is not None:
            if length == 0:
                return b""
            end = "" if length is None else str(offset + length - 1)
            extra["Range"] = f"bytes={offset}-{end}"
        resp = self._call("get_object", name, Key=self._key(name), **extra)
        parts: list[bytes] = []
        try:
            while block := resp["Body"].read(_BLOCK):
                parts.append(block)
                if on_bytes is not None:
                    on_bytes(len(block))
        except Exception as exc:  # noqa: BLE001 - a body cut short: another try may get it whole
            self._fail("get_object", name, exc)
        data = b"".join(parts)
        expected = resp.get("ContentLength")
        if expected is not None and len(data) != int(expected):
            raise Transient(f"get_object {self.url}/{name}: body cut short ({len(data)} of {expected} bytes)")
        return data

    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        pages = self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self._key(prefix))
        try:
            for page in pages:
                for obj in page.get("Contents", []):
                    yield ObjectInfo(obj["Key"][len(self.prefix):], int(obj["Size"]))
        except Exception as exc:  # noqa: BLE001
            self._fail("list_objects_v2", prefix, exc)

    def exists(self, name: str) -> bool:
        try:
            self._call("head_object", name, Key=self._key(name))
        except NotFound:
            return False
        return True

    def delete(self, name: str) -> None:
        self._call("delete_object", name, Key=self._key(name))

    def retained_until(self, name: str) -> datetime | None:
        if not self.lock_mode:
            return None
        try:
            head = self._call("head_object", name, Key=self._key(name))
        except NotFound:
            return None
        until = head.get("ObjectLockRetainUntilDate")
        return until if isinstance(until, datetime) and until > datetime.now(UTC) else None

    # -- multipart (driven by transport.TransportBackend, which retries each verb) ---------------
    def list_uploads(self, prefix: str) -> builtins.list[Upload]:
        out: builtins.list[Upload] = []
        pages = self.s3.get_paginator("list_multipart_uploads").paginate(Bucket=self.bucket, Prefix=self._key(prefix))
        try:
            for page in pages:
                for up in page.get("Uploads", []):
                    out.append(Upload(up["Key"][len(self.prefix):], up["UploadId"], up["Initiated"]))
        except Exception as exc:  # noqa: BLE001
            self._fail("list_multipart_uploads", prefix, exc)
        return out

    def list_parts(self, name: str, upload_id: str) -> dict[int, Part]:
        parts: dict[int, Part] = {}
        pages = self.s3.get_paginator("list_parts").paginate(Bucket=self.bucket, Key=self._key(name),
                                                             UploadId=upload_id)
        try:
            for page in pages:
                for p in page.get("Parts", []):
                    parts[int(p["PartNumber"])] = Part(int(p["Size"]), str(p["ETag"]).strip('"'))
        except Exception as exc:  # noqa: BLE001
            self._fail("list_parts", name, exc)
        return parts

    def start_upload(self, name: str) -> str:
        resp = self._call("create_multipart_upload", name, Key=self._key(name), **self._retention(name))
        return str(resp["UploadId"])

    def put_part(self, name: str, upload_id: str, number: int, data: bytes | memoryview,
                 on_bytes: OnBytes | None = None) -> str:
        resp = self._call("upload_part", name, Key=self._key(name), UploadId=upload_id, PartNumber=number,
                          Body=_Body(data, on_bytes), ContentLength=len(data), ContentMD5=_md5(data))
        return str(resp["ETag"]).strip('"')

    def complete_upload(self, name: str, upload_id: str, etags: dict[int, str]) -> None:
        parts = [{"PartNumber": n, "ETag": f'"{etags[n]}"'} for n in sorted(etags)]
        self._call("complete_multipart_upload", name, Key=self._key(name), UploadId=upload_id,
                   MultipartUpload={"Parts": parts})

    def abort_upload(self, name: str, upload_id: str) -> None:
        try:
            self._call("abort_multipart_upload", name, Key=self._key(name), UploadId=upload_id)
        except NotFound:
            pass  # already gone: that is what we wanted


def _is_transient(exc: BaseException) -> bool:
    if isinstance(exc, botocore.exceptions.ClientError):
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        return status >= 500 or status == 429 or error_code(exc) in _TRANSIENT_CODES
    if isinstance(exc, botocore.exceptions.SSLError):
        return "certificate" not in str(exc).lower()  # a bad certificate stays bad
    if isinstance(exc, botocore.exceptions.NoCredentialsError | botocore.exceptions.ParamValidationError):
        return False
    return isinstance(exc, botocore.exceptions.BotoCoreError | urllib3.exceptions.HTTPError | OSError)


def _text(exc: BaseException) -> str:
    from ...aws import one_line

    if isinstance(exc, botocore.exceptions.ClientError):
        err = exc.response.get("Error", {})
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        return one_line(f"{err.get('Code') or status}: {err.get('Message') or ''}".rstrip(": "))
    return one_line(str(exc) or type(exc).__name__)
