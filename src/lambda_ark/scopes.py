"""Snapshots by scope: a sharded job writes one snapshot per account, region and shard; restore and
`snapshots` treat the newest of every scope as one recovery point.

    latest_per_scope(infos)          the newest snapshot of each scope (pure: table-tested)
    group(infos, group_by)           snapshots in series, as `forget` groups them
    merge(snapshots)                 several snapshots as one Snapshot restore can read
    load_latest_per_scope(repo, tags) the two above: what `restore --latest-per-scope` restores
    describe(snapshot)               "111122223333 eu-west-1 shard 1/4" for a person
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC

from .errors import LambdaArkError
from .model import BackupBody, FunctionRecord
from .repository import Repository, Snapshot, SnapshotInfo
from .repository.policy import GroupKey, group_key

SHARD_TAG_PREFIX = "shard-"


def scope_of(info: SnapshotInfo) -> str:
    """A snapshot's scope key (written by backup); an older snapshot without one is its own scope."""
    return str(info.summary.get("scope") or f"snapshot:{info.id}")


def latest_per_scope(infos: Iterable[SnapshotInfo], tags: Sequence[str] = ()) -> list[SnapshotInfo]:
    """The newest snapshot of every scope among those carrying all `tags`, oldest first."""
    newest: dict[str, SnapshotInfo] = {}
    for info in infos:
        if not set(tags) <= set(info.tags):
            continue
        scope = scope_of(info)
        if scope not in newest or (info.time, info.id) > (newest[scope].time, newest[scope].id):
            newest[scope] = info
    return sorted(newest.values(), key=lambda i: (i.time, i.id))


def group(infos: Iterable[SnapshotInfo], group_by: Sequence[str]) -> dict[GroupKey, list[SnapshotInfo]]:
    """Snapshots in the series `forget` would keep apart (by scope, tags, host), each oldest first."""
    out: dict[GroupKey, list[SnapshotInfo]] = {}
    for info in infos:
        out.setdefault(group_key(info, group_by), []).append(info)
    return {k: sorted(v, key=lambda i: (i.time, i.id)) for k, v in out.items()}


def shard_of(tags: Iterable[str]) -> str:
    """"i/n" from a snapshot's shard-i-of-n tag, "" if it is not a shard."""
    for tag in tags:
        if tag.startswith(SHARD_TAG_PREFIX) and "-of-" in tag:
            i, _, n = tag[len(SHARD_TAG_PREFIX):].partition("-of-")
            return f"{i}/{n}"
    return ""


def describe(snapshot: Snapshot) -> str:
    """Which accounts and regions a snapshot covers, and its shard, in words."""
    body = BackupBody.model_validate(snapshot.body)
    parts = [f"{account} {','.join(regions) or '(no region)'}" for account, regions in sorted(body.regions.items())]
    shard = shard_of(snapshot.tags)
    return "; ".join(parts or ["(empty)"]) + (f" shard {shard}" if shard else "")


class OverlappingSnapshots(LambdaArkError):
    """Two snapshots to merge record the same function."""


def merge(snapshots: Sequence[Snapshot]) -> Snapshot:
    """Several snapshots as one, for restore: every function record and every file they name.

    Shards and regions never overlap; if two snapshots still record one function (scopes that
    overlap, e.g. a job's region list changed), the newer snapshot's record is the one restored.
    """
    if not snapshots:
        raise LambdaArkError("no snapshot to restore")
    if len(snapshots) == 1:
        return snapshots[0]
    ordered = sorted(snapshots, key=lambda s: (s.time, s.id))
    records: dict[str, FunctionRecord] = {}
    regions: dict[str, set[str]] = {}
    notes: list[str] = []
    files = {}
    for snap in ordered:
        body = BackupBody.model_validate(snap.body)
        for account, names in body.regions.items():
            regions.setdefault(account, set()).update(names)
        for rec in body.functions:
            records[rec.key] = rec  # newer wins
        notes += [n for n in body.notes if n not in notes]
        files.update(snap.files)
    merged_body = BackupBody(regions={a: sorted(r) for a, r in sorted(regions.items())},
                             functions=sorted(records.values(), key=lambda r: (r.account, r.region, r.name)),
                             notes=notes)
    newest = ordered[-1]
    return Snapshot(
        id="+".join(s.id[:8] for s in ordered),
        time=newest.time.astimezone(UTC),
        host=newest.host,
        tags=sorted({t for s in ordered for t in s.tags}),
        summary={"functions": len(records), "merged": [s.id for s in ordered]},
        body=merged_body.model_dump(mode="json"),
        files=files,
    )


def load_latest_per_scope(repo: Repository, tags: Sequence[str] = ()) -> Snapshot:
    """The newest snapshot of every scope carrying `tags`, loaded and merged into one."""
    infos = latest_per_scope(repo.snapshots(), tags)
    if not infos:
        raise LambdaArkError("no snapshot" + (f" with tags {', '.join(tags)}" if tags else "") + " to restore")
    return merge([repo.load_snapshot(i.id) for i in infos])
