"""The public API is what __init__ re-exports, and all of it resolves."""

from __future__ import annotations

import lambda_ark


def test_every_exported_name_exists() -> None:
    missing = [name for name in lambda_ark.__all__ if not hasattr(lambda_ark, name)]
    assert missing == []


def test_error_hierarchy_maps_to_exit_codes() -> None:
    assert lambda_ark.UsageError("x").exit_code == 2
    for err in (lambda_ark.WrongKey, lambda_ark.IntegrityError, lambda_ark.AwsError, lambda_ark.SnapshotNotFound):
        assert issubclass(err, lambda_ark.LambdaArkError) and err("x").exit_code == 1
