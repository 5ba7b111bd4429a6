"""Planning the restore of event-source resources and data (ahead of every function kind).

`plan_data` turns a snapshot's data section into `Change`s (kind "data:<source>"): create what is
missing, write the data back, and refuse a target holding other data unless `mode` says how.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import cast

from ..errors import UsageError, describe
from ..kinds.base import Change, RestoreContext
from ..model import FunctionRecord
from ..restore.arns import FunctionId, render_name
from . import SOURCES, dynamodb_restore, kinesis_restore, s3_restore, sqs
from .base import DataMode, DataRestoreContext
from .capture import wired
from .models import DataSection, Resource

PLANNERS: dict[str, ModuleType] = {m.NAME: m for m in (s3_restore, dynamodb_restore, kinesis_restore, sqs)}


def target_buckets(ctx: RestoreContext, resources: list[Resource], template: str | None) -> dict[str, str]:
    """Source bucket -> target bucket: an explicit --map wins, then the template ({name}, {region} the
    target's, {account}), else the same name. Each mapping is also put in the ARN mapper, so the
    s3_notifications kind wires the same bucket."""
    out: dict[str, str] = {}
    for r in resources:
        if r.source != "s3":
            continue
        arn = f"arn:aws:s3:::{r.name}"
        if arn in ctx.mapper.explicit:
            out[r.name] = ctx.mapper.explicit[arn].split(":::", 1)[1]
        elif template:
            fid = FunctionId(ctx.mapper.account(r.account), ctx.mapper.region(r.region), r.name)
            out[r.name] = render_name(template, fid).lower()
            ctx.mapper.explicit[arn] = f"arn:aws:s3:::{out[r.name]}"
        else:
            out[r.name] = r.name
    return out


def selected(section: DataSection, records: list[FunctionRecord], *, places: bool, wired_only: bool) -> list[Resource]:
    """The resources a restore of `records` brings back: in their accounts and regions (`places`: the
    restore chose some), and wired to them (`wired_only`: it chose functions by name), with the DLQs
    of the queues kept."""
    where = {(r.account, r.region) for r in records}
    out = [r for r in section.resources if not places or (r.account, r.region) in where]
    if wired_only:
        keys = {f"{w.source}:{w.account}/{w.region}/{w.name}" for w in wired(records, frozenset(SOURCES))}
        dlqs = {w.arn for r in out if r.key in keys and r.source == "sqs" for w in sqs.related(r)}
        out = [r for r in out if r.key in keys or r.arn in dlqs]
    return out


def plan_data(
    ctx: RestoreContext, resources: list[Resource], read_file: Callable[[str], bytes], *, mode: str | None = None,
    bucket_template: str | None = None, import_bucket: str | None = None,
) -> list[Change]:
    """Every resource's changes, resource by resource (a failure costs that resource only)."""
    if mode not in (None, "merge", "overwrite"):
        raise UsageError(f"--data-mode {mode!r}: use merge or overwrite")
    resources = _ordered(resources)
    dctx = DataRestoreContext(ctx=ctx, read_file=read_file, mode=cast(DataMode | None, mode),
                              buckets=target_buckets(ctx, resources, bucket_template), import_bucket=import_bucket)
    changes: list[Change] = []
    for rec in resources:
        planner = PLANNERS.get(rec.source)
        if planner is None:
            continue
        try:
            changes.extend(planner.plan(dctx, rec))
        except Exception as exc:  # noqa: BLE001 - one resource's failure is reported, the rest planned
            changes.append(Change(f"data:{rec.source}", f"{rec.name} ({ctx.mapper.region(rec.region)})", "failed",
                                  describe(exc)))
    return changes


def _ordered(resources: list[Resource]) -> list[Resource]:
    """Dead-letter queues before the queues whose redrive policy names them (creation needs them there)."""
    targets = {w.arn for r in resources if r.source == "sqs" for w in sqs.related(r)}
    return sorted(resources, key=lambda r: 0 if r.arn in targets else 1)
