"""Guards that keep a backup from reporting success over nothing. Pure decisions, table-tested.

- `refusal`: a run that has nothing to record writes nothing (an empty selection, every region
  failing) instead of a snapshot that looks like an empty estate.
- `mass_deletion`: a scope that lost more than `--max-deleted` of its functions since its previous
  snapshot is still recorded, but flagged (ANOMALY_TAG, exit 3), so the loss is seen and retention
  keeps what came before.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from .errors import UsageError
from .model import FunctionRecord
from .selection import in_shard, name_matches

DEFAULT_MAX_DELETED = 20.0  # percent of a scope's functions that may go between two snapshots


def parse_max_deleted(text: str) -> float:
    """`20` or `20%` -> 20.0; a percentage from 0 to 100."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*%?\s*", text)
    if not m or not 0 <= float(m.group(1)) <= 100:
        raise UsageError(f"--max-deleted {text!r}: give a percentage from 0 to 100, e.g. 20 or 20%")
    return float(m.group(1))


def refusal(regions: list[str], failed: dict[str, str], selected: int, allow_empty: bool) -> str | None:
    """Why nothing may be written, before any data is: None when the run should go on.

    `failed` maps each region whose functions could not be listed to its error; `selected` counts the
    functions selected in the regions that could be listed.
    """
    if regions and len(failed) == len(regions):
        details = "; ".join(f"{region}: {error}" for region, error in sorted(failed.items()))
        return f"no snapshot written: every region failed ({details})"
    if selected == 0 and not failed and not allow_empty:
        return (
            f"no snapshot written: the selection matches no function in {', '.join(regions) or 'any region'} "
            "(check --regions, --function, --select-tag and --shard; --allow-empty records an empty snapshot)"
        )
    return None


def nothing_captured(errors: list[str]) -> str:
    """The one line for a run in which every function failed: no snapshot of nothing is written."""
    more = f"; and {len(errors) - 1} more" if len(errors) > 1 else ""
    first = errors[0] if errors else "no function could be read"
    return f"no snapshot written: nothing could be captured or carried forward ({len(errors)} errors: {first}{more})"


def covered(
    records: Iterable[FunctionRecord],
    account: str,
    regions: list[str],
    functions: list[str],
    shard: tuple[int, int] | None,
    tags: dict[str, str],
) -> set[str]:
    """Keys of the records a selection covers: the previous snapshot's share of this run's scope.

    The previous snapshot may be of another scope (another shard, more regions, other globs); only
    what this run could have seen again may count as lost. A record without captured tags is covered
    by a tag selection only if it carries them (an unknown is not a loss).
    """
    out = set()
    for r in records:
        if r.account != account or r.region not in regions:
            continue
        if not name_matches(r.name, functions) or not in_shard(r.arn, shard):
            continue
        if tags:
            have = (r.items.get("function") or {}).get("tags") or {}
            if any(have.get(k) != v for k, v in tags.items()):
                continue
        out.add(r.key)
    return out


@dataclass(frozen=True)
class Deletion:
    """A scope lost more functions than allowed: `had` before, `now` after, `lost` of them gone."""

    had: int
    now: int
    lost: int
    limit: float

    def message(self) -> str:
        share = 100 * self.lost / self.had
        return (
            f"mass deletion: this scope had {self.had} functions in the previous snapshot, now {self.now} "
            f"({self.lost} gone, {share:.0f}% > --max-deleted {self.limit:g}%); snapshot tagged anomaly"
        )


def mass_deletion(had: set[str], now: set[str], max_deleted: float) -> Deletion | None:
    """A Deletion when more than `max_deleted` percent of `had` (function keys) are missing from `now`.

    New functions do not offset lost ones: ten created and ten deleted is still ten deleted.
    """
    if not had:
        return None
    lost = len(had - now)
    if lost * 100 <= max_deleted * len(had):
        return None
    return Deletion(had=len(had), now=len(now), lost=lost, limit=max_deleted)
