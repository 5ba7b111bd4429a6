"""lambda-ark: backup, restore and disaster recovery for AWS Lambda estates.

The public Python API; everything else is internal.
"""

from __future__ import annotations

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

__version__ = "0.1.0"

__all__ = [
    "AwsError",
    "IntegrityError",
    "LambdaArkError",
    "LockError",
    "RepositoryError",
    "RepositoryExists",
    "RepositoryNotFound",
    "SnapshotNotFound",
    "UsageError",
    "WrongKey",
    "__version__",
]
