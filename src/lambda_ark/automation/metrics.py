"""After each job run: metrics in namespace `LambdaArk`, dimensions Job, Account, Region.

Per account, `Region=all` carries every metric (what alarms watch): FunctionsProtected,
FunctionsCaptured, BytesAdded, DurationSeconds, Failures, SnapshotAgeSeconds (age of the newest good
snapshot: the RPO), DeletedFunctions. Each region backed up also gets its own FunctionsProtected,
FunctionsCaptured and DeletedFunctions. A job's drill gives, per account drilled, DrillFailures (0 or 1)
and DrillRTOSeconds (when it passed).

Targets: `cloudwatch` (PutMetricData with the runner's credentials, in the policy's metrics region),
`emf` (Embedded Metric Format lines on a stream: inside Lambda, CloudWatch Logs turns them into
metrics), `prometheus=FILE` (a node_exporter textfile, written whole and atomically, keeping other
jobs' series), `none`; `auto` is `emf` inside Lambda, else `cloudwatch`. A target that fails is a
warning: metrics never change how a backup went.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TextIO

from ..aws import Aws, call
from ..errors import describe
from .job import FAILED, JobRun
from .state import JobState

if TYPE_CHECKING:
    from .drills import DrillRun

NAMESPACE = "LambdaArk"
ALL_REGIONS = "all"
UNITS = {
    "FunctionsProtected": "Count", "FunctionsCaptured": "Count", "BytesAdded": "Bytes",
    "DurationSeconds": "Seconds", "Failures": "Count", "SnapshotAgeSeconds": "Seconds", "DeletedFunctions": "Count",
    "DrillRTOSeconds": "Seconds", "DrillFailures": "Count",
}
_BATCH = 20  # datums per PutMetricData call (AWS allows more; 20 fits every API version and size limit)


@dataclass(frozen=True)
class Point:
    name: str
    value: float
    job: str
    account: str
    region: str = ALL_REGIONS

    @property
    def unit(self) -> str:
        return UNITS[self.name]

    def dimensions(self) -> list[dict[str, str]]:
        return [{"Name": "Job", "Value": self.job}, {"Name": "Account", "Value": self.account},
                {"Name": "Region", "Value": self.region}]


def points(run: JobRun, state: JobState, now: datetime) -> list[Point]:
    out: list[Point] = []
    for acct in run.accounts:
        result = acct.result

        def add(name: str, value: float, region: str = ALL_REGIONS, account: str = acct.account) -> None:
            out.append(Point(name, float(value), run.job, account, region))

        add("Failures", 1 if acct.status in (FAILED, "partial") else 0)
        good = state.last_good(acct.account)
        if good is not None:
            add("SnapshotAgeSeconds", max(0.0, (now - good).total_seconds()))
        add("DurationSeconds", run.duration)
        if result is None:
            continue
        add("FunctionsProtected", result.functions)
        add("FunctionsCaptured", result.captured)
        add("BytesAdded", result.bytes_added)
        add("DeletedFunctions", acct.deleted)
        for region, counts in sorted(acct.regions.items()):
            add("FunctionsProtected", counts.protected, region)
            add("FunctionsCaptured", counts.captured, region)
            add("DeletedFunctions", counts.deleted, region)
    return out


def drill_points(run: DrillRun) -> list[Point]:
    """Per account drilled: DrillFailures (0 or 1) and, when it passed, DrillRTOSeconds."""
    out: list[Point] = []
    for acct in run.accounts:
        out.append(Point("DrillFailures", 0.0 if acct.status == "passed" else 1.0, run.job, acct.account))
        if acct.status == "passed" and acct.rto_seconds is not None:
            out.append(Point("DrillRTOSeconds", float(acct.rto_seconds), run.job, acct.account))
    return out


class Sink(Protocol):
    name: str

    def emit(self, points: Sequence[Point]) -> None: ...


class CloudWatch:
    name = "cloudwatch"

    def __init__(self, aws: Aws, region: str | None) -> None:
        self.client = aws.client("cloudwatch", region)

    def emit(self, points: Sequence[Point]) -> None:
        # No Timestamp: CloudWatch stamps each datum when it arrives, which is when the run ended.
        data = [{"MetricName": p.name, "Dimensions": p.dimensions(), "Value": p.value, "Unit": p.unit}
                for p in points]
        for i in range(0, len(data), _BATCH):
            call(self.client, "put_metric_data", Namespace=NAMESPACE, MetricData=data[i:i + _BATCH])


class Emf:
    """CloudWatch Embedded Metric Format: one JSON line per (Job, Account, Region)."""

    name = "emf"

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def emit(self, points: Sequence[Point]) -> None:
        groups: dict[tuple[str, str, str], list[Point]] = {}
        for p in points:
            groups.setdefault((p.job, p.account, p.region), []).append(p)
        stamp = int(time.time() * 1000)
        for (job, account, region), members in groups.items():
            doc: dict[str, Any] = {
                "_aws": {"Timestamp": stamp, "CloudWatchMetrics": [{
                    "Namespace": NAMESPACE, "Dimensions": [["Job", "Account", "Region"]],
                    "Metrics": [{"Name": p.name, "Unit": p.unit} for p in members]}]},
                "Job": job, "Account": account, "Region": region,
            }
            doc.update({p.name: p.value for p in members})
            self.stream.write(json.dumps(doc, sort_keys=True) + "\n")
        self.stream.flush()


class Prometheus:
    """A textfile for node_exporter's textfile collector; series of other jobs in it are kept.

    Label `ark_job` rather than `job`: Prometheus sets `job` on every scraped series itself."""

    name = "prometheus"

    def __init__(self, path: str) -> None:
        self.path = Path(path)

    def emit(self, points: Sequence[Point]) -> None:
        from prometheus_client import CollectorRegistry, Gauge, write_to_textfile

        series = self._existing()
        for p in points:
            series[(_metric_name(p.name), (p.job, p.account, p.region))] = p.value
        for key in {k for k in series if k[0] == "lambda_ark_last_run_timestamp_seconds"}:
            series.pop(key)
        for job, account in {(p.job, p.account) for p in points}:
            series[("lambda_ark_last_run_timestamp_seconds", (job, account, ALL_REGIONS))] = time.time()
        registry = CollectorRegistry()
        gauges: dict[str, Gauge] = {}
        for (metric, labels), value in sorted(series.items()):
            if metric not in gauges:
                gauges[metric] = Gauge(metric, _help(metric), ["ark_job", "account", "region"], registry=registry)
            gauges[metric].labels(*labels).set(value)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        write_to_textfile(str(self.path), registry)  # writes a temporary file, then renames it over

    def _existing(self) -> dict[tuple[str, tuple[str, str, str]], float]:
        from prometheus_client.parser import text_string_to_metric_families

        try:
            text = self.path.read_text()
        except FileNotFoundError:
            return {}
        out = {}
        for family in text_string_to_metric_families(text):
            for s in family.samples:
                labels = (s.labels.get("ark_job", ""), s.labels.get("account", ""), s.labels.get("region", ""))
                out[(s.name, labels)] = float(s.value)
        return out


def _metric_name(name: str) -> str:
    """FunctionsProtected -> lambda_ark_functions_protected; DurationSeconds -> lambda_ark_duration_seconds."""
    snake = "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")
    return f"lambda_ark_{snake}"


def _help(metric: str) -> str:
    for name in UNITS:
        if _metric_name(name) == metric:
            return f"lambda-ark {name} per job, account and region"
    return "lambda-ark: when each job and account last ran (Unix time)"


def sinks(targets: Sequence[str], aws: Aws, region: str | None, stream: TextIO) -> list[Sink]:
    out: list[Sink] = []
    for target in targets:
        if target == "auto":
            target = "emf" if os.environ.get("AWS_LAMBDA_FUNCTION_NAME") else "cloudwatch"
        if target == "cloudwatch":
            out.append(CloudWatch(aws, region))
        elif target == "emf":
            out.append(Emf(stream))
        elif target.startswith("prometheus="):
            out.append(Prometheus(target.split("=", 1)[1]))
    return out


def emit(points: Sequence[Point], targets: Sequence[Sink]) -> list[str]:
    """Send to every target; what could not be sent comes back as warnings."""
    warnings = []
    for sink in targets:
        try:
            sink.emit(points)
        except Exception as exc:  # noqa: BLE001 - metrics never fail a backup
            warnings.append(f"metrics ({sink.name}): not delivered: {describe(exc)}")
    return warnings
