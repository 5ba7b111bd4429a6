"""Planning a restore: which functions, where they go, and what would change (reads only).

`plan_restore` reads the snapshot and the live target and returns a `Plan`: every kind's typed
changes in restore order, each create/update carrying the callable that makes it. Nothing is
written; `restore.apply.apply_plan` executes exactly those changes. `--dry-run` is "plan and print".
"""

from __future__ import annotations

import functools
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType

from ..aws import Aws
from ..data.models import DataSection
from ..data.restore import plan_data, selected
from ..errors import LambdaArkError, UsageError, describe
from ..kinds import KINDS
from ..kinds.base import Change, RestoreContext
from ..model import BackupBody, FunctionRecord
from ..parallel import parallel_map
from ..repository import Repository, Snapshot
from ..selection import name_matches
from .arns import ArnMapper, FunctionId, render_name

ChangeCallback = Callable[[Change], None]

# Kinds without which the rest of a function's restore cannot work: after one fails (at plan or
# apply), that function's later kinds are skipped rather than failing again for the same reason.
BLOCKING = frozenset({"role", "layers", "function", "versions"})
# Trigger kinds whose restore would point something production uses (a target group, a log group, a
# user pool, a pipe, an IoT rule, a receipt rule, a secret's rotation, a delivery stream, an AppSync
# API, an alarm) at the restored function: a drill does not wire them. (S3, EventBridge, Scheduler,
# SNS and CloudFront say so in their own plans; the API kinds use drill-owned copies.)
DRILL_SKIPS = frozenset({"alb", "logs_subscriptions", "cognito", "pipes", "iot", "ses", "secrets_rotation",
                         "firehose", "appsync", "cloudwatch_alarms"})


@dataclass
class RestoreOptions:
    functions: list[str] = field(default_factory=list)  # name globs; empty: all
    regions: list[str] = field(default_factory=list)  # source regions to restore; empty: all
    accounts: list[str] = field(default_factory=list)  # source accounts to restore; empty: all
    region_map: dict[str, str] = field(default_factory=dict)
    to_region: str | None = None  # every source region -> this one
    to_account: str | None = None
    name_prefix: str = ""
    name_suffix: str = ""
    name_template: str | None = None  # e.g. "{name}-{region}"; overrides prefix/suffix
    arn_map: dict[str, str] = field(default_factory=dict)  # explicit whole-ARN overrides
    fix_permissions: bool = False  # grant invoke permissions the source lacked (default: exact)
    drill: str | None = None  # a drill's id: restore into isolation (see kinds.base.RestoreContext.drill)
    # rewrite dependents (state machines, other functions' environment and destinations) that name a
    # restored function to name it where it is restored (default: plan lines saying what still points back)
    rewire_dependents: bool = False
    data: bool = False  # restore event-source resources and data (--data) ahead of the functions
    data_mode: str | None = None  # merge | overwrite: what to do with a target holding other data (None: refuse)
    data_bucket_template: str | None = None  # target bucket names, e.g. "{name}-{region}" (else --map, else same)
    data_import_bucket: str | None = None  # create new DynamoDB tables by ImportTable through this staging bucket


@dataclass
class Step:
    """One kind's changes for one function."""

    kind: ModuleType
    record: FunctionRecord
    changes: list[Change]


@dataclass
class Plan:
    snapshot_id: str
    ctx: RestoreContext
    steps: list[Step] = field(default_factory=list)  # kind-major, in restore order
    duration: float = 0.0
    data: list[Change] = field(default_factory=list)  # event-source resources and data: applied first

    @property
    def changes(self) -> list[Change]:
        return [*self.data, *(c for step in self.steps for c in step.changes)]

    @property
    def warnings(self) -> list[str]:
        return list(self.ctx.warnings)


def select_records(body: BackupBody, options: RestoreOptions) -> list[FunctionRecord]:
    return [
        r
        for r in body.functions
        if name_matches(r.name, options.functions)
        and (not options.regions or r.region in options.regions)
        and (not options.accounts or r.account in options.accounts)
    ]


def validate_options(aws: Aws, options: RestoreOptions) -> None:
    """Reject bad targets before anything is read or written."""
    known = aws.known_regions()
    for what, regions in (
        ("source", [*options.regions, *options.region_map]),
        ("target", [*options.region_map.values(), *([options.to_region] if options.to_region else [])]),
    ):
        for region in regions:
            if region not in known:
                raise UsageError(f"unknown {what} region {region!r} (known: e.g. us-east-1, eu-west-1)")
    for account in [*options.accounts, *([options.to_account] if options.to_account else [])]:
        if not (account.isdigit() and len(account) == 12):
            raise UsageError(f"malformed account id {account!r}: expected 12 digits")
    if options.name_template is not None and (options.name_prefix or options.name_suffix):
        raise UsageError("use either --name-template or --name-prefix/--name-suffix, not both")
    if options.data_mode is not None and options.data_mode not in ("merge", "overwrite"):
        raise UsageError(f"--data-mode {options.data_mode!r}: use merge or overwrite")
    if (options.data_mode or options.data_bucket_template or options.data_import_bucket) and not options.data:
        raise UsageError("--data-mode, --data-bucket-template and --data-import-bucket apply to data: add --data")


def name_template(options: RestoreOptions) -> str:
    if options.name_template is not None:
        return options.name_template
    return f"{options.name_prefix}{{name}}{options.name_suffix}"


def build_mapper(aws: Aws, records: list[FunctionRecord], options: RestoreOptions) -> ArnMapper:
    validate_options(aws, options)
    region_map = {r.region: options.to_region for r in records} if options.to_region else {}
    region_map |= options.region_map
    account_map = {r.account: options.to_account for r in records} if options.to_account else {}
    mapper = ArnMapper(
        region_map=region_map,
        account_map=account_map,
        name_template=name_template(options),
        sources={FunctionId.of(r) for r in records},
        explicit=dict(options.arn_map),
    )
    refuse_collisions(mapper, records)
    return mapper


def refuse_collisions(mapper: ArnMapper, records: list[FunctionRecord]) -> None:
    """Two source functions must never land on one target: that would merge them (UsageError)."""
    landing: dict[FunctionId, list[FunctionId]] = defaultdict(list)
    for r in records:
        source = FunctionId.of(r)
        render_name(mapper.name_template, source)  # a bad template fails here, naming a function
        landing[mapper.target(source)].append(source)
    clashes = {t: s for t, s in landing.items() if len(s) > 1}
    if not clashes:
        return
    shown = "; ".join(
        f"{t.name} in {t.region} ({t.account}) <- " + ", ".join(f"{s.region}/{s.name}" for s in sources)
        for t, sources in sorted(clashes.items())[:5]
    )
    more = f" and {len(clashes) - 5} more" if len(clashes) > 5 else ""
    raise UsageError(
        f"functions would land on the same target: {shown}{more}; "
        "make names unique, e.g. --name-template '{name}-{region}'"
    )


def plan_restore(
    aws: Aws,
    repo: Repository,
    snapshot: Snapshot,
    options: RestoreOptions,
    *,
    on_change: ChangeCallback | None = None,
) -> Plan:
    started = time.monotonic()
    body = BackupBody.model_validate(snapshot.body)
    records = select_records(body, options)
    if not records:
        raise LambdaArkError(f"snapshot {snapshot.id[:8]} has no function matching {_selection(options)}")
    mapper = build_mapper(aws, records, options)

    # A function's package is read for create, for each version published from it and to reset
    # $LATEST afterwards: keep the last few rebuilt (a package is at most 50 MB zipped).
    @functools.lru_cache(maxsize=4)
    def read_file(key: str) -> bytes:
        return repo.read_file(snapshot.files[key])

    ctx = RestoreContext(aws=aws, mapper=mapper, read_file=read_file, fix_permissions=options.fix_permissions,
                         rewire_dependents=options.rewire_dependents, drill=options.drill)
    plan = Plan(snapshot_id=snapshot.id, ctx=ctx)
    if options.data:
        plan.data = _plan_data(ctx, body, records, options, read_file)
        for c in plan.data if on_change else []:
            on_change(c)  # type: ignore[misc]
    broken: set[str] = set()
    lock = threading.Lock()

    def one(kind: ModuleType, rec: FunctionRecord) -> Step:
        target = f"{mapper.function_name(FunctionId.of(rec))} ({mapper.region(rec.region)})"
        if rec.key in broken:
            changes = [Change(kind.NAME, target, "skipped", "an earlier step of this function failed")]
        elif ctx.isolated and kind.NAME in DRILL_SKIPS:
            changes = ctx.isolated_skip(kind.NAME, target, f"{kind.NAME} triggers")
        else:
            try:
                changes = kind.plan(ctx, rec.model_dump(mode="json"), rec.items[kind.NAME])
            except Exception as exc:  # noqa: BLE001 - one item's failure is reported, the rest planned
                changes = [Change(kind.NAME, target, "failed", describe(exc))]
        with lock:
            if kind.NAME in BLOCKING and any(c.action == "failed" for c in changes):
                broken.add(rec.key)
            if on_change:
                for c in changes:
                    on_change(c)
        return Step(kind, rec, changes)

    for kind in KINDS:
        todo = [rec for rec in records if rec.items.get(kind.NAME) is not None]
        if getattr(kind, "PARALLEL", False):
            plan.steps.extend(parallel_map(functools.partial(one, kind), todo, aws.max_workers))
        else:  # kinds that share state across functions (a layer, an API) go one by one
            plan.steps.extend(one(kind, rec) for rec in todo)
    plan.duration = time.monotonic() - started
    return plan


def _plan_data(ctx: RestoreContext, body: BackupBody, records: list[FunctionRecord], options: RestoreOptions,
               read_file: Callable[[str], bytes]) -> list[Change]:
    if body.data is None:
        ctx.warn("--data: this snapshot holds no event-source data (back up with --data)")
        return []
    resources = selected(DataSection.model_validate(body.data), records,
                         places=bool(options.regions or options.accounts), wired_only=bool(options.functions))
    return plan_data(ctx, resources, read_file, mode=options.data_mode, bucket_template=options.data_bucket_template,
                     import_bucket=options.data_import_bucket)


def _selection(options: RestoreOptions) -> str:
    parts = []
    if options.functions:
        parts.append("--function " + " ".join(repr(g) for g in options.functions))
    if options.regions:
        parts.append("--region " + " ".join(options.regions))
    if options.accounts:
        parts.append("--account " + " ".join(options.accounts))
    return " and ".join(parts) or "(the snapshot holds no functions)"

