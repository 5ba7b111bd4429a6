"""Which fields changed between two captures: dotted names, never values, never too deep."""

from __future__ import annotations

from typing import Any

import pytest

from lambda_ark.repository.diff import changed_fields

SECRET = "s3cr3t-value"


def _items(timeout: int = 3, alias_version: str = "1", env: str = "x", extra_alias: bool = False,
           tags: dict[str, str] | None = None) -> dict[str, Any]:
    aliases = [{"name": "live", "function_version": alias_version, "weights": {}}]
    if extra_alias:
        aliases.append({"name": "canary", "function_version": "2", "weights": {}})
    return {
        "function": {"config": {"Timeout": timeout, "Environment": {"Variables": {"DB_PASSWORD": env}}},
                     "tags": tags or {}},
        "aliases": aliases,
        "versions": [{"version": "1", "config": {"Timeout": 3}}],
    }


CASES = [
    (_items(), _items(), []),
    (_items(), _items(timeout=10), ["function.config.Timeout"]),
    (_items(), _items(alias_version="2"), ["aliases.live.function_version"]),
    (_items(), _items(extra_alias=True), ["aliases.canary"]),
    (_items(), _items(env=SECRET), ["function.config.Environment.Variables"]),  # capped: no variable names
    (_items(), _items(tags={"team": "a"}), ["function.tags.team"]),
    (_items(), {**_items(), "url": {"AuthType": "NONE"}}, ["url"]),
    ({"mappings": [1, 2]}, {"mappings": [1, 3]}, ["mappings"]),  # a list without labels changes as a whole
]


@pytest.mark.parametrize(("a", "b", "expected"), CASES)
def test_changed_fields(a: dict[str, Any], b: dict[str, Any], expected: list[str]) -> None:
    got = changed_fields(a, b)
    assert got == expected
    assert SECRET not in repr(got)
