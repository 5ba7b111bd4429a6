"""The Amazon States Language's data handling, for `asl`'s interpreter: reference paths (InputPath,
OutputPath, ResultPath), Parameters / ItemSelector / ResultSelector templates with `.$` fields and the
intrinsics States.JsonToString and States.Format, Choice rules, and which errors a Retry or Catch
covers. Anything else raises `Unsupported` rather than being guessed at.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any


class Unsupported(Exception):
    """The definition uses something this interpreter does not implement."""


class StatesError(Exception):
    """An ASL error: a name (States.TaskFailed, a Lambda errorType, ...) and a cause."""

    def __init__(self, error: str, cause: str = "") -> None:
        super().__init__(f"{error}: {cause}")
        self.error, self.cause = error, cause


# -- paths, parameters, intrinsics, choice rules ---------------------------------------------------

_SEGMENT = re.compile(r"\.([A-Za-z0-9_\-]+)|\[(\d+)\]")


def select(path: str | None, data: Any, context: dict[str, Any]) -> Any:
    """The value a reference path names: `$`, `$.a.b`, `$.a[0]`, `$$.Map.Item.Value`; None (null) path
    means {} as input (InputPath) or output (OutputPath)."""
    if path is None:
        return {}
    root: Any
    if path.startswith("$$"):
        root, rest = context, path[2:]
    elif path.startswith("$"):
        root, rest = data, path[1:]
    else:
        raise StatesError("States.Runtime", f"not a path: {path!r}")
    pos = 0
    while pos < len(rest):
        m = _SEGMENT.match(rest, pos)
        if m is None:
            raise Unsupported(f"path {path!r}")
        key: str | int = m.group(1) if m.group(1) is not None else int(m.group(2))
        try:
            root = root[key]
        except (KeyError, IndexError, TypeError) as exc:
            raise StatesError("States.Runtime", f"path {path!r} names nothing in the input") from exc
        pos = m.end()
    return root


def place(path: str | None, data: Any, result: Any) -> Any:
    """ResultPath: null keeps the input, `$` is the result, `$.a.b` puts it into (a copy of) the input."""
    if path is None:
        return data
    if path == "$":
        return result
    if not path.startswith("$.") or "[" in path:
        raise Unsupported(f"ResultPath {path!r}")
    out = json.loads(json.dumps(data)) if isinstance(data, dict) else {}
    node = out
    keys = path[2:].split(".")
    for key in keys[:-1]:
        node = node.setdefault(key, {})
    node[keys[-1]] = result
    return out


def resolve(template: Any, data: Any, context: dict[str, Any]) -> Any:
    """Parameters, ItemSelector, ResultSelector: `key.$` fields take a path's value or an intrinsic's."""
    if isinstance(template, dict):
        out = {}
        for key, value in template.items():
            if key.endswith(".$"):
                out[key[:-2]] = _evaluate(str(value), data, context)
            else:
                out[key] = resolve(value, data, context)
        return out
    if isinstance(template, list):
        return [resolve(v, data, context) for v in template]
    return template


def _evaluate(expr: str, data: Any, context: dict[str, Any]) -> Any:
    expr = expr.strip()
    if expr.startswith("$"):
        return select(expr, data, context)
    m = re.fullmatch(r"States\.(\w+)\((.*)\)", expr, re.S)
    if m is None:
        raise Unsupported(f"expression {expr!r}")
    name, args = m.group(1), [_argument(a, data, context) for a in _split_args(m.group(2))]
    if name == "JsonToString" and len(args) == 1:
        return json.dumps(args[0], separators=(",", ":"))
    if name == "Format" and args and isinstance(args[0], str):
        pieces = args[0].split("{}")
        if len(pieces) != len(args):
            raise StatesError("States.Runtime", f"States.Format: {len(pieces) - 1} placeholders, {len(args) - 1} args")
        return "".join(p + (_text(a) if i < len(args) - 1 else "") for i, (p, a) in
                       enumerate(zip(pieces, [*args[1:], ""], strict=True)))
    raise Unsupported(f"intrinsic States.{name}")


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _split_args(text: str) -> list[str]:
    out, depth, quote, current = [], 0, False, ""
    for i, c in enumerate(text):
        if c == "'" and (i == 0 or text[i - 1] != "\\"):
            quote = not quote
        elif not quote and c == "(":
            depth += 1
        elif not quote and c == ")":
            depth -= 1
        if c == "," and not quote and depth == 0:
            out.append(current)
            current = ""
        else:
            current += c
    if current.strip():
        out.append(current)
    return out


def _argument(text: str, data: Any, context: dict[str, Any]) -> Any:
    text = text.strip()
    if text.startswith("'") and text.endswith("'"):
        return text[1:-1].replace("\\'", "'")
    if text.startswith("$") or text.startswith("States."):
        return _evaluate(text, data, context)
    return json.loads(text)


_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "StringEquals": lambda a, b: isinstance(a, str) and a == b,
    "NumericEquals": lambda a, b: isinstance(a, int | float) and a == b,
    "NumericGreaterThan": lambda a, b: isinstance(a, int | float) and a > b,
    "NumericGreaterThanEquals": lambda a, b: isinstance(a, int | float) and a >= b,
    "NumericLessThan": lambda a, b: isinstance(a, int | float) and a < b,
    "BooleanEquals": lambda a, b: isinstance(a, bool) and a == b,
    "IsNull": lambda a, b: (a is None) == b,
}


def rule_holds(rule: dict[str, Any], data: Any, context: dict[str, Any]) -> bool:
    if "And" in rule:
        return all(rule_holds(r, data, context) for r in rule["And"])
    if "Or" in rule:
        return any(rule_holds(r, data, context) for r in rule["Or"])
    if "Not" in rule:
        return not rule_holds(rule["Not"], data, context)
    variable = rule["Variable"]
    if "IsPresent" in rule:
        try:
            select(variable, data, context)
        except StatesError:
            return not rule["IsPresent"]
        return bool(rule["IsPresent"])
    for op, test in _COMPARE.items():
        if op in rule:
            try:
                value = select(variable, data, context)
            except StatesError:
                return False
            return test(value, rule[op])
    raise Unsupported(f"choice rule {sorted(k for k in rule if k not in ('Variable', 'Next'))}")


def matches(names: list[str], error: str) -> bool:
    """Whether a Retry's or Catch's ErrorEquals covers `error`."""
    if "States.ALL" in names or error in names:
        return True
    return "States.TaskFailed" in names and error != "States.Timeout" and not error.startswith("States.")
