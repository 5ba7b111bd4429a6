"""The storage engine: content-addressed, encrypted, deduplicating, write-once.

    Repository.init / Repository.open   keys (passphrase, KMS), config
    Repository.writer() -> Writer       put_file (zip-aware dedup), commit(Snapshot)
    Repository.snapshots / load_snapshot / read_file
    check, forget (apply_policy), prune, copy
    repair_index, repair_snapshots, migrate (format 1 -> 2)

The on-disk format is described in docs/repository-format.md.
"""

from __future__ import annotations

from .check import CheckResult, check
from .copy import CopyResult, copy
from .forget import ForgetResult, forget
from .migrate import MigrateResult, migrate
from .models import FileRef, Snapshot, SnapshotInfo
from .policy import Rules, apply_policy
from .prune import PruneResult, prune
from .repair_index import RepairIndexResult, repair_index
from .repair_snapshots import RepairSnapshotsResult, repair_snapshots
from .repo import Repository
from .writer import Writer

__all__ = [
    "CheckResult",
    "CopyResult",
    "FileRef",
    "ForgetResult",
    "MigrateResult",
    "PruneResult",
    "RepairIndexResult",
    "RepairSnapshotsResult",
    "Repository",
    "Rules",
    "Snapshot",
    "SnapshotInfo",
    "Writer",
    "apply_policy",
    "check",
    "copy",
    "forget",
    "migrate",
    "prune",
    "repair_index",
    "repair_snapshots",
]
