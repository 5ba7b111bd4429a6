"""Errors lambda-ark raises, and the exit code each maps to.

    LambdaArkError                  base; exit 1
    ├── UsageError                  bad input from the user (glob, tag, region, policy file); exit 2
    │   └── PolicyError             a policy file's problems, each located (lambda_ark.policy)
    ├── AwsError                    an AWS call failed after retries; names the call and region
    └── RepositoryError             anything about the repository
        ├── RepositoryNotFound      no repository at that URL
        ├── RepositoryExists        init over an existing repository
        ├── WrongKey                no key opens it (wrong passphrase or KMS key)
        ├── IntegrityError          an object failed to decrypt, verify or parse
        ├── SnapshotNotFound        no snapshot matches that id/prefix
        └── LockError               a lock conflicts (prune while writers hold locks)
            └── JobRunning          a policy job is running elsewhere (lambda_ark.automation)

Library code raises these; only the CLI turns them into one-line messages and exit codes.
"""

from __future__ import annotations


class LambdaArkError(Exception):
    exit_code = 1


class UsageError(LambdaArkError):
    exit_code = 2


class AwsError(LambdaArkError):
    pass


class RepositoryError(LambdaArkError):
    pass


class RepositoryNotFound(RepositoryError):
    pass


class RepositoryExists(RepositoryError):
    pass


class WrongKey(RepositoryError):
    pass


class IntegrityError(RepositoryError):
    pass


class SnapshotNotFound(RepositoryError):
    pass


class LockError(RepositoryError):
    pass


def describe(exc: BaseException) -> str:
    """One line for a per-item failure: our errors as they are, anything else named as unexpected
    (a bug to report, kept to its item so the rest of the run completes)."""
    if isinstance(exc, LambdaArkError):
        return str(exc)
    text = " ".join(str(exc).split())
    return f"unexpected {type(exc).__name__}: {text}" if text else f"unexpected {type(exc).__name__}"
