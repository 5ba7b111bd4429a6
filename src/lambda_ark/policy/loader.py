"""Reading a policy file: YAML -> `Policy`, every problem as `FILE:LINE:COLUMN: where: what, expected …`.

PyYAML's composed node tree keeps where each key and value starts; pydantic's errors name the path
(`loc`) of what is wrong. `locate` walks the path down the node tree to find the line and column, so
an error points at the offending key or value, not at the top of the file. Duplicate keys (which
YAML loaders silently resolve to the last one) are errors too.
"""

from __future__ import annotations

import hashlib
import types
import typing
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from ..errors import UsageError
from .models import Policy

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    """One error or warning about a policy file, with where it is."""

    file: str
    line: int  # 1-based
    column: int  # 1-based
    path: str  # jobs.critical.schedule; "" for the whole file
    message: str
    severity: str = "error"  # "error" | "warning"

    def __str__(self) -> str:
        where = f"{self.path}: " if self.path else ""
        prefix = "warning: " if self.severity == "warning" else ""
        return f"{self.file}:{self.line}:{self.column}: {prefix}{where}{self.message}"


class PolicyError(UsageError):
    """The policy file is not valid (exit 2); `problems` has one entry per error, each located."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        first = str(self.problems[0]) if self.problems else "invalid policy"
        more = f" (and {len(self.problems) - 1} more errors)" if len(self.problems) > 1 else ""
        super().__init__(first + more)


@dataclass
class LoadedPolicy:
    policy: Policy
    file: str
    digest: str  # sha256 of the file's bytes: which policy a run followed
    root: yaml.Node | None = field(default=None, repr=False)

    def where(self, loc: Loc, message: str, severity: str = "warning") -> Problem:
        return located(self.file, self.root, loc, message, severity)


def load_policy(path: str | Path) -> LoadedPolicy:
    name = str(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read policy file {name}: {exc.strerror or exc}") from exc
    return parse_policy(raw.decode("utf-8", errors="replace"), name, hashlib.sha256(raw).hexdigest())


def parse_policy(text: str, file: str = "<policy>", digest: str = "") -> LoadedPolicy:
    root, data = _compose(text, file)
    try:
        policy = Policy.model_validate(data)
    except ValidationError as exc:
        raise PolicyError(_problems(exc, file, root)) from None
    return LoadedPolicy(policy=policy, file=file, digest=digest or hashlib.sha256(text.encode()).hexdigest(),
                        root=root)


def _compose(text: str, file: str) -> tuple[yaml.Node, Any]:
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            raise PolicyError([Problem(file, 1, 1, "", "empty policy: expected a mapping with repositories and jobs")])
        duplicates = list(_duplicates(root, file, ()))
        if duplicates:
            raise PolicyError(duplicates)
        data = loader.construct_document(root)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        what = " ".join(str(exc.problem or exc.context or "not valid YAML").split())
        raise PolicyError([Problem(file, line, column, "", f"not valid YAML: {what}")]) from None
    except yaml.YAMLError as exc:
        raise PolicyError([Problem(file, 1, 1, "", f"not valid YAML: {' '.join(str(exc).split())}")]) from None
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        raise PolicyError([_at(file, root, "", "expected a mapping with repositories and jobs")])
    return root, data


def _duplicates(node: yaml.Node, file: str, path: tuple[str | int, ...]) -> Any:
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            name = str(key.value)
            if isinstance(key, yaml.ScalarNode) and name in seen and name != "<<":
                yield _at(file, key, _path_text((*path, name)), f"duplicate key {name!r}: each key may appear once")
            seen.add(name)
            yield from _duplicates(value, file, (*path, name))
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            yield from _duplicates(item, file, (*path, i))


def _at(file: str, node: yaml.Node, path: str, message: str, severity: str = "error") -> Problem:
    mark = node.start_mark
    return Problem(file, mark.line + 1, mark.column + 1, path, message, severity)


def located(file: str, root: yaml.Node | None, loc: Loc, message: str, severity: str = "error") -> Problem:
    """A problem at the node `loc` names (as deep as the file goes)."""
    if root is None:
        return Problem(file, 1, 1, _path_text(loc), message, severity)
    node, path = locate(root, loc)
    if isinstance(node, yaml.MappingNode) and not node.flow_style and path:
        node, path = locate(root, tuple(path), key=True)  # a block mapping starts at its first key: name its own
    return _at(file, node, _path_text(path), message, severity)


def locate(root: yaml.Node, loc: Loc, key: bool = False) -> tuple[yaml.Node, list[str | int]]:
    """The node `loc` leads to, and the part of `loc` found in the file. Parts the file does not have
    (pydantic's union member names, a missing key) are skipped; `key` points at a mapping's key node
    instead of its value for the last part (an unknown key)."""
    node, path = root, []
    parts = list(loc)
    for i, part in enumerate(parts):
        last = i == len(parts) - 1 or (i == len(parts) - 2 and parts[-1] == "[key]")
        if part == "[key]":
            continue
        if isinstance(node, yaml.MappingNode):
            found = next(((k, v) for k, v in node.value if str(k.value) == str(part)), None)
            if found is None:
                continue
            path.append(part)
            node = found[0] if last and (key or parts[-1] == "[key]") else found[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
            path.append(part)
            node = node.value[part]
    return node, path


def _path_text(path: Sequence[str | int]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _problems(exc: ValidationError, file: str, root: yaml.Node) -> list[Problem]:
    problems: dict[tuple[int, int, str], Problem] = {}
    for err in _without_losing_branches(exc.errors()):
        loc = tuple(err["loc"])
        extra = err["type"] == "extra_forbidden"
        node, path = locate(root, loc, key=extra)
        if err["type"] == "missing" and loc:
            path_text = _path_text([*path, loc[-1]])
        else:
            path_text = _path_text(path)
        problem = _at(file, node, path_text, _message(err, loc))
        problems.setdefault((problem.line, problem.column, problem.message), problem)
    return sorted(problems.values(), key=lambda p: (p.line, p.column))


def _without_losing_branches(errors: list[Any]) -> list[Any]:
    """For a value that may take several shapes ("all" or a list of regions), pydantic reports why
    each shape failed; keep only the shape that got furthest (the one the author meant)."""
    by_base: dict[Loc, list[Any]] = {}
    for err in errors:
        loc = tuple(err["loc"])
        base = next((loc[:i] for i, part in enumerate(loc) if _is_branch(part)), None)
        if base is None:
            by_base.setdefault(loc + ("",), []).append(err)
        else:
            by_base.setdefault(base, []).append(err)
    kept = []
    for errs in by_base.values():
        deepest = max(len(e["loc"]) for e in errs)
        kept += [e for e in errs if len(e["loc"]) == deepest or len(errs) == 1]
    return kept


def _is_branch(part: str | int) -> bool:
    return isinstance(part, str) and (part.startswith(("list[", "literal[", "function-", "dict[", "nullable["))
                                      or part in ("str", "int", "float", "bool"))

# (account entries' union tags are model names: they are skipped by `locate`, not collapsed as branches)


_PATTERNS = {
    r"^[0-9]{12}$": "expected a 12-digit AWS account id",
    r"^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$": "bad job name: expected letters, digits, - and _ (at most 63, "
                                          "starting with a letter or digit)",
    r"^(auto|cloudwatch|emf|none|prometheus=.+)$": "expected auto, cloudwatch, emf, none or prometheus=FILE",
}


def _message(err: Any, loc: Loc) -> str:
    kind, msg, given = err["type"], str(err["msg"]), err.get("input")
    if kind == "extra_forbidden":
        allowed = allowed_keys(loc[:-1])
        return f"unknown key {loc[-1]!r}" + (f", expected one of: {', '.join(allowed)}" if allowed else "")
    if kind == "missing":
        return f"missing key {loc[-1]!r}"
    if kind == "value_error":
        return msg.removeprefix("Value error, ")
    if kind == "string_pattern_mismatch":
        text = _PATTERNS.get(str(err.get("ctx", {}).get("pattern")), msg)
        return f"{text}, got {given!r}"
    if kind == "string_type" and isinstance(given, int) and not isinstance(given, bool):
        return f"expected a string, got the number {given} (quote it: YAML reads unquoted digits as a number)"
    if msg.startswith("Input should be "):
        return f"expected {msg.removeprefix('Input should be ')}, got {_shown(given)}"
    if kind == "too_short":
        return f"expected at least {err.get('ctx', {}).get('min_length', 1)} item(s)"
    return msg[:1].lower() + msg[1:]


def _shown(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value)


def allowed_keys(loc: Loc) -> list[str]:
    """The keys the model accepts at `loc` (for "unknown key, expected one of …")."""
    target: Any = Policy
    for part in loc:
        target = _step(target, part)
        if target is None:
            return []
    model = _model_of(target)
    if model is None:
        return []
    return [f.alias or name for name, f in model.model_fields.items()]


def _step(target: Any, part: str | int) -> Any:
    model = _model_of(target, part)
    if model is not None and model.__name__ == part:
        return model
    if model is not None:
        field_ = next((f for n, f in model.model_fields.items() if part in (n, f.alias)), None)
        return field_.annotation if field_ is not None else None
    for arg in _args(target):
        origin = typing.get_origin(arg)
        if origin is list and isinstance(part, int):
            return typing.get_args(arg)[0]
        if origin is dict and isinstance(part, str):
            return typing.get_args(arg)[1]
    return None


def _args(target: Any) -> list[Any]:
    """A type and, for a union or Annotated, its members (flattened)."""
    origin = typing.get_origin(target)
    if origin is typing.Annotated:
        return _args(typing.get_args(target)[0])
    if origin in (typing.Union, types.UnionType):
        return [a for member in typing.get_args(target) for a in _args(member)]
    return [target]


def _model_of(target: Any, part: str | int | None = None) -> type[BaseModel] | None:
    models = [a for a in _args(target) if isinstance(a, type) and issubclass(a, BaseModel)]
    if part is not None and (named := [m for m in models if m.__name__ == part]):
        return named[0]  # a union member named by its tag (accounts' entries)
    if part is not None:
        models = [m for m in models if any(part in (n, f.alias) for n, f in m.model_fields.items())] or models
    return models[0] if models else None
