"""Command: iam-policy (the least-privilege IAM policy of one lambda-ark role, as JSON)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from ..errors import UsageError
from ..iam import ROLES, policy_for, request_for
from ..selection import parse_regions, validate_globs
from . import app
from .automation_common import load_or_exit
from .common import print_json


@app.command("iam-policy")
def iam_policy(
    role: Annotated[str, typer.Option("--for", help=f"The role: {', '.join(ROLES)}.")],
    policy: Annotated[Path | None, typer.Option(
        "--policy", "-p", dir_okay=False, help="Scope it to this policy file: its repositories, regions, names, "
        "kinds, account roles, topics and queues.")] = None,
    repo: Annotated[list[str] | None, typer.Option(
        "--repo", "-r", help="The repository (repeatable; default: the policy's, else LAMBDA_ARK_REPOSITORY).")] = None,
    kms_key: Annotated[list[str] | None, typer.Option(
        "--kms-key", help="A KMS key that opens the repository (ARN; repeatable).")] = None,
    regions: Annotated[str | None, typer.Option(
        "--regions", help="Only these regions (aws:RequestedRegion), comma-separated; 'all': no condition.")] = None,
    function: Annotated[list[str] | None, typer.Option(
        "--function", "-f", help="Only functions matching this glob (repeatable; their ARNs where Lambda allows).")
    ] = None,
    password_secret: Annotated[str | None, typer.Option(
        "--password-secret", help="A Secrets Manager secret (ARN) holding the repository password.")] = None,
    partition: Annotated[str, typer.Option("--partition", help="aws, aws-cn or aws-us-gov.")] = "aws",
    data: Annotated[bool, typer.Option("--data", help="Also event-source data (backup/restore --data): the "
                                       "buckets, tables, streams and queues' reads, and for restore their writes "
                                       "(a policy whose jobs have `data:` implies it).")] = False,
) -> None:
    """Print the least-privilege IAM policy (JSON) for one lambda-ark role.

    Generated from what lambda-ark calls (each kind's declared permissions, checked against every
    call the test suite makes), scoped to the repository bucket and prefix, its KMS keys, the
    regions and, where Lambda supports it, the functions' ARNs. Roles: backup (with --policy: also
    assuming the accounts' roles, retention, copies, metrics, notifications), member (the role
    assumed in each account), restore, drill, watch, deploy, and the deployed planner, worker,
    finisher and watcher (see docs/iam.md).

    Example: lambda-ark iam-policy --for backup --policy lambda-ark.yaml > backup-policy.json
    """
    if role not in ROLES:
        raise UsageError(f"--for {role!r}: use one of {', '.join(ROLES)}")
    if partition not in ("aws", "aws-cn", "aws-us-gov"):
        raise UsageError(f"--partition {partition!r}: use aws, aws-cn or aws-us-gov")
    loaded = load_or_exit(policy) if policy is not None else None
    repos = list(repo or [])
    if not repos and loaded is None and (env := os.environ.get("LAMBDA_ARK_REPOSITORY")):
        repos = [env]
    if not repos and loaded is None and role not in ("member", "deploy"):
        raise UsageError("name the repository: --repo URL or --policy FILE")
    request = request_for(
        role, loaded, repositories=repos, kms_keys=list(kms_key or []),
        regions=parse_regions(regions) if regions is not None else None,
        functions=validate_globs(function or []), partition=partition, secret=password_secret, data=data)
    print_json(policy_for(request))
