"""Test events: where they come from (rules, tags, default), what a bad file says, how outputs match."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from lambda_ark.drill.events import DEFAULT, DrillEvent, event_for, load_rules, mismatch, rules_from_mapping
from lambda_ark.errors import UsageError


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.mark.parametrize(("content", "message"), [
    ("events:\n\torders-*: order.json\n", r"events file .*events.yaml line 2: not YAML or JSON"),
    ("- just a list\n", "expected a mapping of function name globs to event files"),
    ("events: {}\n", "expected a mapping of function name globs to event files"),
    ("events:\n  orders-*: missing.json\n", r"cannot read test event .*missing.json: No such file"),
    ("events:\n  orders-*: bad.json\n", r"test event .*bad.json is not JSON"),
    ("events:\n  orders-*: {event: order.json, when: always}\n", r"give a JSON file, or \{event: FILE"),
])
def test_a_bad_events_file_says_what_is_wrong_and_where(tmp_path: Path, content: str, message: str) -> None:
    write(tmp_path / "bad.json", "{nope")
    write(tmp_path / "order.json", "{}")
    with pytest.raises(UsageError, match=message):
        load_rules(write(tmp_path / "events.yaml", content))


def test_an_unreadable_or_empty_events_folder(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="cannot read events file"):
        load_rules(tmp_path / "nope.yaml")
    (tmp_path / "empty").mkdir()
    with pytest.raises(UsageError, match="holds no .json files"):
        load_rules(tmp_path / "empty")


def test_the_policy_format_relative_to_its_file(tmp_path: Path) -> None:
    write(tmp_path / "events" / "order.json", '{"order": 1}')
    write(tmp_path / "events" / "order.expect.json", '{"ok": true}')
    policy = write(tmp_path / "drill.yaml", "drill:\n  events:\n    orders-*: events/order.json\n"
                   "    pay*: {event: {\"amount\": 3}, expect: events/order.expect.json}\n")
    rules = load_rules(policy)
    assert [(glob, e.payload, e.has_expectation) for glob, e in rules] == [
        ("orders-*", b'{"order": 1}', False), ("pay*", b'{"amount": 3}', True)]
    assert rules[1][1].expect == {"ok": True}
    assert rules_from_mapping({"a": "events/order.json"}, tmp_path)[0][1].source == "events/order.json"


def test_a_folder_pairs_events_with_expected_outputs(tmp_path: Path) -> None:
    write(tmp_path / "orders-*.json", '{"order": 1}')
    write(tmp_path / "orders-*.expect.json", '{"ok": true}')
    write(tmp_path / "search.json", "{}")
    rules = dict(load_rules(tmp_path))
    assert set(rules) == {"orders-*", "search"} and rules["orders-*"].expect == {"ok": True}
    assert not rules["search"].has_expectation


def test_first_rule_then_the_tag_then_the_default() -> None:
    objects = {"s3://b/e.json": b'{"from": "s3"}', "s3://b/x.json": b'{"ok": 1}', "s3://b/bad": b"{no"}

    def read(url: str) -> bytes:
        return objects[url]

    rule = DrillEvent(b'{"from": "rule"}', "rule.json")
    tags = {"lambda-ark:drill-event": "s3://b/e.json", "lambda-ark:drill-expect": "s3://b/x.json"}
    assert event_for("orders-1", tags, [("orders-*", rule)], read) is rule
    tagged = event_for("search", tags, [("orders-*", rule)], read)
    assert (tagged.payload, tagged.source, tagged.expect) == (b'{"from": "s3"}', "s3://b/e.json", {"ok": 1})
    assert event_for("search", {}, [], read) is DEFAULT and DEFAULT.payload == b"{}"
    with pytest.raises(UsageError, match="test event s3://b/bad is not JSON"):
        event_for("search", {"lambda-ark:drill-event": "s3://b/bad"}, [], read)


@pytest.mark.parametrize(("expected", "actual", "where"), [
    ({"a": 1}, {"a": 1, "b": 2}, None),
    ({"a": {"b": [1, {"c": "x"}]}}, {"a": {"b": [1, {"c": "x", "d": 0}, 3]}}, None),
    ({"a": 1}, {"a": 2}, "$.a: differs"),
    ({"a": 1}, {}, "$.a: missing"),
    ({"a": {"b": 1}}, {"a": [1]}, "$.a: expected an object"),
    ([1, 2], [1], "$: expected a list of at least 2 items"),
    ([{"k": 1}], [{"k": 2}], "$[0].k: differs"),
    (1, 1.0, "$: differs"),
    (True, 1, "$: differs"),
    ("ok", "ok", None),
    (None, None, None),
])
def test_an_output_contains_the_expected_value(expected: Any, actual: Any, where: str | None) -> None:
    assert mismatch(json.loads(json.dumps(expected)), actual) == where
