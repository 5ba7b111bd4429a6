"""What a backup reads again, per function and per region: pure decisions, table-tested.

A function is read in full ("fresh") when it is new, its `list_functions` fingerprint changed, data
its previous capture names is gone from the repository, its periodic re-read is due, or `--full`
asks. Otherwise only the function-scoped kinds the change feed names are read; the rest is carried
forward from the previous snapshot.

A region-scoped kind (one listing per region, matched to functions in memory) is listed again on
every run unless the change feed is complete and maps its service's events
(`change_feed.REGION_KINDS_NAMED`). Then it is listed only when the feed names it there, when the
region has a function the previous snapshot does not know (whose triggers no snapshot holds yet),
when it was never listed or its listing failed, or when its last listing is older than the re-read
period; otherwise every function keeps its previous capture of it. That is correct because a
trigger only changes through a call to its own service, which the feed sees.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from .change_feed import REGION_KINDS_NAMED, Change
from .kinds import KINDS
from .kinds.common import stable_hash
from .model import FunctionRecord

FUNCTION_KINDS = frozenset(k.NAME for k in KINDS if k.SCOPE == "function")
REGION_KINDS = frozenset(k.NAME for k in KINDS if k.SCOPE == "region")


def fingerprint(listed: dict[str, Any]) -> str:
    """What list_functions says about a function; equal fingerprints mean nothing to capture again."""
    return stable_hash({"code": listed.get("CodeSha256"), "revision": listed.get("RevisionId"), "listed": listed})


def recapture_due(old: FunctionRecord, now: datetime, after: timedelta | None) -> bool:
    """Whether an unchanged function's capture is old enough to read again.

    Each function comes due somewhere in [after/2, after] (fixed by its ARN), so an estate first
    captured in one run is re-read over several runs rather than all at once.
    """
    if after is None:
        return False
    if old.captured_at is None:
        return True
    share = 0.5 + (int.from_bytes(hashlib.sha256(old.arn.encode()).digest()[:2], "big") % 501) / 1000
    return now - old.captured_at >= after * share


@dataclass(frozen=True)
class FunctionPlan:
    fresh: bool  # every function-scoped kind is read, and the record's captured_at moves on
    kinds: frozenset[str]  # the function-scoped kinds to read
    why: tuple[Change, ...] = field(default=())  # the feed's changes that named this function

    @property
    def reads(self) -> bool:
        return bool(self.kinds)


def plan_function(
    old: FunctionRecord | None,
    listed_fingerprint: str,
    *,
    usable: bool,
    full: bool,
    due: bool,
    named: list[Change],
) -> FunctionPlan:
    """Which function-scoped kinds of one function to read (see the module's docstring).

    A change that moves the function's RevisionId (a code or configuration update) is already
    reflected in a previous capture whose fingerprint still matches: that capture was read after it.
    """
    why = tuple(c for c in named if c.kind in FUNCTION_KINDS)
    if full or old is None or old.fingerprint != listed_fingerprint or not usable or due:
        return FunctionPlan(fresh=True, kinds=FUNCTION_KINDS, why=why)
    why = tuple(c for c in why if not c.moves_revision)
    return FunctionPlan(fresh=False, kinds=frozenset(c.kind for c in why), why=why)


def plan_region(
    *,
    feed_complete: bool,
    full: bool,
    named: list[Change],
    last_listed: dict[str, datetime],
    unknown_functions: bool,
    now: datetime,
    every: timedelta | None,
) -> frozenset[str]:
    """Which region-scoped kinds to list again in one region (see the module's docstring).

    `last_listed` holds when each kind was last listed successfully in this region (absent: never).
    """
    if full or not feed_complete or unknown_functions:
        return REGION_KINDS
    out = ({c.kind for c in named} & REGION_KINDS) | (REGION_KINDS - REGION_KINDS_NAMED)
    for kind in REGION_KINDS:
        when = last_listed.get(kind)
        if when is None or (every is not None and now - when >= every):
            out.add(kind)
    return frozenset(out)
