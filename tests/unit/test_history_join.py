"""history's pure parts: which CloudTrail events belong to a function, and to which snapshot's change."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from lambda_ark.audit.history import History, HistoryEntry, TrailEvent, events_for, join

T0 = datetime(2026, 5, 1, tzinfo=UTC)


def _item(name: str, fn: str, minute: int, error: str | None = None) -> dict[str, str]:
    record = {"eventSource": "lambda.amazonaws.com", "eventName": name, "awsRegion": "eu-west-1",
              "eventTime": (T0 + timedelta(minutes=minute)).strftime("%Y-%m-%dT%H:%M:%SZ"),
              "userIdentity": {"arn": "arn:aws:sts::1:assumed-role/deployer/ci"}, "sourceIPAddress": "10.0.0.1",
              "userAgent": "terraform", "requestParameters": {"functionName": fn,
                                                               "environment": {"variables": {"K": "secret"}}}}
    if error:
        record["errorCode"] = error
    return {"CloudTrailEvent": json.dumps(record)}


def test_events_for_keeps_only_this_functions_successful_writes_and_no_parameters() -> None:
    raw = [_item("UpdateFunctionConfiguration20150331v2", "orders", 2), _item("UpdateFunctionCode20150331v2",
           "billing", 3), _item("UpdateFunctionConfiguration20150331v2", "orders", 4, error="AccessDenied"),
           {"CloudTrailEvent": "not json"}, _item("AddPermission20150331v2", "orders", 1)]
    found = events_for(raw, "orders")
    assert [(e.event[:13], e.time.minute) for e in found] == [("AddPermission", 1), ("UpdateFunctio", 2)]
    assert found[0].who == "arn:aws:sts::1:assumed-role/deployer/ci" and found[0].user_agent == "terraform"
    assert "secret" not in json.dumps([e.as_dict() for e in found])


def _ev(minute: int) -> TrailEvent:
    return TrailEvent(T0 + timedelta(minutes=minute), f"E{minute}", "who", "ip", "ua")


@pytest.mark.parametrize(("entries", "events", "joined", "pending"), [
    ([10, 20], [5, 9, 10, 15], {10: [5, 9], 20: [10, 15]}, []),  # 10:00 may be after a backup started at 10:00
    ([10], [11, 30], {10: []}, [11, 30]),
    ([], [1], {}, [1]),
])
def test_join_attaches_each_event_to_the_first_snapshot_after_it(
        entries: list[int], events: list[int], joined: dict[int, list[int]], pending: list[int]) -> None:
    h = History("f", entries=[HistoryEntry("a/r/f", f"s{m}", T0 + timedelta(minutes=m), "changed") for m in entries])
    join(h, {"a/r/f": [_ev(m) for m in events]})
    assert {int(e.snapshot[1:]): [ev.time.minute for ev in e.events] for e in h.entries} == joined
    assert [ev.time.minute for ev in h.pending] == pending
