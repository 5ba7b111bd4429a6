"""What `show` and `diff` tell about a snapshot's functions: names, regions, fingerprints, kinds.

The repository treats the body as opaque; this module reads it as `lambda_ark.model.BackupBody`
and returns only identifying fields, never recorded settings (environment variables are secrets).
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from ..model import BackupBody, FunctionRecord
from .models import Snapshot


def _functions(snap: Snapshot) -> dict[str, FunctionRecord]:
    try:
        body = BackupBody.model_validate(snap.body)
    except ValidationError:
        return {}  # a body of another shape: nothing to list
    return {f.key: f for f in body.functions}


def function_rows(snap: Snapshot) -> list[dict[str, Any]]:
    return [
        {"account": f.account, "region": f.region, "name": f.name, "fingerprint": f.fingerprint,
         "items": sorted(f.items)}
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
            changed.append({"key": key, "kinds": kinds, "fingerprint": [x.fingerprint, y.fingerprint]})
    return {
        "a": a.id, "b": b.id,
        "added": sorted(fb.keys() - fa.keys()),
        "removed": sorted(fa.keys() - fb.keys()),
        "changed": changed,
        "unchanged": len(fa.keys() & fb.keys()) - len(changed),
    }
