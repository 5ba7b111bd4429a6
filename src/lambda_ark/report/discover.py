"""The live estate for the coverage section: function names per account/region (ListFunctions only)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..kinds.common import pages
from ..parallel import parallel_map

if TYPE_CHECKING:
    from ..aws import Aws


def discover(aws: Aws, regions: list[str]) -> dict[str, list[str]]:
    """`account/region` -> function names, for the caller's account in each region."""
    account = aws.account_id()

    def names(region: str) -> tuple[str, list[str]]:
        fns = pages(aws.client("lambda", region), "list_functions", "Functions")
        return f"{account}/{region}", sorted(f["FunctionName"] for f in fns)

    return dict(parallel_map(names, regions, 4))
