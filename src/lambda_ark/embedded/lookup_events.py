"""CloudTrail `LookupEvents` on the embedded endpoint, over the events `cloudtrail` records.

AWS: events of the caller's account in the region asked (never another region's), newest first;
`StartTime`/`EndTime` bound `EventTime` (default: the last 90 days); at most one `LookupAttributes`
item, keyed `EventId`, `EventName`, `ReadOnly`, `Username`, `ResourceType`, `ResourceName`,
`EventSource` or `AccessKeyId`, matched exactly; `MaxResults` 1-50 (default 50) and an opaque
`NextToken` valid only with the same parameters. Each event: `EventId`, `EventName`, `ReadOnly`,
`AccessKeyId`, `EventTime`, `EventSource`, `Username`, `Resources` (`ResourceType`,
`ResourceName`) and the whole record as JSON text in `CloudTrailEvent`. Errors (HTTP 400):
`InvalidLookupAttributesException`, `InvalidTimeRangeException`, `InvalidMaxResultsException`,
`InvalidNextTokenException`, `InvalidEventCategoryException`. `EventCategory=insight` asks for
Insights events, which this endpoint never has.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from werkzeug.wrappers import Response

from . import cloudtrail
from .calls import ApiCall

ATTRIBUTES = ("EventId", "EventName", "ReadOnly", "Username", "ResourceType", "ResourceName", "EventSource",
              "AccessKeyId")
RETENTION = timedelta(days=90)
_JSON = "application/x-amz-json-1.1"


class LookupError_(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def handle(call: ApiCall) -> Response:
    try:
        body = json.loads(call.body or b"{}")
        return Response(json.dumps(_lookup(call, body)), status=200, content_type=_JSON)
    except LookupError_ as exc:
        return Response(json.dumps({"__type": exc.code, "message": exc.message}), status=400, content_type=_JSON)
    except ValueError:
        message = "Request body is not valid JSON"
        return Response(json.dumps({"__type": "SerializationException", "message": message}), status=400,
                        content_type=_JSON)


def _time(value: Any, default: datetime) -> datetime:
    if value is None:
        return default
    try:
        return datetime.fromtimestamp(float(value), UTC)
    except (TypeError, ValueError, OverflowError) as exc:
        raise LookupError_("InvalidTimeRangeException", f"Invalid time: {value}") from exc


def _lookup(call: ApiCall, body: dict[str, Any]) -> dict[str, Any]:
    now = datetime.now(UTC)
    start = _time(body.get("StartTime"), now - RETENTION)
    end = _time(body.get("EndTime"), now)
    if start > end:
        raise LookupError_("InvalidTimeRangeException", "Start time must be earlier than end time.")
    attributes = body.get("LookupAttributes") or []
    if len(attributes) > 1:
        raise LookupError_("InvalidLookupAttributesException", "You cannot specify more than one lookup attribute.")
    wanted: tuple[str, str] | None = None
    if attributes:
        key, value = attributes[0].get("AttributeKey"), attributes[0].get("AttributeValue")
        if key not in ATTRIBUTES or not isinstance(value, str):
            raise LookupError_("InvalidLookupAttributesException", f"Invalid lookup attribute: {key}")
        wanted = (key, value)
    limit = body.get("MaxResults", 50)
    if not isinstance(limit, int) or not 1 <= limit <= 50:
        raise LookupError_("InvalidMaxResultsException", "MaxResults must be between 1 and 50.")
    category = body.get("EventCategory")
    if category is not None and category != "insight":
        raise LookupError_("InvalidEventCategoryException", f"Invalid EventCategory: {category}")
    query = _fingerprint(body)
    after = _after(body.get("NextToken"), query)
    if category == "insight":
        return {"Events": []}
    found = [
        e
        for e in reversed(cloudtrail.entries(call.account, call.region))
        if start <= e.time <= end and e.time >= now - RETENTION and (wanted is None or _matches(e, *wanted))
    ]
    if after is not None:
        ids = [e.record["eventID"] for e in found]
        if after not in ids:
            raise LookupError_("InvalidNextTokenException", "Invalid NextToken.")
        found = found[ids.index(after) + 1 :]
    page = found[:limit]
    out: dict[str, Any] = {"Events": [_event(e) for e in page]}
    if len(found) > limit:
        out["NextToken"] = _token(page[-1].record["eventID"], query)
    return out


def _matches(entry: cloudtrail.Entry, key: str, value: str) -> bool:
    rec = entry.record
    if key == "ResourceType":
        return any(kind == value for kind, _ in entry.resources)
    if key == "ResourceName":
        return any(name == value for _, name in entry.resources)
    field = {
        "EventId": rec["eventID"],
        "EventName": rec["eventName"],
        "ReadOnly": str(rec["readOnly"]).lower(),
        "Username": rec["userIdentity"].get("userName", ""),
        "EventSource": rec["eventSource"],
        "AccessKeyId": rec["userIdentity"].get("accessKeyId", ""),
    }[key]
    return bool(field == value)


def _event(entry: cloudtrail.Entry) -> dict[str, Any]:
    rec = entry.record
    return {
        "EventId": rec["eventID"],
        "EventName": rec["eventName"],
        "ReadOnly": str(rec["readOnly"]).lower(),
        "AccessKeyId": rec["userIdentity"].get("accessKeyId", ""),
        "EventTime": entry.time.timestamp(),
        "EventSource": rec["eventSource"],
        "Username": rec["userIdentity"].get("userName", ""),
        "Resources": [{"ResourceType": kind, "ResourceName": name} for kind, name in entry.resources],
        "CloudTrailEvent": json.dumps(rec),
    }


def _fingerprint(body: dict[str, Any]) -> str:
    """The parameters a NextToken belongs to (AWS refuses a token reused with other parameters)."""
    same = {k: body.get(k) for k in ("LookupAttributes", "StartTime", "EndTime", "EventCategory")}
    return hashlib.sha256(json.dumps(same, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _token(event_id: str, query: str) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": event_id, "q": query}).encode()).decode()


def _after(token: Any, query: str) -> str | None:
    if token is None:
        return None
    try:
        decoded = json.loads(base64.urlsafe_b64decode(str(token).encode()))
        if decoded["q"] == query:
            return str(decoded["after"])
    except (binascii.Error, ValueError, KeyError, TypeError):
        pass
    raise LookupError_("InvalidNextTokenException", "Invalid NextToken.")
