"""Test events: what a drill invokes each restored function with, and what it expects back.

Where an event comes from, first match wins:
1. the rules given to the drill: name globs mapped to JSON files, the policy format
   `drill: {events: {orders-*: events/order.json}}`, read from a YAML/JSON file or a folder
   (`orders.json` for `orders`, globs allowed in the file name);
2. the function's tag `lambda-ark:drill-event` naming an object `s3://bucket/key` (as recorded in the
   snapshot), with an optional `lambda-ark:drill-expect` naming the expected output;
3. `{}`.
An event may come with an expected output: a JSON value the function's result must contain
(objects: these keys with matching values, recursively; lists: these elements in order; anything
else: equal). A folder pairs `orders.json` with `orders.expect.json`; a rule may be
`{event: FILE, expect: FILE or inline JSON}`.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..aws import Aws, call
from ..errors import UsageError

EVENT_TAG = "lambda-ark:drill-event"
EXPECT_TAG = "lambda-ark:drill-expect"
_NOTHING = object()


@dataclass(frozen=True)
class DrillEvent:
    payload: bytes
    source: str  # a file, an s3:// URL, or "default {}"
    expect: Any = _NOTHING  # a JSON value the output must contain; _NOTHING: only "no FunctionError"

    @property
    def has_expectation(self) -> bool:
        return self.expect is not _NOTHING


DEFAULT = DrillEvent(b"{}", "default {}")
EventRule = tuple[str, DrillEvent]  # (function name glob, event)


def load_rules(path: Path) -> list[EventRule]:
    """Rules from a folder of JSON files or from a YAML/JSON mapping file (UsageError if unusable)."""
    if path.is_dir():
        return _folder(path)
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"cannot read events file {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise UsageError(f"events file {path}{where}: not YAML or JSON ({getattr(exc, 'problem', exc)})") from None
    if isinstance(doc, dict) and isinstance(doc.get("drill"), dict):
        doc = doc["drill"]
    if isinstance(doc, dict) and "events" in doc:
        doc = doc["events"]
    if not isinstance(doc, dict) or not doc:
        raise UsageError(f"events file {path}: expected a mapping of function name globs to event files, "
                         "e.g. {orders-*: events/order.json}")
    return rules_from_mapping(doc, path.parent)


def rules_from_mapping(mapping: dict[str, Any], base: Path) -> list[EventRule]:
    """The policy's `events` mapping; relative paths are taken from `base` (the file's folder)."""
    rules = []
    for glob, spec in mapping.items():
        if not isinstance(glob, str) or not glob:
            raise UsageError(f"events: {glob!r} is not a function name glob")
        if isinstance(spec, str):
            rules.append((glob, DrillEvent(_json_file(base / spec), spec)))
        elif isinstance(spec, dict) and "event" in spec and set(spec) <= {"event", "expect"}:
            event = spec["event"]
            payload = _json_file(base / event) if isinstance(event, str) else json.dumps(event).encode()
            expect = _NOTHING
            if "expect" in spec:
                expect = spec["expect"]
                if isinstance(expect, str) and expect.endswith((".json", ".yaml", ".yml")):
                    expect = json.loads(_json_file(base / expect))
            rules.append((glob, DrillEvent(payload, event if isinstance(event, str) else "inline", expect)))
        else:
            raise UsageError(f"events: {glob}: give a JSON file, or {{event: FILE, expect: FILE or JSON}}")
    return rules


def _folder(path: Path) -> list[EventRule]:
    rules = []
    for file in sorted(path.glob("*.json")):
        if file.name.endswith(".expect.json"):
            continue
        expect_file = file.with_name(file.name.removesuffix(".json") + ".expect.json")
        expect = json.loads(_json_file(expect_file)) if expect_file.exists() else _NOTHING
        rules.append((file.name.removesuffix(".json"), DrillEvent(_json_file(file), str(file), expect)))
    if not rules:
        raise UsageError(f"events folder {path} holds no .json files (one per function: NAME.json)")
    return rules


def _json_file(path: Path) -> bytes:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read test event {path}: {exc.strerror}") from None
    try:
        json.loads(data)
    except ValueError as exc:
        raise UsageError(f"test event {path} is not JSON: {exc}") from None
    return data


S3Reader = Callable[[str], bytes]


def s3_reader(aws: Aws) -> S3Reader:
    """Reads s3://bucket/key with the source account's credentials (the tag was recorded there)."""

    def read(url: str) -> bytes:
        bucket, _, key = url.removeprefix("s3://").partition("/")
        if not url.startswith("s3://") or not bucket or not key:
            raise UsageError(f"{url!r} is not an s3://bucket/key URL")
        got = call(aws.client("s3"), "get_object", Bucket=bucket, Key=key)
        return bytes(got["Body"].read())

    return read


def event_for(name: str, tags: dict[str, str], rules: list[EventRule], read_s3: S3Reader) -> DrillEvent:
    """The test event of one function (see the module docstring). Raises UsageError or AwsError
    (AwsError from S3) when the event it names cannot be read or is not JSON: the drill reports that
    function failed."""
    for glob, event in rules:
        if fnmatch.fnmatchcase(name, glob):
            return event
    url = tags.get(EVENT_TAG)
    if not url:
        return DEFAULT
    payload = read_s3(url)
    try:
        json.loads(payload)
    except ValueError as exc:
        raise UsageError(f"test event {url} is not JSON: {exc}") from None
    expect: Any = _NOTHING
    if tags.get(EXPECT_TAG):
        try:
            expect = json.loads(read_s3(tags[EXPECT_TAG]))
        except ValueError as exc:
            raise UsageError(f"expected output {tags[EXPECT_TAG]} is not JSON: {exc}") from None
    return DrillEvent(payload, url, expect)


def mismatch(expected: Any, actual: Any, where: str = "$") -> str | None:
    """Where `actual` fails to contain `expected` (a JSON path), or None when it does."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return f"{where}: expected an object"
        for key, value in expected.items():
            if key not in actual:
                return f"{where}.{key}: missing"
            if (found := mismatch(value, actual[key], f"{where}.{key}")) is not None:
                return found
        return None
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) < len(expected):
            return f"{where}: expected a list of at least {len(expected)} items"
        for i, value in enumerate(expected):
            if (found := mismatch(value, actual[i], f"{where}[{i}]")) is not None:
                return found
        return None
    return None if expected == actual and type(expected) is type(actual) else f"{where}: differs"


__all__ = ["DEFAULT", "EventRule", "DrillEvent", "event_for", "load_rules", "mismatch",
           "rules_from_mapping", "s3_reader"]
