"""Record every AWS call lambda-ark makes during the test session, by the code that made it.

Hooked into `lambda_ark.aws.CALL_HOOKS`: each call is attributed, by walking the calling thread's
stack, to
- the registered kind whose module is the outermost kind frame (a kind helping itself through
  another module still counts as that kind), with its phase: `capture` (discover/capture), `plan`,
  or `apply` (a change's apply callable, run later from restore/apply.py);
- else the innermost lambda_ark module that is not plumbing (aws.py, parallel.py, kinds/common.py):
  `lambda_ark.backup_capture`, `lambda_ark.repository.backends.s3`, ...;
- else nobody (the test's own setup calls through `aws.client(...)`).

At the end of the session `check` compares what was recorded with what is declared: a kind's
`PERMISSIONS`, and `lambda_ark.iam.roles.CORE` for the rest (see tests/conftest.py for when it runs).
"""

from __future__ import annotations

import json
import os
import sys
import threading
from collections import defaultdict
from pathlib import Path
from types import FrameType

import lambda_ark
from lambda_ark import aws as aws_mod
from lambda_ark.iam.actions import actions_for, is_read
from lambda_ark.iam.roles import CORE, UNCHECKED
from lambda_ark.kinds import KINDS

_PKG = str(Path(lambda_ark.__file__).resolve().parent)
_KIND_FILES = {str(Path(k.__file__).resolve()): k.NAME for k in KINDS}
_PLUMBING = {str(Path(_PKG, *p).resolve()) for p in (("aws.py",), ("parallel.py",), ("kinds", "common.py"))}
_CAPTURE = ("discover", "capture")
_AWS = str(Path(_PKG, "aws.py").resolve())
_APPLY = str(Path(_PKG, "restore", "apply.py").resolve())
_PLAN = str(Path(_PKG, "restore", "plan.py").resolve())
_BACKUP = str(Path(_PKG, "backup_capture.py").resolve())


def _dispatched(path: str, name: str, frame: FrameType) -> tuple[str, str] | None:
    """The kind a dispatching frame is running, by its data: the change restore applies, the kind
    restore plans, the kind backup captures."""
    if path == _APPLY and name == "_apply_change":
        kind = str(frame.f_locals["planned"].kind)
        # event-source data (`data:s3`, ...) is no kind: its calls belong to the data module making them
        return None if kind.startswith("data:") else (kind, "apply")
    if path == _PLAN and name == "one" and "kind" in frame.f_locals:
        return str(frame.f_locals["kind"].NAME), "plan"
    if path == _BACKUP and name in ("_capture_function", "discover") and "kind" in frame.f_locals:
        return str(frame.f_locals["kind"].NAME), "capture"
    return None


class Recorder:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        # who -> phase -> "service.Operation" -> count; who is a kind NAME or a module name
        self.calls: dict[str, dict[str, dict[str, int]]] = defaultdict(lambda: defaultdict(lambda: defaultdict(int)))
        self._modules: dict[str, str] = {}

    def hook(self, service: str, operation: str) -> None:
        who = self._attribute(sys._getframe(2))
        if who is None:
            return
        with self._lock:
            self.calls[who[0]][who[1]][f"{service}.{operation}"] += 1

    def _attribute(self, frame: FrameType | None) -> tuple[str, str] | None:
        """(who, phase). Walking outward from the call: the first frame that names who is acting
        decides. A module with its own CORE declaration (the repository backend, restore's
        environment probes) is itself; a kind's frame, or the frame that dispatched to a kind
        (restore applying a change, planning a step, backup capturing), means that kind, and the
        outermost such frame wins (a kind using another kind's helper still acts as itself)."""
        kind: str | None = None
        phase = "apply"
        fallback: str | None = None
        while frame is not None:
            path, name = frame.f_code.co_filename, frame.f_code.co_name
            dispatched = _dispatched(path, name, frame)
            if dispatched is not None:
                kind, phase = dispatched
            elif path in _KIND_FILES:
                kind = _KIND_FILES[path]
                phase = "capture" if name in _CAPTURE else "plan" if name == "plan" else phase
            elif kind is None and path.startswith(_PKG):
                if path == _AWS and name in ("fetch", "assume"):
                    return "lambda_ark.aws", "core"
                if path not in _PLUMBING:
                    module = self._module(path)
                    if module in CORE:
                        return module, "core"
                    fallback = fallback or module
            frame = frame.f_back
        if kind is not None:
            return kind, phase
        return (fallback, "core") if fallback is not None else None

    def _module(self, path: str) -> str:
        if path not in self._modules:
            rel = Path(path).relative_to(_PKG).with_suffix("")
            self._modules[path] = ".".join(("lambda_ark", *rel.parts)).removesuffix(".__init__")
        return self._modules[path]

    def merge(self, calls: dict[str, dict[str, dict[str, int]]]) -> None:
        """Add another process's record (an xdist worker's)."""
        with self._lock:
            for who, phases in calls.items():
                for phase, ops in phases.items():
                    for op, count in ops.items():
                        self.calls[who][phase][op] += count

    def install(self) -> None:
        aws_mod.CALL_HOOKS.append(self.hook)

    def dump(self, path: str) -> None:
        Path(path).write_text(json.dumps(self.calls, indent=1, sort_keys=True))


def declared_core(module: str) -> tuple[str, ...] | None:
    """The declaration covering a module: its own entry, else its nearest package's."""
    parts = module.split(".")
    while parts:
        name = ".".join(parts)
        if name in CORE:
            return CORE[name]
        parts.pop()
    return None


def check(recorder: Recorder, complete: bool) -> list[str]:
    """Every problem: calls no declaration covers, captures that write, and (when the whole suite
    ran) declared actions nothing used."""
    problems: list[str] = []
    kinds = {k.NAME: k for k in KINDS}
    used: dict[str, set[str]] = defaultdict(set)
    for who, phases in sorted(recorder.calls.items()):
        if who.startswith(UNCHECKED):
            continue
        declared = set(kinds[who].PERMISSIONS) if who in kinds else set(declared_core(who) or ())
        label = f"kind {who}" if who in kinds else who
        if who not in kinds and declared_core(who) is None:
            problems.append(f"{who} makes AWS calls ({', '.join(sorted({o for p in phases.values() for o in p}))}) "
                            "but lambda_ark.iam.roles.CORE declares nothing for it")
            continue
        for phase, ops in sorted(phases.items()):
            for op in sorted(ops):
                service, _, operation = op.partition(".")
                needed = actions_for(service, operation)
                used[who].update(needed)
                for action in needed:
                    if not _covered(action, declared):
                        problems.append(f"{label} calls {op} ({phase}): needs {action}, not declared")
                    if phase in ("capture", "plan") and not is_read(action) and action != "iam:PassRole":
                        problems.append(f"{label} calls {op} while {phase} (reads only): {action} writes")
    if complete:
        unused: set[str] = set()
        for kind in KINDS:
            unused |= {f"{kind.NAME} {action}" for action in set(kind.PERMISSIONS) - used[kind.NAME]}
        for module, actions in sorted(CORE.items()):
            if module.startswith(UNCHECKED):
                continue
            seen = set().union(*(u for w, u in used.items() if w == module or w.startswith(module + ".")))
            unused |= {f"{module} {action}" for action in set(actions) - seen}
        for entry in sorted(unused - UNTESTED):
            problems.append(f"{entry.replace(' ', ' declares ', 1)}, which no test saw it use")
        for entry in sorted(UNTESTED - unused):
            problems.append(f"{entry}: a test uses it now; remove it from UNTESTED in tests/permissions_recorder.py")
    return problems


# Declared calls no test makes yet (their code paths: updates and deletions of existing items, rarely
# taken branches). Each is a real call of the code, so it stays declared and granted; the check fails
# on any other unused declaration, and on an entry here once a test uses it (the list only shrinks).
UNTESTED = frozenset({
    "role iam:TagRole", "function lambda:UntagResource", "code_signing lambda:TagResource",
    "aliases lambda:UpdateAlias", "concurrency lambda:DeleteFunctionConcurrency", "url lambda:UpdateFunctionUrlConfig",
    "policy lambda:RemovePermission", "mappings lambda:UpdateEventSourceMapping", "mapping_tags lambda:UntagResource",
    "apigateway apigateway:DELETE", "alb elasticloadbalancing:DeregisterTargets",
    "alb elasticloadbalancing:ModifyListener", "alb elasticloadbalancing:ModifyRule",
    "alb elasticloadbalancing:ModifyTargetGroup", "ses ses:UpdateReceiptRule", "secrets_rotation lambda:AddPermission",
    "secrets_rotation lambda:GetPolicy", "secrets_rotation secretsmanager:CancelRotateSecret",
    "appsync appsync:UpdateDataSource", "cloudwatch_alarms cloudwatch:PutCompositeAlarm",
    "cloudfront cloudfront:CreateFunction", "cloudfront cloudfront:PublishFunction",
    "referenced_by lambda:ListFunctionEventInvokeConfigs", "lambda_ark.aws_lambda secretsmanager:GetSecretValue",
    "lambda_ark.backup ec2:DescribeRegions", "lambda_ark.backup_capture lambda:ListFunctions",
    "lambda_ark.deploy s3:DeleteObjectVersion",
})


def _covered(action: str, declared: set[str]) -> bool:
    if action in declared:
        return True
    return any(d.endswith("*") and action.startswith(d[:-1]) for d in declared)


RECORD_ENV = "LAMBDA_ARK_RECORD_CALLS"  # a file to write what was recorded to (JSON), for a person to read


def record_path() -> str | None:
    return os.environ.get(RECORD_ENV) or None
