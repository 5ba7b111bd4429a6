"""Plain helpers for the kind tests (fixtures live in conftest.py)."""

from __future__ import annotations

from typing import Any

ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/x"


def record_of(fn: dict[str, Any], region: str, items: dict[str, Any] | None = None) -> dict[str, Any]:
    """A FunctionRecord as restore receives it (model_dump)."""
    return {"account": ACCOUNT, "region": region, "name": fn["FunctionName"], "arn": fn["FunctionArn"],
            "fingerprint": "x", "items": items or {}}


def actions(changes: list[Any]) -> list[str]:
    return sorted(c.action for c in changes)


def planned(kind: Any, ctx: Any, record: dict[str, Any], data: Any) -> list[Any]:
    """One kind's plan for one function (reads only)."""
    return list(kind.plan(ctx, record, data))


def applied(kind: Any, ctx: Any, record: dict[str, Any], data: Any) -> list[Any]:
    """One kind's plan for one function, applied as restore applies it (each change's apply run in
    order; a change that raises becomes failed)."""
    from lambda_ark.restore.apply import _apply_change

    return [_apply_change(c, False) for c in kind.plan(ctx, record, data)]
