"""The protocol every recorded kind follows, and the contexts it is handed.

A kind is one module: a few module-level facts (NAME, SERVICE, PERMISSIONS, SCOPE, ORDER_REASON) and
functions `discover`, `capture`, `plan`. The registry in `kinds/__init__.py` lists the modules in
restore order. Kinds never print: they return data (capture) or `Change`s (plan).

Restore is plan, then apply (as Terraform and Velero do). `plan(ctx, record, data)` compares the
snapshot with the live target using reads only and returns typed `Change`s; each change that would
alter the target carries an `apply` callable that makes exactly that change. Applying runs those
callables in restore order, so an `apply` must compute anything an earlier kind's apply decides
(a republished version's number, a recreated API's id, a republished layer's ARN) when it runs,
through `ctx.mapper` / `ctx.state`, never from values fixed at plan time. A plan for a function that
does not exist yet says "create" for everything that hangs off it.

PARALLEL (optional, default False) says restore may run this kind for many functions at once: true
only when one function's restore touches nothing another's does (a shared layer, API or role must
go one by one).

SCOPE says when a kind is captured:
- "function": from calls about one function (get_policy, list_aliases...). Captured only when the
  function's fingerprint changed; otherwise carried forward from the previous snapshot.
- "region": from one listing per region (`discover`), matched to functions in memory. Recomputed on
  every run, because these triggers change without touching the function.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from ..aws import Aws
from ..restore.arns import ArnMapper, FunctionId

Scope = Literal["function", "region"]
Action = Literal["create", "update", "unchanged", "failed", "skipped"]

# The tag a drill puts on everything it creates (value: the drill's id), so that its cleanup, and
# `lambda-ark drill --cleanup` after a drill that was killed, find what to delete.
DRILL_TAG = "lambda-ark:drill"


@dataclass
class RegionContext:
    """What capture needs in one (account, region): clients and a place to put file bytes."""

    aws: Aws
    account: str
    region: str
    put_file: Callable[[bytes], str]  # stores bytes in the repository, returns the snapshot file key
    warnings: list[str] = field(default_factory=list)
    # per-run memo shared by all functions of all regions (e.g. a layer version downloaded once)
    cache: dict[str, Any] = field(default_factory=dict)

    def client(self, service: str, region: str | None = None) -> Any:
        return self.aws.client(service, region or self.region)


@dataclass
class Change:
    """One planned or applied change to the target estate."""

    kind: str
    target: str  # a name or ARN a person recognises
    action: Action
    detail: str = ""
    fields: list[str] = field(default_factory=list)  # what differs, by name (never values: secrets)
    # Makes this change on the target (create/update only). May return a new detail to report
    # ("published as version 7"); raising marks the change failed.
    apply: Callable[[], str | None] | None = field(default=None, repr=False, compare=False)

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "target": self.target,
            "action": self.action,
            "detail": self.detail,
            "fields": list(self.fields),
        }


def once(fn: Callable[[], str | None]) -> Callable[[], str | None]:
    """One write shared by several changes (one distribution update for many associations): the
    first change to apply performs it, the others find it done."""
    lock = threading.Lock()
    done: list[str | None] = []

    def run() -> str | None:
        with lock:
            if not done:
                done.append(fn())
            return done[0]

    return run


@dataclass
class RestoreContext:
    """What planning and applying need: target clients, the one ARN mapper, file bytes, shared state."""

    aws: Aws
    mapper: ArnMapper
    read_file: Callable[[str], bytes]  # snapshot file key -> bytes
    # --fix-permissions: grant invoke permissions the source lacked where a trigger needs one (off:
    # a restore is exact and adds nothing the source did not have)
    fix_permissions: bool = False
    # A drill's id: restore into isolation. Event source mappings are created disabled; triggers in
    # other services that production uses (S3, SNS, EventBridge, Scheduler, CloudFront) are skipped;
    # APIs are recreated as drill-owned copies; layers are published under drill-owned names; every
    # resource created is tagged DRILL_TAG=<id> (and desired tags include it, so a re-plan is quiet).
    drill: str | None = None
    # --rewire-dependents: rewrite what names a restored function elsewhere (state machines, other
    # functions' environment and destinations) to name it where it is restored (off: reported only)
    rewire_dependents: bool = False
    # scratch space shared across functions in one restore, keyed by kind NAME (e.g. an API recreated
    # for one function is found again, not recreated, for the next function it integrates)
    state: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)  # things a person should know about the plan
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def client(self, service: str, region: str) -> Any:
        return self.aws.client(service, region)

    def warn(self, message: str) -> None:
        with self._lock:
            if message not in self.warnings:
                self.warnings.append(message)

    def shared(self, kind: str) -> dict[str, Any]:
        """This restore's scratch space for one kind (thread-safe to create)."""
        with self._lock:
            return self.state.setdefault(kind, {})  # type: ignore[no-any-return]

    @property
    def isolated(self) -> bool:
        return self.drill is not None

    def drill_tags(self) -> dict[str, str]:
        """Tags every resource this restore creates must carry ({} outside a drill)."""
        return {DRILL_TAG: self.drill} if self.drill is not None else {}

    def isolated_skip(self, kind: str, target: str, what: str) -> list[Change]:
        """A drill does not wire `what` (a trigger production uses) to its restored function."""
        return [Change(kind, target, "skipped", f"drill: {what} not wired, so production's events never reach the "
                                                "drill's copy")]

    def drill_layer_name(self, name: str) -> str:
        """A layer name of this drill's own: its published versions never join a production layer,
        and its cleanup finds them by the name (layer versions carry no tags)."""
        return drill_layer_name(name, str(self.drill))

    def source(self, record: dict[str, Any]) -> FunctionId:
        return FunctionId.of(record)

    def target_region(self, record: dict[str, Any]) -> str:
        return self.mapper.region(str(record["region"]))

    def target_name(self, record: dict[str, Any]) -> str:
        return self.mapper.function_name(FunctionId.of(record))

    def target_arn(self, record: dict[str, Any]) -> str:
        return self.mapper.arn(str(record["arn"]))

    def version(self, record: dict[str, Any], qualifier: str) -> str:
        """A qualifier of the source function as it is called in the target (versions renumbered);
        "" stays "" (the unqualified function). Known for certain only once versions have applied."""
        return self.mapper.version(FunctionId.of(record), qualifier) if qualifier else ""

    def arn_unknown(self, arn: str) -> bool:
        """At plan time: a source function ARN whose qualifier is a version this restore republishes
        (so what it will point at cannot be compared with the target yet)."""
        parts = arn.split(":")
        if len(parts) != 8 or parts[2] != "lambda" or parts[5] != "function":
            return False
        return self.mapper.unknown_yet(FunctionId(parts[4], parts[3], parts[6]), parts[7])

    def version_unknown(self, record: dict[str, Any], qualifier: str) -> bool:
        """At plan time: the qualifier is a version this restore republishes, so the target has no
        version by that number yet (anything found under the old number is another version)."""
        return bool(qualifier) and self.mapper.unknown_yet(FunctionId.of(record), qualifier)


def drill_layer_name(name: str, drill: str) -> str:
    """`<name>-drill-<id>`, the layer name shortened to keep within Lambda's 140 characters."""
    return f"{name[:100]}-drill-{drill}"


def drill_of_layer(name: str) -> str | None:
    """The drill id a layer name made by `drill_layer_name` ends with, else None."""
    head, sep, drill = name.rpartition("-drill-")
    return drill if sep and head and drill.isalnum() else None


class Kind(Protocol):
    """A recorded kind: a module with these attributes (modules satisfy Protocols in mypy)."""

    NAME: str
    SERVICE: str
    PERMISSIONS: tuple[str, ...]
    SCOPE: Scope
    ORDER_REASON: str

    def discover(self, ctx: RegionContext) -> Any: ...

    def capture(self, ctx: RegionContext, index: Any, fn: dict[str, Any]) -> Any: ...

    def plan(self, ctx: RestoreContext, record: dict[str, Any], data: Any) -> list[Change]: ...
