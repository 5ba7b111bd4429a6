"""`audit verify`: walk every chain and name each missing, reordered or altered event.

What is checked (docs/audit.md):
- each event opens under the repository key and hashes to the id in its name (else: altered);
- its writer, place and time are the ones its name gives (else: moved, i.e. reordered);
- each chain runs 1, 2, 3 ... and each event names the one before it (`prev`) and is no older;
- every event another event names (`after`) exists with that id;
- every chain head a snapshot header recorded at commit exists (so deleting the newest events is
  found once any snapshot was written after them).
The decision is a pure function of what was read (`find_problems`), table-tested.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..repository.auditnames import EventName
from .log import Entry, _ms, read

if TYPE_CHECKING:
    from ..repository import Repository


@dataclass
class VerifyResult:
    events: int = 0
    chains: int = 0
    snapshots_checked: int = 0
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "events": self.events, "chains": self.chains,
                "snapshots_checked": self.snapshots_checked, "problems": self.problems, "warnings": self.warnings}


def _label(n: EventName) -> str:
    return f"{n.writer}#{n.seq}"


def find_problems(entries: list[Entry], strange: list[str],
                  snapshot_heads: dict[str, dict[str, str]]) -> list[str]:
    """Everything wrong with the log, one line each, in a stable order."""
    problems: dict[str, None] = {f"{name}: not an audit event (put there by hand?)": None for name in strange}
    by_name = {e.name.name: e for e in entries}
    chains: dict[str, dict[int, Entry]] = {}
    for e in entries:
        chains.setdefault(e.name.writer, {})[e.name.seq] = e
        if e.problem:
            problems[f"{e.name.name}: {e.problem}"] = None
        elif e.event is not None and (e.event.writer, e.event.seq, _ms(e.event.time)) != (
                e.name.writer, e.name.seq, e.name.ms):
            problems[f"reordered: {e.name.name} holds event {e.event.writer}#{e.event.seq} of "
                     f"{e.event.time:%Y-%m-%d %H:%M:%S}Z ({e.event.command}), moved from its place"] = None
    for writer, chain in sorted(chains.items()):
        for seq in range(1, max(chain) + 1):
            if seq not in chain:
                problems[f"missing: event {writer}#{seq} (the chain goes on to #{max(chain)})"] = None
                continue
            event, before = chain[seq].event, chain.get(seq - 1)
            if event is None or before is None or before.event is None or event.seq != seq:
                continue
            if event.prev != before.name.id:
                problems[f"reordered or replaced: {_label(chain[seq].name)} does not follow "
                         f"{_label(before.name)} (it names {str(event.prev)[:12]}… as its previous event)"] = None
            elif event.time < before.event.time:
                problems[f"reordered: {_label(chain[seq].name)} is older than {_label(before.name)}"] = None
    for e in entries:
        for ref in e.event.after if e.event is not None else []:
            if ref not in by_name:
                problems[f"missing: event {ref} (named by {_label(e.name)})"] = None
    for snap_id, heads in sorted(snapshot_heads.items()):
        for writer, ref in sorted(heads.items()):
            if ref not in by_name:
                problems[f"missing: event {ref}, the head of chain {writer} when snapshot {snap_id[:8]} was "
                         "committed (events at the end of the log were deleted)"] = None
    return list(problems)


def verify(repo: Repository) -> VerifyResult:
    """Read every event and every snapshot header's recorded heads; name what is wrong."""
    entries, strange = read(repo)
    snapshots = repo.snapshots()  # an unreadable header is a warning of its own (repo.warnings)
    heads = {s.id: s.audit for s in snapshots if s.audit}
    return VerifyResult(
        events=len(entries), chains=len({e.name.writer for e in entries}), snapshots_checked=len(heads),
        problems=find_problems(entries, strange, heads), warnings=list(repo.warnings),
    )
