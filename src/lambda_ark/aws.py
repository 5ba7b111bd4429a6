"""AWS sessions and clients: one client per (service, region), adaptive retries, region discovery.

Everything else in lambda-ark reaches AWS through `Aws.client`. Which endpoint that is (AWS,
LocalStack, the embedded endpoint) is decided here once and nowhere else.
"""

from __future__ import annotations

import functools
import os
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import boto3
import botocore.exceptions
import botocore.session
from botocore.config import Config
from botocore.credentials import RefreshableCredentials

from .errors import AwsError, UsageError
from .ratelimit import Limiter

# Error codes with which AWS says "slow down" (counted per attempt in `Aws.throttles`).
THROTTLE_CODES = frozenset({"TooManyRequestsException", "ThrottlingException", "Throttling", "RequestLimitExceeded",
                            "SlowDown", "TooManyRequests"})

DEFAULT_REGION = "us-east-1"
SESSION_NAME = "lambda-ark"  # RoleSessionName of every assumed role: CloudTrail shows lambda-ark's calls as such

# Called with (service, operation), e.g. ("lambda", "GetFunction"), in the calling thread before every
# AWS call any `Aws` makes. The permission tests record through it which code made which call (and so
# which IAM action each kind needs); empty in normal runs.
CALL_HOOKS: list[Callable[[str, str], None]] = []


def _call_hooks(model: Any, **_: Any) -> None:
    for hook in CALL_HOOKS:
        hook(model.service_model.service_name, model.name)


def observed(client: Any) -> Any:
    """A client made outside `Aws.client` (a configuration of its own, as the S3 repository's) whose
    calls the CALL_HOOKS still see, so the permission checks cover them too."""
    client.meta.events.register("before-call", _call_hooks)
    return client


@dataclass
class Aws:
    """A boto3 session plus the endpoint it talks to, handing out cached, thread-safe clients."""

    session: boto3.Session
    endpoint_url: str | None = None
    max_workers: int = 8
    embedded: bool = False  # talks to the embedded endpoint started in this process (--endpoint-url embedded)
    # AWS calls made through this Aws, by "service.Operation" (for --json results and benchmarks)
    calls: Counter[str] = field(default_factory=Counter)
    # attempts AWS answered with a throttle, by "service.Operation" (retried by botocore)
    throttles: Counter[str] = field(default_factory=Counter)
    # Token buckets keeping this Aws to a share of AWS's API rates (None: no client-side limit).
    limiter: Limiter | None = None
    _clients: dict[tuple[str, str], Any] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _account: str | None = field(default=None, repr=False)

    def client(self, service: str, region: str | None = None) -> Any:
        region = region or self.session.region_name or DEFAULT_REGION
        key = (service, region)
        with self._lock:
            if key not in self._clients:
                # adaptive mode rate-limits client-side after throttles, which is what the Lambda
                # control plane (about 15 requests/s for most calls) needs when regions run in parallel.
                config = Config(
                    retries={"mode": "adaptive", "max_attempts": int(os.environ.get("AWS_MAX_ATTEMPTS") or 8)},
                    max_pool_connections=max(10, self.max_workers * 2),
                    connect_timeout=5,
                    read_timeout=60,
                )
                client = self.session.client(service, region_name=region, endpoint_url=self.endpoint_url, config=config)
                client.meta.events.register("before-call", self._count)
                client.meta.events.register("needs-retry", self._count_throttle)
                # before-send fires for every attempt, retries included: each one takes a token
                client.meta.events.register("before-send", functools.partial(self._take_token, region))
                self._clients[key] = client
            return self._clients[key]

    def _count(self, model: Any, **_: Any) -> None:
        service = model.service_model.service_name
        with self._lock:
            self.calls[f"{service}.{model.name}"] += 1
        for hook in CALL_HOOKS:
            hook(service, model.name)

    def _count_throttle(self, response: Any = None, operation: Any = None, **_: Any) -> None:
        if not response or operation is None:
            return
        code = (response[1] or {}).get("Error", {}).get("Code", "") if isinstance(response, tuple) else ""
        if code in THROTTLE_CODES:
            with self._lock:
                self.throttles[f"{operation.service_model.service_name}.{operation.name}"] += 1

    def _take_token(self, region: str, event_name: str = "", **_: Any) -> None:
        if self.limiter is None:
            return
        parts = event_name.split(".")  # before-send.<service>.<Operation>
        if len(parts) != 3 or parts[1] not in ("lambda", "cloudtrail"):
            return
        if self._account is None:  # the bucket's account, asked once (STS is not metered)
            self._account = self.account_id()
        self.limiter.acquire(self._account, region, parts[1], parts[2])

    def account_id(self) -> str:
        return str(call(self.client("sts"), "get_caller_identity")["Account"])

    def assume(self, role_arn: str, external_id: str | None = None, session_name: str = SESSION_NAME) -> Aws:
        """An `Aws` for another account: `role_arn` assumed with STS from this one's credentials.

        The credentials renew themselves (AssumeRole again) before they expire, so a backup longer
        than a session still ends under valid credentials. Fails at once (AwsError) if the role
        cannot be assumed.
        """
        sts = self.client("sts")
        args: dict[str, Any] = {"RoleArn": role_arn, "RoleSessionName": session_name}
        if external_id:
            args["ExternalId"] = external_id

        def fetch() -> dict[str, str]:
            creds = call(sts, "assume_role", **args)["Credentials"]
            return {
                "access_key": creds["AccessKeyId"],
                "secret_key": creds["SecretAccessKey"],
                "token": creds["SessionToken"],
                "expiry_time": creds["Expiration"].isoformat(),
            }

        credentials = RefreshableCredentials.create_from_metadata(
            metadata=fetch(), refresh_using=fetch, method="sts-assume-role"
        )
        core = botocore.session.Session()
        core._credentials = credentials  # botocore has no public setter for refreshable credentials
        session = boto3.Session(botocore_session=core, region_name=self.session.region_name)
        # the same token buckets (keyed by account): every Aws of one run shares one API budget
        return Aws(session=session, endpoint_url=self.endpoint_url, max_workers=self.max_workers,
                   embedded=self.embedded, limiter=self.limiter)

    def known_regions(self) -> set[str]:
        return set(self.session.get_available_regions("lambda")) | {DEFAULT_REGION}

    def enabled_regions(self) -> list[str]:
        """Regions this account has enabled, asked of EC2 at every run (never a fixed list)."""
        resp = call(self.client("ec2", self.session.region_name or DEFAULT_REGION), "describe_regions")
        # Only this session's partition, where Lambda exists (China and GovCloud need their own sessions).
        known = self.known_regions()
        return sorted(
            r["RegionName"]
            for r in resp["Regions"]
            if r.get("OptInStatus", "opt-in-not-required") != "not-opted-in" and r["RegionName"] in known
        )

    def resolve_regions(self, requested: Iterable[str] | None) -> list[str]:
        """`None` or ["all"] means every enabled region; otherwise validate each name.

        An explicit list with no names in it is a mistake, not "all regions"."""
        if requested is None:
            return self.enabled_regions()
        wanted = [r.strip() for r in requested if r.strip()]
        if not wanted:
            raise UsageError("no region given: name regions, or 'all'")
        if wanted == ["all"]:
            return self.enabled_regions()
        known = self.known_regions()
        for region in wanted:
            if region not in known:
                raise UsageError(f"unknown region {region!r} (known: e.g. us-east-1, eu-west-1)")
        return sorted(set(wanted))


def call(client: Any, operation: str, **kwargs: Any) -> Any:
    """Call one AWS operation, turning botocore failures into one-line `AwsError`s."""
    try:
        return getattr(client, operation)(**kwargs)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
        raise as_aws_error(client, operation, exc) from exc


def as_aws_error(client: Any, operation: str, exc: Exception) -> AwsError:
    """The one-line error for a failed call (or paginated call): what, where, and AWS's answer."""
    where = f"{operation} in {client.meta.region_name}"
    if isinstance(exc, botocore.exceptions.ClientError):
        return AwsError(f"{where}: {_client_error_text(exc)}")
    if isinstance(exc, botocore.exceptions.EndpointConnectionError):
        return AwsError(f"{where}: cannot reach {exc.kwargs.get('endpoint_url')}")
    return AwsError(f"{where}: {one_line(str(exc))}")


def error_code(exc: BaseException) -> str:
    """The AWS error code behind an exception (or its cause), '' if none."""
    while exc is not None:
        if isinstance(exc, botocore.exceptions.ClientError):
            return str(exc.response.get("Error", {}).get("Code", ""))
        exc = exc.__cause__  # type: ignore[assignment]
    return ""


def _client_error_text(exc: botocore.exceptions.ClientError) -> str:
    err = exc.response.get("Error", {})
    return one_line(f"{err.get('Code', 'Error')}: {err.get('Message', '')}")


def one_line(text: str, limit: int = 300) -> str:
    """Errors are one line: collapse whitespace (some endpoints answer with HTML) and cap the length."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def has_credentials(session: boto3.Session) -> bool:
    try:
        return session.get_credentials() is not None
    except botocore.exceptions.BotoCoreError:
        return False


EMBEDDED = "embedded"  # --endpoint-url / AWS_ENDPOINT_URL value that starts the embedded endpoint

EMBEDDED_MISSING = (
    "the embedded AWS endpoint is not installed (it is the optional extra lambda-ark[embedded], left out of "
    "the package deployed into Lambda); install it with: pip install 'lambda-ark[embedded]'"
)
# What the extra brings: an import failing on one of these means the extra is missing, not a bug.
_EMBEDDED_DISTRIBUTIONS = ("moto", "werkzeug", "flask", "flask_cors", "responses", "xmltodict", "jsonpath_ng")


def load_embedded() -> ModuleType:
    """The embedded endpoint package, imported only when it is asked for (it needs moto, which the
    Lambda package and a plain `pip install lambda-ark` do not carry). UsageError naming the extra
    when it is not installed."""
    try:
        from . import embedded
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] in _EMBEDDED_DISTRIBUTIONS:
            raise UsageError(EMBEDDED_MISSING) from exc
        raise
    return embedded

NO_CREDENTIALS = (
    "no AWS credentials found (looked in AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE and the "
    "shared config and credentials files with their profiles and SSO, container and instance metadata); "
    "configure credentials, or use the embedded AWS endpoint explicitly: --endpoint-url embedded "
    "or AWS_ENDPOINT_URL=embedded"
)


def connect(
    endpoint_url: str | None = None, region: str | None = None, max_workers: int = 8, api_share: float | None = None
) -> Aws:
    """Open an `Aws` for the standard credential chain, or for one endpoint.

    `endpoint_url` (or `AWS_ENDPOINT_URL`) points every client at one endpoint, e.g. LocalStack or a
    running `lambda-ark endpoint`; the value `embedded` starts lambda-ark's own endpoint in this
    process. With neither and no credentials this is an error, never a silent switch to an empty
    in-memory estate: a backup of that would "succeed" over nothing.

    `api_share` (0-1) keeps every call to a quota-metered API (`ratelimit.rate_of`) within that share of
    AWS's published rate, per account and region, across all threads of the returned `Aws`.
    """
    endpoint_url = endpoint_url or os.environ.get("AWS_ENDPOINT_URL") or None
    region_name = region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or DEFAULT_REGION
    try:
        session = boto3.Session(region_name=region_name)
    except botocore.exceptions.BotoCoreError as exc:  # e.g. AWS_PROFILE names no profile
        raise AwsError(f"AWS configuration: {one_line(str(exc))}") from exc
    embedded = endpoint_url is not None and endpoint_url.strip().lower() == EMBEDDED
    if embedded:
        endpoint_url = load_embedded().shared_endpoint().url
    elif endpoint_url is None and not has_credentials(session):
        raise AwsError(NO_CREDENTIALS)
    if embedded or (endpoint_url is not None and not has_credentials(session)):
        # Local endpoints accept any key; AWS would reject these, which is the point. The embedded
        # endpoint never sees real credentials, even when some are configured.
        session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=region_name)
    limiter = Limiter(share=api_share) if api_share is not None else None
    return Aws(session=session, endpoint_url=endpoint_url, max_workers=max_workers, embedded=embedded, limiter=limiter)
