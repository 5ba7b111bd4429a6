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
