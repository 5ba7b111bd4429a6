"""`alarms apply`: CloudWatch alarms on the metrics `run` sends, per job and account, wired to the
job's SNS topics. Planned first (create / update / unchanged, reading only), so `--dry-run` shows
exactly what applying would do; applying twice changes nothing the second time.

    lambda-ark/<job>/<account>/failed    Failures > 0 (a run that failed or was partial)
    lambda-ark/<job>/<account>/rpo       SnapshotAgeSeconds > rpo, or no data for that long (missing
                                         data breaches: a job that stopped running alarms too)
    lambda-ark/<job>/<account>/deleted   DeletedFunctions > alarm_deleted_functions (mass deletion)

Alarms of the policy's jobs that it no longer asks for (an account gone, an rpo removed) are listed as
stale, never deleted. Alarms of jobs not in the policy are another policy's business: not listed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..aws import Aws, call
from ..errors import describe
from ..kinds.common import pages
from ..policy.models import Policy
from ..policy.values import rpo_seconds
from .accounts import resolve_accounts
from .metrics import ALL_REGIONS, NAMESPACE

PREFIX = "lambda-ark/"
_DAY = 86400
_MAX_EVALUATED = 7 * _DAY  # CloudWatch evaluates at most seven days of periods


@dataclass(frozen=True)
class AlarmSpec:
    name: str
    description: str
    metric: str
    dimensions: tuple[tuple[str, str], ...]
    threshold: float
    period: int
    evaluation_periods: int
    treat_missing: str
    actions: tuple[str, ...]
    ok_actions: tuple[str, ...] = ()

    def request(self) -> dict[str, Any]:
        return {
            "AlarmName": self.name, "AlarmDescription": self.description, "Namespace": NAMESPACE,
            "MetricName": self.metric, "Dimensions": [{"Name": k, "Value": v} for k, v in self.dimensions],
            "Statistic": "Maximum", "Period": self.period, "EvaluationPeriods": self.evaluation_periods,
            "DatapointsToAlarm": self.evaluation_periods, "Threshold": self.threshold,
            "ComparisonOperator": "GreaterThanThreshold", "TreatMissingData": self.treat_missing,
            "ActionsEnabled": True, "AlarmActions": list(self.actions), "OKActions": list(self.ok_actions),
        }

    def differences(self, live: dict[str, Any]) -> list[str]:
        """Names of the settings in which a live alarm differs from this one."""
        want = self.request()
        have = dict(live)
        have.setdefault("DatapointsToAlarm", have.get("EvaluationPeriods"))
        out = []
        for key, value in want.items():
            seen = have.get(key)
            if key == "Dimensions":
                value, seen = _dims(value), _dims(seen or [])
            elif key in ("AlarmActions", "OKActions"):
                value, seen = sorted(value), sorted(seen or [])
            elif key == "Threshold":
                value, seen = float(value), float(seen) if seen is not None else None
            if value != seen:
                out.append(key)
        return out


def _dims(dims: Sequence[dict[str, str]]) -> list[tuple[str, str]]:
    return sorted((d["Name"], d["Value"]) for d in dims)


@dataclass
class AlarmChange:
    action: str  # create | update | unchanged | stale | failed
    name: str
    detail: str = ""


@dataclass
class AlarmsResult:
    changes: list[AlarmChange] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    dry_run: bool = False

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for c in self.changes:
            out[c.action] = out.get(c.action, 0) + 1
        return out


def rpo_window(seconds: int) -> tuple[int, int]:
    """(period, evaluation periods) covering `seconds`: one period up to a day, else whole days (pure)."""
    seconds = min(max(seconds, 60), _MAX_EVALUATED)
    if seconds <= _DAY:
        return math.ceil(seconds / 60) * 60, 1
    return _DAY, math.ceil(seconds / _DAY)


def desired_alarms(policy: Policy, accounts: Sequence[str]) -> list[AlarmSpec]:
    out = []
    for name, job in policy.jobs.items():
        topics = tuple(t.address for t in policy.notify_targets(job) if t.kind == "sns")
        for account in accounts:
            dims = (("Job", name), ("Account", account), ("Region", ALL_REGIONS))
            base = f"{PREFIX}{name}/{account}"
            out.append(AlarmSpec(f"{base}/failed", f"lambda-ark job {name} failed in account {account}",
                                 "Failures", dims, 0, 300, 1, "notBreaching", topics))
            out.append(AlarmSpec(f"{base}/deleted", f"lambda-ark job {name}: more than {job.alarm_deleted_functions} "
                                 f"functions vanished in account {account} since its previous snapshot",
                                 "DeletedFunctions", dims, job.alarm_deleted_functions, 300, 1, "notBreaching",
                                 topics))
            if job.rpo:
                seconds = rpo_seconds(job.rpo)
                period, periods = rpo_window(seconds)
                out.append(AlarmSpec(f"{base}/rpo", f"lambda-ark job {name}: newest good snapshot of account "
                                     f"{account} older than {job.rpo} (RPO)", "SnapshotAgeSeconds", dims,
                                     seconds, period, periods, "breaching", topics, topics))
    return out


def plan_alarms(desired: Sequence[AlarmSpec], live: dict[str, dict[str, Any]]) -> list[AlarmChange]:
    """What applying `desired` over the `live` alarms (by name) changes (pure)."""
    out = []
    for spec in desired:
        if spec.name not in live:
            out.append(AlarmChange("create", spec.name, f"{spec.metric} > {spec.threshold:g}"))
        elif diff := spec.differences(live[spec.name]):
            out.append(AlarmChange("update", spec.name, ", ".join(diff)))
        else:
            out.append(AlarmChange("unchanged", spec.name))
    wanted = {s.name for s in desired}
    out += [AlarmChange("stale", n, "no longer in the policy (not deleted)") for n in sorted(live) if n not in wanted]
    return out


def apply_alarms(aws: Aws, policy: Policy, dry_run: bool = False) -> AlarmsResult:
    result = AlarmsResult(dry_run=dry_run)
    accounts = resolve_accounts(aws, policy.accounts)
    result.errors += accounts.errors
    cw = aws.client("cloudwatch", policy.metrics.region)
    # Only this policy's jobs' alarms: other policies may share the account and region.
    live = {a["AlarmName"]: a for job in policy.jobs
            for a in pages(cw, "describe_alarms", "MetricAlarms", AlarmNamePrefix=f"{PREFIX}{job}/")}
    desired = desired_alarms(policy, [t.account for t in accounts.targets])
    result.changes = plan_alarms(desired, live)
    if dry_run:
        return result
    specs = {s.name: s for s in desired}
    for change in result.changes:
        if change.action not in ("create", "update"):
            continue
        try:
            call(cw, "put_metric_alarm", **specs[change.name].request())
        except Exception as exc:  # noqa: BLE001 - one alarm failing leaves the others
            change.action, change.detail = "failed", describe(exc)
            result.errors.append(f"alarm {change.name}: {describe(exc)}")
    return result
