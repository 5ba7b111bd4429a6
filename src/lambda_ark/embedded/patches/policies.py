"""TODO."""

from __future__ import annotations


def apply() -> None:
    pass
