"""The storage engine: content-addressed, encrypted, deduplicating, write-once.

    Repository.init / Repository.open   keys (passphrase, KMS), config
    Repository.writer() -> Writer       put_file (zip-aware dedup), commit(Snapshot)
    Repository.snapshots / load_snapshot / read_file
    check, forget (apply_policy), prune, copy
    repair_index, repair_snapshots, migrate (format 1 -> 2)
    Transfer                            rate limits, retries, timeouts, S3-compatible endpoint, multipart
    replica_status, copy_to_replicas    replicas: status and lag, copy to every one
    choose_replica                      restore/drill: the nearest healthy copy, with failover

The on-disk format is described in docs/repository-format.md.
"""

from __future__ import annotations

from .backends.transport import Transfer
from .check import CheckResult, check
from .copy import CopyResult, copy
from .forget import ForgetResult, forget
from .migrate import MigrateResult, migrate
from .models import FileRef, Snapshot, SnapshotInfo
from .nearest import Choice, FailoverRepository, choose_replica
from .policy import Rules, apply_policy
from .prune import PruneResult, prune
from .repair_index import RepairIndexResult, repair_index
from .repair_snapshots import RepairSnapshotsResult, repair_snapshots
from .replicas import ReplicaCopy, ReplicaStatus, copy_to_replicas, replica_status
from .repo import Repository
from .writer import Writer

__all__ = [
    "CheckResult",
    "Choice",
    "CopyResult",
    "FailoverRepository",
    "FileRef",
    "ForgetResult",
    "MigrateResult",
    "PruneResult",
    "RepairIndexResult",
    "RepairSnapshotsResult",
    "ReplicaCopy",
    "ReplicaStatus",
    "Repository",
    "Rules",
    "Snapshot",
    "SnapshotInfo",
    "Transfer",
    "Writer",
    "apply_policy",
    "check",
    "choose_replica",
    "copy",
    "copy_to_replicas",
    "forget",
    "migrate",
    "prune",
    "repair_index",
    "repair_snapshots",
    "replica_status",
]
