"""Small helpers the Lambda-native kinds share: paging, waiting, downloading code, comparing."""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import botocore.exceptions

from ..aws import as_aws_error, call, error_code
from ..errors import AwsError
from .base import RegionContext

DOWNLOAD_ATTEMPTS = 3
T = TypeVar("T")


def pages(client: Any, operation: str, key: str, **kwargs: Any) -> Iterator[Any]:
    """Every item of a paged list call, with failures as one-line `AwsError`s.

    botocore's paginator where it has one; otherwise (events.list_event_buses, ...) NextToken by hand.
    """
    if not client.can_paginate(operation):
        while True:
            page = call(client, operation, **kwargs)
            yield from page.get(key, [])
            if not page.get("NextToken"):
                return
            kwargs["NextToken"] = page["NextToken"]
    try:
        for page in client.get_paginator(operation).paginate(**kwargs):
            yield from page.get(key, [])
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
        raise as_aws_error(client, operation, exc) from exc


_memo_lock = threading.Lock()


def memo(cache: dict[str, Any], key: tuple[str, ...], compute: Callable[[], T]) -> T:
    """One answer per run for a read several kinds or functions need (aliases, versions, concurrency,
    a code signing config many functions share): computed once even when asked for at the same time
    by functions captured in parallel (the others wait for it)."""
    with _memo_lock:
        store: dict[tuple[str, ...], Any] = cache.setdefault("memo", {})
        if key in store:
            return store[key]  # type: ignore[no-any-return]
        key_lock: threading.Lock = cache.setdefault("memo_locks", {}).setdefault(key, threading.Lock())
    with key_lock:
        with _memo_lock:
            if key in store:
                return store[key]  # type: ignore[no-any-return]
        value = compute()
        with _memo_lock:
            store[key] = value
    return value


def aliases_of(cache: dict[str, Any], client: Any, name: str) -> list[dict[str, Any]]:
    return memo(
        cache,
        ("aliases", client.meta.region_name, name),
        lambda: list(pages(client, "list_aliases", "Aliases", FunctionName=name)),
    )


def seed_versions(cache: dict[str, Any], region: str, versions: dict[str, list[dict[str, Any]]]) -> None:
    """Published versions already listed (ListFunctions with FunctionVersion=ALL), by function name:
    `versions_of` answers from them instead of calling ListVersionsByFunction."""
    with _memo_lock:
        store: dict[tuple[str, ...], Any] = cache.setdefault("memo", {})
        for name, found in versions.items():
            ordered = sorted((v for v in found if v["Version"] != "$LATEST"), key=lambda v: int(v["Version"]))
            store[("versions", region, name)] = ordered


def versions_of(cache: dict[str, Any], client: Any, name: str) -> list[dict[str, Any]]:
    """Published versions only ($LATEST left out)."""
    return memo(
        cache,
        ("versions", client.meta.region_name, name),
        lambda: [
            v
            for v in pages(client, "list_versions_by_function", "Versions", FunctionName=name)
            if v["Version"] != "$LATEST"
        ],
    )


# What each service answers when the thing asked about does not exist: its own error codes (as the
# wire carries them, which is not always the shape's name: IAM's NoSuchEntityException is
# "NoSuchEntity"), from the API reference and AWS responses recorded in LocalStack's parity tests.
# A code left out here turns "absent" into a failure (provisioned concurrency never restored because
# ProvisionedConcurrencyConfigNotFoundException was not "missing"); a code put in wrongly hides one.
NOT_FOUND: dict[str, tuple[str, ...]] = {
    "lambda": (
        "ResourceNotFoundException",  # function, version, alias, policy, URL, invoke config, code signing config
        "ProvisionedConcurrencyConfigNotFoundException",  # a version or alias without provisioned concurrency
        "CodeSigningConfigNotFoundException",  # Put/GetFunctionCodeSigningConfig naming a deleted config
    ),
    "iam": ("NoSuchEntity",),
    # HeadBucket/HeadObject have no body: their 404 comes as code "404" (or "NotFound")
    "s3": ("NoSuchBucket", "NoSuchKey", "404", "NotFound"),
    "apigateway": ("NotFoundException",),
    "apigatewayv2": ("NotFoundException",),
    "events": ("ResourceNotFoundException",),
    "scheduler": ("ResourceNotFoundException",),
    "sns": ("NotFound", "ResourceNotFound"),  # NotFoundException travels as "NotFound"
    "cloudfront": ("NoSuchDistribution", "NoSuchFunctionExists", "NoSuchResource", "EntityNotFound"),
    "dynamodb": ("ResourceNotFoundException", "TableNotFoundException"),
    "kinesis": ("ResourceNotFoundException",),
    "sqs": ("QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue", "ResourceNotFoundException"),
    "secretsmanager": ("ResourceNotFoundException",),
    "ssm": ("ParameterNotFound",),
    "kms": ("NotFoundException",),
    "stepfunctions": ("StateMachineDoesNotExist",),
    "elbv2": ("TargetGroupNotFound", "LoadBalancerNotFound", "ListenerNotFound", "RuleNotFound"),
    "logs": ("ResourceNotFoundException",),
    "cognito-idp": ("ResourceNotFoundException",),
    "pipes": ("NotFoundException",),
    "iot": ("ResourceNotFoundException",),
    "ses": ("RuleSetDoesNotExist", "RuleDoesNotExist"),
    "firehose": ("ResourceNotFoundException",),
    "appsync": ("NotFoundException",),
    "cloudwatch": ("ResourceNotFound",),
}


def not_found_codes(client: Any) -> tuple[str, ...]:
    """The codes with which `client`'s service says "no such thing" (see NOT_FOUND)."""
    service = str(client.meta.service_model.service_name)
    if service not in NOT_FOUND:
        raise KeyError(f"no not-found codes known for service {service!r}: add them to kinds.common.NOT_FOUND")
    return NOT_FOUND[service]


def maybe(client: Any, operation: str, *, missing: tuple[str, ...] | None = None, **kwargs: Any) -> Any | None:
    """Call, and return None when AWS answers that the thing does not exist.

    `missing` defaults to the client's service's own codes (NOT_FOUND); pass it only to narrow them.
    """
    try:
        return call(client, operation, **kwargs)
    except AwsError as exc:
        if error_code(exc) in (not_found_codes(client) if missing is None else missing):
            return None
        raise


# Answers meaning "this endpoint or this caller cannot use that API", not "that call failed": an API
# newer than the endpoint (emulators answer 404 or NotImplemented), or one the role may not call.
# The endpoint does not offer the API at all (an emulator, a partition without it). Not AccessDenied:
# a role missing a permission is the user's to fix, so it fails the kind (and the run is partial).
UNAVAILABLE = ("UnknownOperationException", "NotImplemented", "404")


def unavailable(exc: BaseException) -> bool:
    return error_code(exc) in UNAVAILABLE


def optional(ctx: RegionContext, operation: str, **kwargs: Any) -> Any | None:
    """A Lambda read not every endpoint or role offers (recursion, runtime management, code signing).

    None when the API is unavailable in this region (then one warning per region and operation, and
    no further calls to it in this run) or when the function is gone; other failures raise.
    """
    store: set[tuple[str, str]] = ctx.cache.setdefault("unavailable", set())
    key = (ctx.region, operation)
    if key in store:
        return None
    try:
        return maybe(ctx.client("lambda"), operation, **kwargs)
    except AwsError as exc:
        if not unavailable(exc):
            raise
        with _memo_lock:
            first = key not in store
            store.add(key)
        if first:
            ctx.warnings.append(f"{operation} is not available in {ctx.region} ({error_code(exc)}): not recorded")
        return None


def offered(ctx: RegionContext, service: str) -> bool:
    """Whether `service` exists in ctx.region, by botocore's endpoint data: a region that data leaves
    out (EventBridge Pipes in a new region, say) has nothing to scan, and calling there would only
    fail to connect. A service the data lists nowhere is assumed to be everywhere."""
    regions = memo(ctx.cache, ("offered", service), lambda: set(ctx.aws.session.get_available_regions(service)))
    return not regions or ctx.region in regions


def code_sha256(data: bytes) -> str:
    """Lambda's CodeSha256: base64 of the SHA-256 digest."""
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def download(url: str, what: str, timeout: float = 60) -> bytes:
    """Fetch a presigned code URL. Raises AwsError naming `what` on any failure or short read."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:  # noqa: S310 - presigned https URL
            expected = resp.headers.get("Content-Length")
            data: bytes = resp.read()
    except urllib.error.HTTPError as exc:
        raise AwsError(f"downloading code of {what}: HTTP {exc.code} (URL expired or refused)") from exc
    except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
        raise AwsError(f"downloading code of {what}: {exc}") from exc
    if expected is not None and int(expected) != len(data):
        raise AwsError(f"downloading code of {what}: got {len(data)} of {expected} bytes")
    return data


def fetch_verified(get_location: Any, expected_sha: str, what: str) -> bytes:
    """Download code, verify its CodeSha256, and retry with a fresh presigned URL on failure.

    `get_location()` returns a new URL each time: presigned URLs expire (10 minutes on AWS), so a
    retry must ask Lambda again rather than reuse the old URL.
    """
    last: AwsError | None = None
    for _ in range(DOWNLOAD_ATTEMPTS):
        try:
            data = download(get_location(), what)
        except AwsError as exc:
            last = exc
            continue
        if code_sha256(data) == expected_sha:
            return data
        last = AwsError(f"code of {what} does not match its CodeSha256 {expected_sha}")
    assert last is not None
    raise last


def wait_updated(client: Any, name: str, qualifier: str | None = None) -> None:
    """Lambda rejects a second update while the first is in progress; wait for it to settle."""
    kwargs: dict[str, Any] = {"FunctionName": name, "WaiterConfig": {"Delay": 1, "MaxAttempts": 300}}
    if qualifier:
        kwargs["Qualifier"] = qualifier
    try:
        client.get_waiter("function_updated_v2").wait(**kwargs)
    except botocore.exceptions.WaiterError as exc:
        raise AwsError(f"function {name} in {client.meta.region_name} did not finish updating: {exc}") from exc


def differing(want: dict[str, Any], have: dict[str, Any]) -> list[str]:
    """Names of the fields that differ between two flat records (names only: values may be secrets)."""
    return sorted(k for k in set(want) | set(have) if want.get(k) != have.get(k))


def stable_hash(obj: Any) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()


def strip_none(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None}
