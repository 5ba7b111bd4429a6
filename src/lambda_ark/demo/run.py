"""The demo: build an estate, back it up twice, run it as a policy job (twice in one slot: once), lose a
region, restore it elsewhere, verify; then lose a Lambda@Edge function, restore it in place and check
the distribution follows its new version.

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
from ..drill import DrillOptions, run_drill
from ..errors import LambdaArkError
from ..kinds.cloudfront import HOME
from ..kinds.common import pages
from ..repository import Repository, Snapshot
from ..restore.apply import RestoreOptions, apply_plan, plan_restore, plan_result, run_restore
from . import data as data_mod
from . import edge as edge_mod
from . import estate as estate_mod
from . import summary, verify
from . import triggers as triggers_mod
from .policy_run import policy_run

Say = Callable[[str], None]
PASSWORD = "lambda-ark-demo"


@dataclass
class DemoReport:
    functions: int = 0
    regions: list[str] = field(default_factory=list)
    backups: list[dict[str, Any]] = field(default_factory=list)
    lost_region: str = ""
    target_region: str = ""
    restore: dict[str, int] = field(default_factory=dict)  # changes by action
    restored: dict[str, int] = field(default_factory=dict)  # things by kind
    verify: dict[str, int] = field(default_factory=dict)
    edge_restore: dict[str, int] = field(default_factory=dict)
    drill: dict[str, Any] = field(default_factory=dict)  # status, RTO, outcomes by status
    policy: dict[str, Any] = field(default_factory=dict)  # the policy step: what two `run`s did
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
    say(f"building an estate: {n} functions in each of {', '.join(regions)}, plus a Lambda@Edge function in {HOME}")
    estate = estate_mod.build(aws, regions, per_region=n, triggered=lost, edge=True)
    report.functions = estate.count
    assert estate.edge is not None
    say(f"triggers in {lost}: " + ", ".join(_KIND_LABELS[t.kind] for t in estate.triggers)
        + ", each with its invoke permission")
    say(f"CloudFront distribution {estate.edge.distribution_id} runs {_short(estate.edge.version_arn)} "
        f"(Lambda@Edge, origin-request) and CloudFront Function {edge_mod.CF_FUNCTION} (viewer-response)")

    objects, items, records = data_mod.seed(aws, lost)
    say(f"data in {lost}: {objects} objects in bucket {triggers_mod.bucket_name(lost)}, {items} items in table "
        f"{data_mod.TABLE}, {records} records in stream {data_mod.STREAM} (backed up with --data "
        f"{','.join(sorted(data_mod.SOURCES))})")
    repo = Repository.init(str(repo_path), password=PASSWORD, aws=aws)
    say(f"repository initialised at {repo_path}")
    first = _backup(aws, repo, say, "first backup (every enabled region)")
    report.backups.append(_summary(first))
    invisible = [w.split(": ", 1)[1] for w in first.warnings if w.endswith(", not captured")]
    if invisible:
        say(f"nothing invisible: {len(invisible)} invokers the resource policies let in are captured by no kind, "
            f"e.g. {invisible[0]} (`show` lists them per function)")

    changed = _change_some(aws, estate)
    say(f"changed {len(changed)} functions: {', '.join(changed)}")
    second = _backup(aws, repo, say, "second backup")
    report.backups.append(_summary(second))
    snapshot = repo.load_snapshot("latest")
    report.policy = policy_run(aws, repo_path, PASSWORD, say)

    _lose_region(aws, say, repo, snapshot, estate, report)
    _lose_edge_function(aws, say, repo, snapshot, estate.edge, report)
    _drill(aws, say, repo, snapshot, regions[-1], report)
    report.verified = not report.problems
    return report


def _lose_region(aws: Aws, say: Say, repo: Repository, snapshot: Snapshot, estate: estate_mod.Estate,
                 report: DemoReport) -> None:
    """Disaster 1: a region's functions are gone; restore them into another region, triggers rewired."""
    lost, target = report.lost_region, report.target_region
    names = estate.functions[lost]
    say(f"disaster: deleting all {len(names)} functions in {lost}")
    _delete_region(aws, lost, names)
    estate_mod.event_sources(aws, target, table=False, stream=False)  # the target's own queues (table, stream: --data)
    arn_map = triggers_mod.target_infrastructure(aws, lost, target, bucket=False)
    ((src_bucket, dst_bucket),) = arn_map.items()
    say(f"target infrastructure in {target}: queues, topic {triggers_mod.TOPIC}, load balancer "
        f"{triggers_mod.LOAD_BALANCER}, user pool {triggers_mod.USER_POOL}; bucket {src_bucket.split(':::')[1]} "
        f"mapped to {dst_bucket.split(':::')[1]} (S3 notifies only same-region functions; created by the "
        f"restore, as table {data_mod.TABLE} and stream {data_mod.STREAM} are, with their data)")
    options = RestoreOptions(regions=[lost], to_region=target, arn_map=arn_map, data=True)
    plan = plan_restore(aws, repo, snapshot, options)
    say(f"restore plan into {target}: {summary.actions(plan_result(plan))}")
    applied = apply_plan(plan)  # exactly the plan just shown
    report.restore = applied.counts()
    records = [r for r in snapshot.body["functions"] if r["region"] == lost]
    report.restored = summary.tally(records)
    say(f"restored into {target} in {applied.duration:.1f}s: {summary.tally_text(report.restored)}")
    report.problems += summary.problems(applied, verifying=False)

    again = run_restore(aws, repo, snapshot, options, dry_run=True)
    report.verify = again.counts()
    report.problems += summary.problems(again, verifying=True)
    checks = verify.functions(aws, snapshot.body, lost, target) + verify.triggers(aws, estate.triggers, target)
    checks += data_mod.verify(aws, snapshot.body, lost, target, arn_map)
    report.problems += checks
    say(f"verification: re-plan against {target}: {summary.actions(again)}; code, versions, "
        f"{len(estate.triggers)} triggers and the data, object by object and item by item, checked: "
        f"{_problems(checks)}")


def _lose_edge_function(aws: Aws, say: Say, repo: Repository, snapshot: Snapshot, edge: edge_mod.Edge,
                        report: DemoReport) -> None:
    """Disaster 2: the Lambda@Edge function is deleted; restore it in place, repoint the distribution."""
    lam = aws.client("lambda", HOME)
    say(f"disaster 2: deleting Lambda@Edge function {edge.function} in {HOME}")
    lam.delete_function(FunctionName=edge.function)
    options = RestoreOptions(functions=[edge.function], regions=[HOME])
    applied = run_restore(aws, repo, snapshot, options, dry_run=False)
    report.edge_restore = applied.counts()
    report.problems += summary.problems(applied, verifying=False)
    again = run_restore(aws, repo, snapshot, options, dry_run=True)
    report.problems += summary.problems(again, verifying=True)

    versions = [v["FunctionArn"] for v in pages(lam, "list_versions_by_function", "Versions",
                                                 FunctionName=edge.function) if v["Version"] != "$LATEST"]
    lambdas, functions = edge_mod.associations(aws, edge.distribution_id)
    problems = verify.edge(aws, snapshot.body, edge, versions, lambdas, functions)
    report.problems += problems
    if len(versions) == 1:
        say(f"restored {edge.function} in place: {_short(edge.version_arn)} republished as {_short(versions[0])}; "
            f"distribution {edge.distribution_id} now runs {', '.join(_short(a) for a in lambdas) or 'nothing'}")
    say(f"verification: re-plan in {HOME}: {summary.actions(again)}; distribution checked: {_problems(problems)}")


def _drill(aws: Aws, say: Say, repo: Repository, snapshot: Snapshot, region: str, report: DemoReport) -> None:
    """Prove the backup runs: a drill restores a region's functions beside themselves (renamed,
    mappings disabled), re-plans, invokes each one, measures the RTO, cleans up and records it."""
    say(f"drill: restoring {region}'s functions from snapshot {snapshot.id[:8]} into isolation ({{name}}-drill), "
        "invoking each, then deleting them")
    result = run_drill(aws, repo, DrillOptions(snapshot=snapshot.id, regions=[region]))
    record = result.record
    counts = record.counts()
    report.drill = {"status": record.status, "rto_seconds": record.rto_seconds, "functions": counts,
                    "record": result.record_id}
    report.problems += [f"drill: {f.target}: {f.status} ({f.detail})" for f in record.functions
                        if f.status in ("failed", "not-restored")]
    report.problems += [f"drill: {p}" for p in record.problems + record.cleanup.failed]
    not_here = counts.get("not-invoked", 0)
    say(f"drill {record.drill_id}: re-plan {_short_counts(record.verification)}; {counts.get('passed', 0)} passed"
        + (f", {not_here} not invoked here (the embedded endpoint runs only Python handlers of this machine's "
           "version)" if not_here else "")
        + f"; cleaned up {len(record.cleanup.deleted)} resources; recorded as {(result.record_id or '')[:8]}")
    rto = f"{record.rto_seconds:.1f}s" if record.rto_seconds is not None else "none (a function did not pass)"
    say(f"drill {record.drill_id} {record.status}: RTO {rto} for {len(record.functions)} functions")


def _short_counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {a}" for a, n in sorted(counts.items())) or "nothing"


def _problems(found: list[str]) -> str:
    return "no problems" if not found else f"{len(found)} problem{'s' if len(found) > 1 else ''}"


def _short(arn: str) -> str:
    """arn:aws:lambda:us-east-1:123456789012:function:name:2 -> name:2"""
    return ":".join(arn.split(":")[6:])


_KIND_LABELS = {"s3_notifications": "S3 notification", "apigateway": "REST API", "apigatewayv2": "HTTP API",
                "eventbridge": "EventBridge rule", "scheduler": "Scheduler schedule", "sns": "SNS subscription",
                "alb": "ALB target group", "logs_subscriptions": "log subscription", "cognito": "Cognito trigger"}


def _backup(aws: Aws, repo: Repository, say: Say, label: str) -> BackupResult:
    before = aws.calls.get("lambda.GetFunction", 0)
    result = run_backup(aws, repo, BackupOptions(regions=None, data=data_mod.SOURCES))
    if result.errors:
        raise LambdaArkError(f"demo backup failed: {result.errors[0]}")
    gets = aws.calls.get("lambda.GetFunction", 0) - before
    say(
        f"{label}: snapshot {result.snapshot_id[:8]}, {result.functions} functions in {len(result.regions)} regions, "
        f"{result.captured} captured ({gets} GetFunction calls), {result.unchanged} unchanged, "
        f"{result.bytes_added:,} bytes added, {result.duration:.1f}s"
    )
    return result


def _summary(result: BackupResult) -> dict[str, Any]:
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
