"""lambda-ark: backup, restore and disaster recovery for AWS Lambda estates.

The public Python API; everything else is internal.

    import lambda_ark as ark
    aws = ark.connect()                                   # standard chain (endpoint_url="embedded": our own)
    repo = ark.Repository.open("s3://backups/ark", password="...", aws=aws)
    result = ark.run_backup(aws, repo, ark.BackupOptions(regions=["all"]))
    snap = repo.load_snapshot("latest")
    plan = ark.run_restore(aws, repo, snap, ark.RestoreOptions(to_region="us-west-2"), dry_run=True)

    loaded = ark.load_policy("lambda-ark.yaml")           # PolicyError lists every problem, located
    ctx = ark.RunContext(loaded, aws, open_repository=lambda ref: ark.Repository.open(ref.url, password="..."))
    report = ark.run_due(ctx)                             # every due job once (docs/policy.md)
"""

from __future__ import annotations

from .automation import Context as RunContext
from .automation import run_due
from .aws import Aws, connect
from .backup import BackupOptions, BackupResult, run_backup
from .errors import (
    AwsError,
    IntegrityError,
    LambdaArkError,
    LockError,
    RepositoryError,
    RepositoryExists,
    RepositoryNotFound,
    SnapshotNotFound,
    UsageError,
    WrongKey,
)
from .policy import PolicyError, load_policy
from .repository import FileRef, Repository, Snapshot, SnapshotInfo, apply_policy, check, copy, forget, prune
from .restore.apply import RestoreOptions, RestoreResult, run_restore
from .restore.arns import ArnMapper

__version__ = "0.1.0"

__all__ = [
    "ArnMapper",
    "Aws",
    "BackupOptions",
    "BackupResult",
    "FileRef",
    "Repository",
    "RestoreOptions",
    "RestoreResult",
    "RunContext",
    "Snapshot",
    "SnapshotInfo",
    "apply_policy",
    "check",
    "connect",
    "copy",
    "forget",
    "load_policy",
    "prune",
    "run_backup",
    "run_due",
    "run_restore",
    "AwsError",
    "IntegrityError",
    "LambdaArkError",
    "LockError",
    "PolicyError",
    "RepositoryError",
    "RepositoryExists",
    "RepositoryNotFound",
    "SnapshotNotFound",
    "UsageError",
    "WrongKey",
    "__version__",
]
