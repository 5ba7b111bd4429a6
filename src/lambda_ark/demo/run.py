"""The demo: build an estate, back it up twice, lose a region, restore it elsewhere, verify.

Runs against the embedded endpoint (started here) unless an endpoint URL is given. Reports through a
callback so the CLI decides how to print; the last line the CLI prints on success is
`demo: restore verified`.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import embedded
from ..aws import Aws, connect
from ..backup import BackupOptions, BackupResult, run_backup
from ..errors import LambdaArkError
from ..kinds.common import pages
from ..repository import Repository
from ..restore.apply import RestoreOptions, RestoreResult, run_restore
from . import estate as estate_mod

Say = Callable[[str], None]
PASSWORD = "lambda-ark-demo"


@dataclass
class DemoReport:
    functions: int = 0
    regions: list[str] = field(default_factory=list)
    backups: list[dict[str, Any]] = field(default_factory=list)
    lost_region: str = ""
    target_region: str = ""
    restore: dict[str, int] = field(default_factory=dict)
    verify: dict[str, int] = field(default_factory=dict)
    verified: bool = False
    problems: list[str] = field(default_factory=list)


def run_demo(
    say: Say,
    *,
    endpoint_url: str | None = None,
    repo_path: Path | None = None,
    regions: tuple[str, ...] = ("us-east-1", "eu-west-1", "ap-southeast-2"),
    lost: str = "eu-west-1",
    target: str = "us-west-2",
    per_region: int = 12,
) -> DemoReport:
    ep = None if endpoint_url else embedded.start()
    try:
        aws = connect(endpoint_url=endpoint_url or (ep.url if ep else None), max_workers=8)
        with tempfile.TemporaryDirectory(prefix="lambda-ark-demo-") as tmp:
            return _scenario(aws, say, repo_path or Path(tmp) / "repo", list(regions), lost, target, per_region)
    finally:
        if ep is not None:
            ep.stop()


def _scenario(aws: Aws, say: Say, repo_path: Path, regions: list[str], lost: str, target: str, n: int) -> DemoReport:
    report = DemoReport(regions=regions, lost_region=lost, target_region=target)
    say(f"building an estate: {n} functions in each of {', '.join(regions)}")
    estate = estate_mod.build(aws, regions, per_region=n)
    report.functions = estate.count

    repo = Repository.init(str(repo_path), password=PASSWORD, aws=aws)
    say(f"repository initialised at {repo_path}")
    first = _backup(aws, repo, say, "first backup (every enabled region)")
    report.backups.append(_summary(first, aws))

    changed = _change_some(aws, estate)
    say(f"changed {len(changed)} functions: {', '.join(changed)}")
    second = _backup(aws, repo, say, "second backup")
    report.backups.append(_summary(second, aws))

    names = estate.functions[lost]
    say(f"disaster: deleting all {len(names)} functions in {lost}")
    _delete_region(aws, lost, names)
    estate_mod.event_sources(aws, target)  # the target region's own queue, stream and table
    snapshot = repo.load_snapshot("latest")
    options = RestoreOptions(regions=[lost], to_region=target)
    plan = run_restore(aws, repo, snapshot, options, dry_run=True)
    say(f"restore plan into {target}: {_counts(plan)}")
    applied = run_restore(aws, repo, snapshot, options, dry_run=False)
    report.restore = applied.counts()
    say(f"restored into {target}: {_counts(applied)} in {applied.duration:.1f}s")
    report.problems += [f"{c.kind} {c.target}: {c.detail}" for c in applied.failed]

    again = run_restore(aws, repo, snapshot, options, dry_run=True)
    report.verify = again.counts()
    report.problems += [
        f"not restored exactly: {c.kind} {c.target} ({c.action} {c.detail})".strip()
        for c in again.changes
        if c.action not in ("unchanged", "skipped")
    ]
    report.problems += _check_functions(aws, repo, snapshot.body, lost, target)
    report.verified = not report.problems
    say(f"verification (re-plan against the live region): {_counts(again)}")
    return report


def _backup(aws: Aws, repo: Repository, say: Say, label: str) -> BackupResult:
    before = aws.calls.get("lambda.GetFunction", 0)
    result = run_backup(aws, repo, BackupOptions(regions=None))
    if result.errors:
        raise LambdaArkError(f"demo backup failed: {result.errors[0]}")
    gets = aws.calls.get("lambda.GetFunction", 0) - before
    say(
        f"{label}: snapshot {result.snapshot_id[:8]}, {result.functions} functions in {len(result.regions)} regions, "
        f"{result.changed} captured ({gets} GetFunction calls), {result.carried_forward} carried forward, "
        f"{result.bytes_added:,} bytes added, {result.duration:.1f}s"
    )
    return result


def _summary(result: BackupResult, aws: Aws) -> dict[str, Any]:
    return {k: v for k, v in result.as_dict().items() if k not in ("warnings",)}


def _change_some(aws: Aws, estate: estate_mod.Estate) -> list[str]:
    region = estate.regions[0]
    lam = aws.client("lambda", region)
    names = estate.functions[region][:3]
    for name in names:
        lam.update_function_configuration(FunctionName=name, Timeout=42)
        lam.get_waiter("function_updated_v2").wait(FunctionName=name)
    lam.update_function_code(FunctionName=names[0], ZipFile=estate_mod.package(names[0], release=2))
    lam.get_waiter("function_updated_v2").wait(FunctionName=names[0])
    return names


def _delete_region(aws: Aws, region: str, names: list[str]) -> None:
    lam = aws.client("lambda", region)
    for m in pages(lam, "list_event_source_mappings", "EventSourceMappings"):
        lam.delete_event_source_mapping(UUID=m["UUID"])
    for name in names:
        lam.delete_function(FunctionName=name)


def _check_functions(aws: Aws, repo: Repository, body: dict[str, Any], lost: str, target: str) -> list[str]:
    """Independent of the kinds' own comparison: code hashes and counts, read straight from the target."""
    problems = []
    lam = aws.client("lambda", target)
    records = [rec for rec in body["functions"] if rec["region"] == lost]
    if not records:
        problems.append(f"the snapshot holds no function of {lost}")
    for rec in records:
        got = lam.get_function(FunctionName=rec["name"])["Configuration"]
        if got["CodeSha256"] != rec["items"]["function"]["code_sha256"]:
            problems.append(f"{rec['name']}: code hash differs")
        versions = [
            v
            for v in pages(lam, "list_versions_by_function", "Versions", FunctionName=rec["name"])
            if v["Version"] != "$LATEST"
        ]
        if len(versions) != len(rec["items"].get("versions") or []):
            problems.append(
                f"{rec['name']}: {len(versions)} versions, snapshot has {len(rec['items'].get('versions') or [])}"
            )
    return problems


def _counts(result: RestoreResult) -> str:
    return ", ".join(f"{n} {a}" for a, n in sorted(result.counts().items())) or "nothing to do"
