"""An account of its own on the shared embedded endpoint, for tests that back up whole regions.

Backup lists every function of a region, and the endpoint's state is shared by every test of the
session; a test in an account nobody else uses sees only what it built, whatever region it picks.
The endpoint gives each assumed role's credentials the role's account, as moto does.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

from tests import accounts

from lambda_ark.aws import Aws
from lambda_ark.backup import BackupOptions, BackupResult, run_backup
from lambda_ark.repository import Repository
from lambda_ark.restore.apply import RestoreOptions, RestoreResult, run_restore

ROLE_NAME = accounts.ROLE_NAME


def own_account(aws: Aws) -> Aws:
    """An `Aws` in a fresh account of the same endpoint, with an execution role `fn`."""
    return accounts.own_account(aws).aws


def role_arn(aws: Aws) -> str:
    return f"arn:aws:iam::{aws.account_id()}:role/{ROLE_NAME}"


def package(body: str = "return event") -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(zipfile.ZipInfo("index.py", date_time=(2024, 1, 1, 0, 0, 0)),
                   f"def handler(event, context):\n    {body}\n")
    return buf.getvalue()


def create_function(aws: Aws, region: str, name: str, **kwargs: Any) -> dict[str, Any]:
    lam = aws.client("lambda", region)
    args: dict[str, Any] = {"Runtime": "python3.12", "Role": role_arn(aws), "Handler": "index.handler",
                            "Code": {"ZipFile": package()}, **kwargs}
    fn: dict[str, Any] = lam.create_function(FunctionName=name, **args)
    lam.get_waiter("function_active_v2").wait(FunctionName=name)
    return fn


def backup(aws: Aws, tmp_path: Path, region: str) -> tuple[Repository, BackupResult]:
    repo = Repository.init(str(tmp_path / "repo"), password="pw", aws=aws)
    result = run_backup(aws, repo, BackupOptions(regions=[region]))
    return repo, result


def restore(aws: Aws, repo: Repository, options: RestoreOptions, dry_run: bool = False) -> RestoreResult:
    return run_restore(aws, repo, repo.load_snapshot("latest"), options, dry_run=dry_run)


def not_unchanged(result: RestoreResult) -> list[Any]:
    """What a repeated restore still wanted to change (it should be nothing)."""
    return [c for c in result.changes if c.action != "unchanged"]
