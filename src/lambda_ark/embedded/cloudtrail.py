"""CloudTrail on the embedded endpoint: a management event for every mutating call, kept per account
and region, and delivered to EventBridge as "AWS API Call via CloudTrail".

AWS: CloudTrail records a management event for each control-plane write (and read) call, with
`eventVersion`, `userIdentity`, `eventTime`, `eventSource` (`lambda.amazonaws.com`, ...), `eventName`,
`awsRegion`, `requestParameters` (the request's members in lowerCamelCase), `responseElements`,
`errorCode`/`errorMessage` for refused calls, `readOnly`, `eventType` `AwsApiCall`,
`managementEvent`, `eventCategory` `Management`. Lambda's event names carry the API version of the
operation's path (`UpdateFunctionConfiguration20150331v2`, `CreateAlias20150331`). Global services
(IAM, CloudFront) are recorded in us-east-1. Data events (invocations, S3 object calls, SNS Publish)
are not management events. Event history answers `LookupEvents` for 90 days; EventBridge receives
every event on the region's default bus with `source` `aws.<service>`.
moto: no event history at all.

Here: events are recorded for the write calls of Lambda, S3 (bucket level), API Gateway (v1, v2),
EventBridge, Scheduler, SNS, CloudFront and IAM (reads are not recorded: nothing lambda-ark does
depends on them, and a benchmark would fill memory with them); they are visible at once (AWS: within
minutes); secrets in requests (environment variables) are hidden as AWS hides them and code bytes
are left out. `LookupEvents` is in `lookup_events.py`.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import uuid
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from moto.core.utils import get_service_model

from .calls import ApiCall

log = logging.getLogger("lambda_ark.embedded")

EVENT_SOURCES = {
    "lambda": "lambda.amazonaws.com",
    "s3": "s3.amazonaws.com",
    "apigateway": "apigateway.amazonaws.com",
    "apigatewayv2": "apigateway.amazonaws.com",
    "events": "events.amazonaws.com",
    "scheduler": "scheduler.amazonaws.com",
    "sns": "sns.amazonaws.com",
    "cloudfront": "cloudfront.amazonaws.com",
    "iam": "iam.amazonaws.com",
}
GLOBAL = frozenset({"iam", "cloudfront"})  # recorded in us-east-1, whatever region the client named
HOME = "us-east-1"
DETAIL_TYPE = "AWS API Call via CloudTrail"
HIDDEN = "HIDDEN_DUE_TO_SECURITY_REASONS"
MAX_EVENTS = 200_000  # per account and region; the oldest go first (AWS keeps 90 days)

_READS = ("Get", "List", "Describe", "Head", "Lookup", "Search", "Test", "Simulate", "Generate", "BatchGet", "Select")
_DATA_EVENTS = {
    "lambda": {"Invoke", "InvokeAsync", "InvokeWithResponseStream"},
    "s3": {"DeleteObjects", "CreateSession", "WriteGetObjectResponse"},
    "sns": {"Publish", "PublishBatch"},
    "events": {"PutEvents"},
}
# Lambda operations whose event name AWS suffixes with "v2" after the API version.
_LAMBDA_V2 = {"UpdateFunctionCode", "UpdateFunctionConfiguration", "AddPermission", "RemovePermission",
              "GetPolicy", "GetFunctionConfiguration", "TagResource", "UntagResource"}


@dataclass(frozen=True)
class Entry:
    time: datetime
    record: dict[str, Any]
    resources: tuple[tuple[str, str], ...]  # (ResourceType, ResourceName) for LookupEvents


_events: dict[tuple[str, str], deque[Entry]] = {}
_lock = threading.Lock()


def reset() -> None:
    with _lock:
        _events.clear()


def entries(account: str, region: str) -> list[Entry]:
    """A copy of one account and region's events, oldest first."""
    with _lock:
        return list(_events.get((account, region), ()))


def recordable(call: ApiCall) -> bool:
    if call.service not in EVENT_SOURCES or call.operation.startswith(_READS):
        return False
    if call.operation in _DATA_EVENTS.get(call.service, set()):
        return False
    if call.service == "s3":  # object-level calls are data events
        members = get_service_model("s3").operation_model(call.operation).input_shape.members
        return "Key" not in members
    return True


def event_name(service: str, operation: str) -> str:
    if service != "lambda":
        return operation
    uri = get_service_model("lambda").operation_model(operation).http.get("requestUri", "")
    version = re.match(r"/(\d{4})-(\d{2})-(\d{2})/", uri)
    if not version:
        return operation
    return operation + "".join(version.groups()) + ("v2" if operation in _LAMBDA_V2 else "")


def record(call: ApiCall, time: datetime, status: int, headers: dict[str, str], body: bytes) -> dict[str, Any]:
    """Build, keep and deliver the event for one answered call; returns the record."""
    time = time.astimezone(UTC).replace(microsecond=0)  # AWS's event times are whole seconds
    region = HOME if call.service in GLOBAL else call.region
    params = camel(hide(call.parameters()))
    rec: dict[str, Any] = {
        "eventVersion": "1.09",
        "userIdentity": {
            "type": "IAMUser",
            "principalId": call.access_key,
            "arn": f"arn:aws:iam::{call.account}:user/lambda-ark-embedded",
            "accountId": call.account,
            "accessKeyId": call.access_key,
            "userName": "lambda-ark-embedded",
        },
        "eventTime": time.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": EVENT_SOURCES[call.service],
        "eventName": event_name(call.service, call.operation),
        "awsRegion": region,
        "sourceIPAddress": call.source_ip,
        "userAgent": call.user_agent,
        "requestParameters": params or None,
        "responseElements": None,
        "requestID": str(uuid.uuid4()),
        "eventID": str(uuid.uuid4()),
        "readOnly": False,
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": call.account,
        "eventCategory": "Management",
    }
    if status >= 400:
        rec["errorCode"], rec["errorMessage"] = _error(headers, body)
    else:
        rec["responseElements"] = _response(headers, body)
    resources = _resources(call.service, call.account, region, params or {}, rec["responseElements"] or {})
    if resources:
        rec["resources"] = [{"ARN": arn, "accountId": call.account, "type": kind} for kind, _, arn in resources]
    entry = Entry(time=time, record=rec, resources=tuple((kind, name) for kind, name, _ in resources))
    with _lock:
        kept = _events.setdefault((call.account, region), deque(maxlen=MAX_EVENTS))
        kept.append(entry)
    _deliver(rec, call.account, region)
    return rec


def hide(params: dict[str, Any]) -> dict[str, Any]:
    """What AWS keeps of a request: code bytes left out, environment variables hidden."""
    out: dict[str, Any] = {}
    for key, value in params.items():
        if isinstance(value, bytes | bytearray):
            continue
        if key == "Environment" and isinstance(value, dict):
            value = {**value, "Variables": HIDDEN} if "Variables" in value else value
        elif key == "Code" and isinstance(value, dict):
            value = hide(value)
        out[key] = value
    return out


def camel(obj: Any) -> Any:
    """Member names as CloudTrail writes them: lowerCamelCase (`FunctionName` -> `functionName`)."""
    if isinstance(obj, dict):
        return {_lower_first(str(k)): camel(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [camel(v) for v in obj]
    if isinstance(obj, datetime):
        return obj.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return obj


_RENAMED = {"Bucket": "bucketName"}  # S3 calls its member Bucket, CloudTrail writes bucketName


def _lower_first(key: str) -> str:
    return _RENAMED.get(key) or (key[:1].lower() + key[1:])


def _error(headers: dict[str, str], body: bytes) -> tuple[str, str]:
    code = headers.get("x-amzn-ErrorType", "").split(":")[0]
    message = ""
    try:
        parsed = json.loads(body or b"{}")
        code = code or str(parsed.get("__type", "")).split("#")[-1]
        message = str(parsed.get("message") or parsed.get("Message") or "")
    except (ValueError, AttributeError):
        found = re.search(rb"<Code>([^<]+)</Code>", body or b"")
        code = code or (found.group(1).decode() if found else "")
        text = re.search(rb"<Message>([^<]*)</Message>", body or b"")
        message = text.group(1).decode() if text else ""
    return code or "InternalFailure", message


def _response(headers: dict[str, str], body: bytes) -> dict[str, Any] | None:
    if "json" not in headers.get("Content-Type", "") or not body or len(body) > 64_000:
        return None
    try:
        parsed = json.loads(body)
    except ValueError:
        return None
    if not isinstance(parsed, dict):
        return None
    parsed.pop("Code", None)  # a presigned code URL is not a response element AWS keeps
    return camel(hide(parsed))  # type: ignore[no-any-return]


def _resources(
    service: str, account: str, region: str, params: dict[str, Any], response: dict[str, Any]
) -> list[tuple[str, str, str]]:
    """(type, name, ARN) of what the call touched, from its parameters (and answer)."""
    out: list[tuple[str, str, str]] = []

    def add(kind: str, name: Any, arn: str) -> None:
        if isinstance(name, str) and name:
            out.append((kind, name, arn))

    p = params
    if service == "lambda":
        fn = p.get("functionName") or response.get("functionArn") or ""
        if isinstance(fn, str) and fn:
            name = fn.split(":function:")[-1].split(":")[0]
            add("AWS::Lambda::Function", name, f"arn:aws:lambda:{region}:{account}:function:{name}")
        resource = p.get("resource")
        if isinstance(resource, str) and ":function:" in resource:
            name = resource.split(":function:")[-1].split(":")[0]
            add("AWS::Lambda::Function", name, f"arn:aws:lambda:{region}:{account}:function:{name}")
        elif isinstance(resource, str):
            add("AWS::Lambda::Resource", resource, resource)
        if p.get("uUID"):
            add("AWS::Lambda::EventSourceMapping", p["uUID"],
                f"arn:aws:lambda:{region}:{account}:event-source-mapping:{p['uUID']}")
    elif service == "s3":
        add("AWS::S3::Bucket", p.get("bucketName"), f"arn:aws:s3:::{p.get('bucketName')}")
    elif service == "events":
        rule = p.get("name") or p.get("rule")
        add("AWS::Events::Rule", rule, f"arn:aws:events:{region}:{account}:rule/{rule}")
    elif service == "scheduler":
        group = p.get("groupName") or "default"
        schedule = f"arn:aws:scheduler:{region}:{account}:schedule/{group}/{p.get('name')}"
        add("AWS::Scheduler::Schedule", p.get("name"), schedule)
    elif service == "sns":
        add("AWS::SNS::Topic", p.get("topicArn"), str(p.get("topicArn")))
        add("AWS::SNS::Subscription", p.get("subscriptionArn"), str(p.get("subscriptionArn")))
    elif service == "apigateway":
        rest_api = f"arn:aws:apigateway:{region}::/restapis/{p.get('restApiId')}"
        add("AWS::ApiGateway::RestApi", p.get("restApiId"), rest_api)
    elif service == "apigatewayv2":
        add("AWS::ApiGatewayV2::Api", p.get("apiId"), f"arn:aws:apigateway:{region}::/apis/{p.get('apiId')}")
    elif service == "cloudfront":
        add("AWS::CloudFront::Distribution", p.get("id"), f"arn:aws:cloudfront::{account}:distribution/{p.get('id')}")
    elif service == "iam":
        add("AWS::IAM::Role", p.get("roleName"), f"arn:aws:iam::{account}:role/{p.get('roleName')}")
        add("AWS::IAM::Policy", p.get("policyArn"), str(p.get("policyArn")))
    return out


def _deliver(rec: dict[str, Any], account: str, region: str) -> None:
    """Put the event on the region's default bus, as CloudTrail does, so rules see it."""
    from moto.events.models import events_backends

    source = "aws." + str(rec["eventSource"]).split(".")[0]
    try:
        events_backends[account][region].put_events(
            [{"Source": source, "DetailType": DETAIL_TYPE, "Detail": json.dumps(rec), "EventBusName": "default"}]
        )
    except Exception:  # noqa: BLE001 - a rule that cannot deliver must not fail the call it records
        log.debug("embedded endpoint could not deliver a CloudTrail event to EventBridge", exc_info=True)
