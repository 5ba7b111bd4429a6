"""The change feed: what changed since the previous snapshot, as CloudTrail records it.

`RevisionId` moves with a function's code and configuration only. Aliases, tags, concurrency, URLs,
invoke configs, permissions, event source mappings and triggers change without it, so an
incremental backup asks CloudTrail (`LookupEvents`, or the same events pushed through EventBridge
to SQS in watch mode) which calls changed what, and reads exactly that again.

`changes_of(record)` maps one CloudTrail record to `Change`s: a function-scoped kind of one function
(`AddPermission` -> policy of that function), of functions found through a resource (a role, an
event source mapping, a code signing config), or a region-scoped trigger kind of a region
(`PutBucketNotificationConfiguration` -> s3_notifications there). It is a pure function of the
record, table-tested. An event lambda-ark cannot place names the whole function (when it names one):
reading too much costs calls, reading too little loses data.

A feed is `complete` when it holds every change since the previous snapshot's coverage
(`covered`: every change before that time is reflected in it). CloudTrail keeps 90 days and delivers
events within minutes (not guaranteed: `delay` allows for it); when the window is too old, or
CloudTrail is denied or unavailable, the feed is incomplete and backup falls back to fingerprints
and the periodic re-read, and says so (`change_feed: none`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from .aws import Aws, error_code
from .errors import AwsError, describe
from .kinds.common import pages
from .parallel import parallel_map

Source = Literal["none", "cloudtrail", "events"]
ALL = "*"  # every function (Change.function) or every region (Change.region)
RETENTION = timedelta(days=90)  # CloudTrail event history
DEFAULT_DELAY = timedelta(minutes=15)  # how late CloudTrail may make an event visible; AWS: "about 5 minutes"
HOME = "us-east-1"  # where IAM's and CloudFront's events are recorded
WATCH_RULE = "lambda-ark-changes"  # the watch's own rule: its changes are not the estate's

# Function-scoped kinds a "the function itself changed" event reads again (role only with --include-roles).
WHOLE = ("role", "layers", "function", "recursion", "runtime_management", "versions", "code_signing", "aliases",
         "concurrency", "url", "invoke_config", "policy", "mapping_tags")
_QUALIFIED = ("versions", "aliases", "concurrency", "url", "invoke_config", "policy")
_ALIAS = ("aliases", "policy", "url", "invoke_config", "concurrency")

# Lambda operations (event names without their API version suffix) -> function-scoped kinds.
_LAMBDA: dict[str, tuple[str, ...]] = {
    "CreateFunction": WHOLE,
    "UpdateFunctionCode": ("function",),
    "UpdateFunctionConfiguration": ("function", "layers", "role"),
    "PublishVersion": ("function", "versions", "concurrency"),
    "CreateAlias": _ALIAS,
    "UpdateAlias": _ALIAS,
    "DeleteAlias": _ALIAS,
    "AddPermission": ("policy",),
    "RemovePermission": ("policy",),
    "PutFunctionConcurrency": ("concurrency",),
    "DeleteFunctionConcurrency": ("concurrency",),
    "PutProvisionedConcurrencyConfig": ("concurrency",),
    "DeleteProvisionedConcurrencyConfig": ("concurrency",),
    "CreateFunctionUrlConfig": ("url",),
    "UpdateFunctionUrlConfig": ("url",),
    "DeleteFunctionUrlConfig": ("url",),
    "PutFunctionEventInvokeConfig": ("invoke_config",),
    "UpdateFunctionEventInvokeConfig": ("invoke_config",),
    "DeleteFunctionEventInvokeConfig": ("invoke_config",),
    "PutFunctionCodeSigningConfig": ("code_signing",),
    "DeleteFunctionCodeSigningConfig": ("code_signing",),
    "PutFunctionRecursionConfig": ("recursion",),
    "PutRuntimeManagementConfig": ("runtime_management",),
}
# Lambda writes that move $LATEST's RevisionId (and so the function's fingerprint) on AWS.
_MOVES_REVISION = frozenset({"CreateFunction", "UpdateFunctionCode", "UpdateFunctionConfiguration", "PublishVersion"})
# Lambda writes that change nothing a function's record holds.
_LAMBDA_IGNORED = frozenset({
    "CreateCodeSigningConfig",  # no function uses a new config yet
    "PublishLayerVersion", "DeleteLayerVersion",  # layer versions are immutable; records keep their content
    "AddLayerVersionPermission", "RemoveLayerVersionPermission",  # not recorded
})
_ESM = ("CreateEventSourceMapping", "UpdateEventSourceMapping", "DeleteEventSourceMapping")
_SNS = frozenset({"Subscribe", "Unsubscribe", "SetSubscriptionAttributes", "ConfirmSubscription", "DeleteTopic"})
_S3 = frozenset({"PutBucketNotification", "PutBucketNotificationConfiguration", "DeleteBucket"})
_IAM_POLICY = frozenset({"CreatePolicyVersion", "DeletePolicyVersion", "SetDefaultPolicyVersion", "DeletePolicy"})
_DATA = frozenset({"PutEvents", "Publish", "PublishBatch", "Invoke"})
# Region-scoped kinds whose every change `changes_of` names. Any other region-scoped kind (a service
# whose events are not mapped yet) is listed on every run, feed or not: never trusted to be unchanged.
REGION_KINDS_NAMED = frozenset({"mappings", "s3_notifications", "apigateway", "apigatewayv2", "eventbridge",
                                "scheduler", "sns", "cloudfront"})
SOURCES = frozenset({"lambda.amazonaws.com", "s3.amazonaws.com", "apigateway.amazonaws.com", "events.amazonaws.com",
                     "scheduler.amazonaws.com", "sns.amazonaws.com", "cloudfront.amazonaws.com", "iam.amazonaws.com"})


class MalformedEvent(ValueError):
    """A message that is not a CloudTrail record lambda-ark can read."""


@dataclass(frozen=True)
class Change:
    """Something to read again: a kind of one function (`function`), of every function (ALL), of the
    functions a `resource` leads to (function None, resource set), or a region-scoped kind's listing
    (function None, no resource)."""

    region: str  # or ALL (IAM)
    kind: str
    function: str | None = None
    resource: str = ""  # a role name, an event source mapping UUID, a code signing config ARN
    event: str = ""  # the CloudTrail eventName
    time: datetime | None = None
    # The event moves the function's RevisionId, so its fingerprint shows it: when the fingerprint has
    # not moved since the previous snapshot, that snapshot was read after the event (nothing to read).
    moves_revision: bool = False

    def target(self) -> str:
        if self.function:
            return f"{self.kind} of {self.function} in {self.region}"
        if self.resource:
            return f"{self.kind} via {self.resource} in {self.region}"
        return f"{self.kind} in {self.region}"


def operation(event_name: str) -> str:
    """`UpdateFunctionConfiguration20150331v2` -> `UpdateFunctionConfiguration` (Lambda's API version
    suffix off; other services' names are already bare)."""
    return re.sub(r"\d{8}(v\d+)?$", "", event_name)


def _time(record: dict[str, Any]) -> datetime:
    try:
        return datetime.strptime(str(record["eventTime"]), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except (KeyError, ValueError) as exc:
        raise MalformedEvent(f"eventTime missing or not ISO 8601: {record.get('eventTime')!r}") from exc


def _function_name(value: Any) -> str:
    """A function's name from a name, `name:qualifier`, partial or full (qualified) ARN."""
    text = str(value or "")
    return text.split(":function:")[-1].split(":")[0] if ":function:" in text else text.split(":")[0]


def _qualifier(value: Any) -> str:
    """The qualifier a function name or ARN carries, '' if none."""
    tail = str(value or "").split(":function:")[-1]
    return tail.split(":", 1)[1] if ":" in tail else ""


def changes_of(record: dict[str, Any]) -> list[Change]:
    """What one CloudTrail record says to read again (pure; raises MalformedEvent on a non-record)."""
    if not isinstance(record, dict):
        raise MalformedEvent("not a JSON object")
    source, name, region = record.get("eventSource"), record.get("eventName"), record.get("awsRegion")
    if not isinstance(source, str) or not isinstance(name, str) or not isinstance(region, str):
        raise MalformedEvent("eventSource, eventName or awsRegion missing")
    when = _time(record)
    if record.get("errorCode") or source not in SOURCES or name in _DATA or record.get("readOnly") is True:
        return []
    params = record.get("requestParameters") or {}
    response = record.get("responseElements") or {}
    if not isinstance(params, dict) or not isinstance(response, dict):
        raise MalformedEvent("requestParameters or responseElements is not an object")
    out: list[Change] = []

    def add(kind: str, function: str | None = None, resource: str = "", where: str = region) -> None:
        moves = source == "lambda.amazonaws.com" and operation(name) in _MOVES_REVISION
        out.append(Change(where, kind, function, resource, name, when, moves))

    service = source.split(".")[0]
    if service == "lambda":
        _lambda(operation(name), params, response, add)
    elif service == "s3" and name in _S3:
        add("s3_notifications")
    elif service == "apigateway":
        if "apiId" in params or "restApiId" not in params:
            add("apigatewayv2")
        if "restApiId" in params or "apiId" not in params:
            add("apigateway")
    elif service == "events" and WATCH_RULE not in (params.get("name"), params.get("rule")):
        add("eventbridge")
    elif service == "scheduler":
        add("scheduler")
    elif service == "sns" and name in _SNS:
        add("sns")
    elif service == "cloudfront":
        add("cloudfront", where=HOME)
    elif service == "iam":
        if params.get("roleName"):
            add("role", resource=str(params["roleName"]), where=ALL)
        elif name in _IAM_POLICY:
            add("role", ALL, where=ALL)
    return out


def _lambda(op: str, params: dict[str, Any], response: dict[str, Any], add: Any) -> None:
    fn = _function_name(params.get("functionName") or response.get("functionArn") or response.get("functionName"))
    if op in _ESM:
        add("mappings")
        if fn:
            add("mapping_tags", fn)
        elif params.get("uUID"):
            add("mapping_tags", None, str(params["uUID"]))
        return
    if op in ("TagResource", "UntagResource"):
        resource = str(params.get("resource") or "")
        if ":function:" in resource:
            add("function", _function_name(resource))
        elif ":event-source-mapping:" in resource:
            add("mapping_tags", None, resource.rsplit(":", 1)[-1])
        elif ":code-signing-config:" in resource:
            add("code_signing", None, resource)
        return
    if op in ("UpdateCodeSigningConfig", "DeleteCodeSigningConfig"):
        add("code_signing", None, str(params.get("codeSigningConfigArn") or ""))
        return
    if op in _LAMBDA_IGNORED or not fn:
        return
    if op == "DeleteFunction":  # a version deleted, or the whole function (then the listing shows it gone)
        kinds: tuple[str, ...] = _QUALIFIED if params.get("qualifier") or _qualifier(params.get("functionName")) \
            else WHOLE
    elif op == "UpdateFunctionCode" and params.get("publish"):
        kinds = ("function", "versions", "concurrency")
    else:
        kinds = _LAMBDA.get(op, WHOLE)  # an operation we cannot place: the whole function, to be safe
    for kind in kinds:
        add(kind, fn)


@dataclass
class Feed:
    """The changes since the previous snapshot, and whether they are all of them."""

    source: Source = "none"
    complete: bool = False
    changes: list[Change] = field(default_factory=list)
    reason: str = ""  # why the feed is incomplete (said in the run's warnings)
    until: datetime | None = None  # events were asked for up to this time
    delay: timedelta = DEFAULT_DELAY
    # An events feed (watch) holds the changes since its queues were created, not before.
    events_since: datetime | None = None

    @classmethod
    def none(cls, reason: str) -> Feed:
        return cls(source="none", complete=False, reason=reason)

    def covered(self) -> datetime | None:
        """What a snapshot taken with this feed reflects for certain: every change before this time."""
        return self.until - self.delay if self.complete and self.until else None

    def index(self) -> FeedIndex:
        return FeedIndex(self.changes)


class FeedIndex:
    """The feed's changes arranged for lookups while capturing a region."""

    def __init__(self, changes: Iterable[Change]) -> None:
        self.by_function: dict[tuple[str, str], list[Change]] = {}
        self.every_function: dict[str, list[Change]] = {}  # region (or ALL) -> changes
        self.by_resource: list[Change] = []
        self.region_kinds: dict[str, list[Change]] = {}
        for c in changes:
            if c.function == ALL:
                self.every_function.setdefault(c.region, []).append(c)
            elif c.function:
                self.by_function.setdefault((c.region, c.function), []).append(c)
            elif c.resource:
                self.by_resource.append(c)
            else:
                self.region_kinds.setdefault(c.region, []).append(c)

    def regional(self, region: str) -> list[Change]:
        """The changes that ask for a region-scoped kind to be listed again in `region`."""
        return list(self.region_kinds.get(region, []))

    def for_function(self, region: str, name: str, role: str, resources: dict[str, set[str]]) -> list[Change]:
        """The changes that ask for a function-scoped kind of one function to be read again.

        `role` is the function's execution role ARN; `resources` maps a kind to the resource ids that
        lead to this function (its event source mapping UUIDs, its code signing config ARN).
        """
        out = [*self.every_function.get(ALL, []), *self.every_function.get(region, [])]
        out += self.by_function.get((region, name), [])
        for c in self.by_resource:
            if c.region not in (ALL, region):
                continue
            if c.kind == "role" and role.endswith(f"/{c.resource}"):
                out.append(c)
            elif c.kind != "role" and c.resource in resources.get(c.kind, set()):
                out.append(c)
        return out


def from_cloudtrail(
    aws: Aws, regions: list[str], since: datetime, until: datetime, *, include_iam: bool,
    delay: timedelta = DEFAULT_DELAY,
) -> Feed:
    """Every change in `regions` from `since` to `until`, by LookupEvents; incomplete (with the reason)
    when the window is beyond CloudTrail's 90 days or CloudTrail cannot be asked."""
    if since < until - RETENTION:
        return Feed.none(f"the previous snapshot's coverage ({since:%Y-%m-%d}) is beyond CloudTrail's 90 days")
    # CloudTrail's event times are whole seconds: an event stamped with the second `since` falls in
    # may be a change made after it, so the window starts at that whole second.
    since = since.replace(microsecond=0)
    asked = sorted(set(regions) | ({HOME} if include_iam else set()))

    def one(region: str) -> list[dict[str, Any]] | str:
        try:
            return list(lookup_events(aws, region, since, until))
        except AwsError as exc:
            return f"CloudTrail LookupEvents in {region}: {describe(exc)} ({_why(exc)})"

    changes: list[Change] = []
    for region, events in zip(asked, parallel_map(one, asked, max(1, min(4, len(asked)))), strict=True):
        if isinstance(events, str):
            return Feed.none(events)
        for event in events:
            try:
                record = json.loads(event.get("CloudTrailEvent") or "")
                found = changes_of(record)
            except (ValueError, TypeError):
                continue  # one unreadable event: its function is still caught by the fingerprint or re-read
            if region not in regions:
                found = [c for c in found if c.kind == "role"]  # asked here for IAM only
            changes.extend(found)
    return Feed(source="cloudtrail", complete=True, changes=changes, until=until, delay=delay)


# Up to this long a window is asked in one listing of every write event of the region; beyond it, one
# listing per event source lambda-ark reads, so a busy account's other services (EC2, ...) do not fill
# pages on a quota of two calls a second.
ONE_LISTING_UP_TO = timedelta(hours=1)
_REGIONAL_SOURCES = sorted(SOURCES - {"iam.amazonaws.com", "cloudfront.amazonaws.com"})


def lookup_events(aws: Aws, region: str, since: datetime, until: datetime) -> Iterable[dict[str, Any]]:
    client = aws.client("cloudtrail", region)
    if until - since <= ONE_LISTING_UP_TO:
        attributes = [[{"AttributeKey": "ReadOnly", "AttributeValue": "false"}]]
    else:
        sources = sorted(SOURCES) if region == HOME else _REGIONAL_SOURCES
        attributes = [[{"AttributeKey": "EventSource", "AttributeValue": s}] for s in sources]
    for attribute in attributes:
        yield from pages(client, "lookup_events", "Events", LookupAttributes=attribute, StartTime=since,
                         EndTime=until)


def _why(exc: AwsError) -> str:
    code = error_code(exc)
    if code in ("AccessDeniedException", "AccessDenied", "UnauthorizedOperation", "OperationNotPermittedException"):
        return "not permitted: grant cloudtrail:LookupEvents"
    if code in ("UnknownOperationException", "NotImplemented", "404", "UnsupportedOperationException"):
        return "not offered by this endpoint"
    return "unavailable"
