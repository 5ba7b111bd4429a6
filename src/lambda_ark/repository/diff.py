"""What `show` and `diff` tell about a snapshot's functions: names, regions, fingerprints, kinds.

The repository treats the body as opaque; this module reads it as `lambda_ark.model.BackupBody`
and returns only identifying fields, never recorded settings (environment variables are secrets).
A changed function lists the dotted names of the fields that differ (`function.config.Timeout`,
`aliases.live.function_version`), never their values, no deeper than MAX_DEPTH names, and never
inside environment variables (`function.config.Environment.Variables` is as far as it goes).
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from ..model import BackupBody, FunctionRecord
from .models import Snapshot

MAX_DEPTH = 4
# Maps whose keys are the user's own names for secrets (environment variables): changed, not how.
_OPAQUE = frozenset({"Variables"})
# Keys that name an element of a list of records, so a list reads as a mapping: aliases.live.…
_LABELS = ("name", "Name", "id", "Id", "Sid", "version", "Version", "key", "Key", "arn", "Arn")
_MISSING = object()


def _by_label(items: list[Any]) -> dict[str, Any] | None:
    """A list of records keyed by the first label field every record has uniquely; None if none does."""
    if not items or not all(isinstance(x, dict) for x in items):
        return None
    for label in _LABELS:
        keys = [x.get(label) for x in items]
        if all(isinstance(k, str | int) for k in keys) and len(set(keys)) == len(keys):
            return {str(k): x for k, x in zip(keys, items, strict=True)}
    return None


def changed_fields(a: Any, b: Any, path: str = "", depth: int = MAX_DEPTH) -> list[str]:
    """Dotted names of what differs between `a` and `b` (names only; values never leave here)."""
    if a == b:
        return []
    if depth > 0 and isinstance(a, list) and isinstance(b, list):
        la, lb = _by_label(a), _by_label(b)
        a, b = (la, lb) if la is not None and lb is not None else (a, b)
    opaque = path.rsplit(".", 1)[-1] in _OPAQUE
    if depth <= 0 or opaque or not (isinstance(a, dict) and isinstance(b, dict)):
        return [path] if path else []
    out = []
    for key in sorted(a.keys() | b.keys(), key=str):
        sub = f"{path}.{key}" if path else str(key)
        x, y = a.get(key, _MISSING), b.get(key, _MISSING)
        out += [sub] if _MISSING in (x, y) else changed_fields(x, y, sub, depth - 1)
    return out


def _functions(snap: Snapshot) -> dict[str, FunctionRecord]:
    try:
        body = BackupBody.model_validate(snap.body)
    except ValidationError:
        return {}  # a body of another shape: nothing to list
    return {f.key: f for f in body.functions}


# What a `referenced_by` entry (kinds.referenced_by) may show: who depends, never a value it holds.
_DEPENDENT = ("type", "arn", "name", "region", "detail", "qualifier")


def function_rows(snap: Snapshot) -> list[dict[str, Any]]:
    """Per function: identity, fingerprint, recorded kinds, the invokers no kind captured, and the
    dependents that name it (a variable's name, never its value)."""
    return [
        {"account": f.account, "region": f.region, "name": f.name, "fingerprint": f.fingerprint,
         "items": sorted(f.items), "not_captured": list(f.not_captured),
         "referenced_by": [{k: e[k] for k in _DEPENDENT if k in e} for e in f.items.get("referenced_by") or []]}
        for f in sorted(_functions(snap).values(), key=lambda f: f.key)
    ]


def diff_snapshots(a: Snapshot, b: Snapshot) -> dict[str, Any]:
    """Functions added, removed and changed from `a` to `b` (by account/region/name)."""
    fa, fb = _functions(a), _functions(b)
    changed = []
    for key in sorted(fa.keys() & fb.keys()):
        x, y = fa[key], fb[key]
        kinds = sorted(k for k in x.items.keys() | y.items.keys() if x.items.get(k) != y.items.get(k))
        if x.fingerprint != y.fingerprint or kinds:
            changed.append({"key": key, "kinds": kinds, "fingerprint": [x.fingerprint, y.fingerprint],
                            "fields": changed_fields(x.items, y.items)})
    return {
        "a": a.id, "b": b.id,
        "added": sorted(fb.keys() - fa.keys()),
        "removed": sorted(fa.keys() - fb.keys()),
        "changed": changed,
        "unchanged": len(fa.keys() & fb.keys()) - len(changed),
    }
