"""Backup benchmark against AWS's API quotas, on the embedded endpoint run as its own process with
`--aws-quotas` (GetFunction 100/s, GetPolicy 15/s, the rest of Lambda's control plane 15/s together,
per account and region; throttles answered as AWS answers them) and a round trip per call.

    python bench/backup.py [--functions 450] [--regions us-east-1,eu-west-1,ap-southeast-2]
                           [--latency-ms 20] [--api-share 50] [--scale]

Runs, all in the same run on the same estate:
  (a) naive loop: per function GetFunction + download + GetPolicy + ListEventSourceMappings, sequential
  (b) the same naive loop, parallel (8 workers per region, regions at once): the fair peer
  (c) a parallel naive loop capturing what lambda-ark captures (versions, aliases, policies per
      qualifier, concurrency, URLs, invoke configs, recursion, runtime, code signing, mappings, triggers)
  (d) lambda-ark full backup at --api-share, while a "deployer" makes 3 calls/s in the first region
  (e) lambda-ark again, nothing changed      (f) lambda-ark after 1 % of the functions changed
For each: wall time, calls per function per quota bucket, the quota floor (the slowest bucket's calls
÷ its rate, at the share the run may use; regions in parallel) and the ratio to it, and the throttles
the deployer saw. --scale adds 10,000 functions x 4 regions (with smaller steps) on an endpoint without
quotas: backup time and peak memory, which should grow linearly.
"""

# ruff: noqa: E402 - the script's folder leaves sys.path before the other imports (see below)
from __future__ import annotations

import sys

# bench/ also holds copy.py, which would shadow the standard library's `copy` for every import below:
# the script's own folder is not a place to import from (hence the imports after this line).
sys.path[:] = [p for p in sys.path[1:] if p]

import argparse
import json
import os
import resource
import subprocess
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from lambda_ark.aws import Aws, connect
from lambda_ark.backup import BackupOptions, run_backup
from lambda_ark.demo import estate
from lambda_ark.kinds.common import pages
from lambda_ark.parallel import parallel_map
from lambda_ark.ratelimit import rate_of
from lambda_ark.repository import Repository

BUCKETS = ("GetFunction", "GetPolicy", "lambda-control-plane")


@dataclass
class Run:
    label: str
    seconds: float
    calls: Counter[tuple[str, str]]  # (region, "service.Operation")
    share: float  # of AWS's rates the run may use
    parallel: bool
    deployer_throttles: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def per_bucket(self) -> Counter[tuple[str, str]]:
        out: Counter[tuple[str, str]] = Counter()
        for (region, op), n in self.calls.items():
            service, name = op.split(".", 1)
            rate = rate_of(service, name)
            if rate is not None and service == "lambda":
                out[(region, rate.bucket)] += n
        return out

    def floor(self) -> float:
        """Seconds the quota alone needs: per region the slowest bucket; regions add up if sequential."""
        per_region: dict[str, float] = {}
        for (region, bucket), n in self.per_bucket().items():
            rate = {"GetFunction": 100.0, "GetPolicy": 15.0}.get(bucket, 15.0) * self.share
            per_region[region] = max(per_region.get(region, 0.0), n / rate)
        if not per_region:
            return 0.0
        return max(per_region.values()) if self.parallel else sum(per_region.values())

    def per_function(self, functions: int) -> dict[str, float]:
        totals: Counter[str] = Counter()
        for (_, bucket), n in self.per_bucket().items():
            totals[bucket] += n
        return {b: totals[b] / functions for b in BUCKETS}


class RegionCalls:
    """Calls by (region, operation): what the quota floor needs (Aws.calls has no region)."""

    def __init__(self, aws: Aws) -> None:
        self.calls: Counter[tuple[str, str]] = Counter()
        self._lock = threading.Lock()
        original = aws.client

        def client(service: str, region: str | None = None) -> Any:
            c = original(service, region)
            if not getattr(c, "_bench_counted", False):
                c.meta.events.register("before-call", self._count(c.meta.region_name))
                c._bench_counted = True
            return c

        aws.client = client  # type: ignore[method-assign]

    def _count(self, region: str) -> Callable[..., None]:
        def count(model: Any, **_: Any) -> None:
            with self._lock:
                self.calls[(region, f"{model.service_model.service_name}.{model.name}")] += 1

        return count

    def snapshot(self) -> Counter[tuple[str, str]]:
        with self._lock:
            return Counter(self.calls)


def measure(label: str, counter: RegionCalls, work: Callable[[], Any], share: float, parallel: bool) -> Run:
    before = counter.snapshot()
    start = time.perf_counter()
    extra = work() or {}
    elapsed = time.perf_counter() - start
    after = counter.snapshot()
    after.subtract(before)
    run = Run(label, elapsed, Counter({k: v for k, v in after.items() if v}), share, parallel,
              extra=extra if isinstance(extra, dict) else {})
    print(f"  {label:<44} {elapsed:8.1f} s", flush=True)
    return run


# ----------------------------------------------------------------------------------------------- estate

def build(aws: Aws, regions: list[str], total: int) -> dict[str, list[str]]:
    """`total` functions over `regions`: a tenth with a version and an alias, a fifth with a permission,
    one topic subscription per region."""
    role = estate.role_arn(aws)
    names = {r: [f"bench-{r}-{i:05d}" for i in range(total // len(regions))] for r in regions}

    def make(args: tuple[str, int, str]) -> None:
        region, i, name = args
        lam = aws.client("lambda", region)
        lam.create_function(FunctionName=name, Runtime="python3.12", Role=role, Handler="handler.handler",
                            Code={"ZipFile": estate.package(name, extra_modules=2)},
                            Environment={"Variables": {"N": str(i)}}, Publish=i % 10 == 0)
        if i % 10 == 0:
            lam.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
        if i % 5 == 0:
            lam.add_permission(FunctionName=name, StatementId="sns", Action="lambda:InvokeFunction",
                               Principal="sns.amazonaws.com")

    parallel_map(make, [(r, i, n) for r in regions for i, n in enumerate(names[r])], 8)
    # the deployer's own function, outside the backups' selection (bench-*)
    aws.client("lambda", regions[0]).create_function(
        FunctionName="deployed-by-someone", Runtime="python3.12", Role=role, Handler="handler.handler",
        Code={"ZipFile": estate.package("deployed", extra_modules=1)})
    for region in regions:
        sns = aws.client("sns", region)
        topic = sns.create_topic(Name="bench")["TopicArn"]
        arn = aws.client("lambda", region).get_function(FunctionName=names[region][0])["Configuration"]["FunctionArn"]
        sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=arn)
    return names


# ---------------------------------------------------------------------------------------------- naive

def _download(url: str) -> None:
    with urllib.request.urlopen(url) as resp:  # noqa: S310 - the endpoint's presigned URL
        resp.read()


def _maybe(call: Callable[[], Any]) -> Any:
    try:
        return call()
    except Exception as exc:  # noqa: BLE001 - "no such policy/config" is an answer for a naive script
        if "NotFound" in type(exc).__name__ or "NotFound" in str(exc):
            return None
        raise


def naive_function(aws: Aws, region: str, name: str) -> None:
    lam = aws.client("lambda", region)
    _download(lam.get_function(FunctionName=name)["Code"]["Location"])
    _maybe(lambda: lam.get_policy(FunctionName=name))
    lam.list_event_source_mappings(FunctionName=name)


def _bench_functions(aws: Aws, region: str) -> list[str]:
    found = pages(aws.client("lambda", region), "list_functions", "Functions")
    return [f["FunctionName"] for f in found if f["FunctionName"].startswith("bench-")]


def naive_sequential(aws: Aws, regions: list[str]) -> None:
    for region in regions:
        for name in _bench_functions(aws, region):
            naive_function(aws, region, name)


def naive_parallel(aws: Aws, regions: list[str], one: Callable[[Aws, str, str], None]) -> None:
    def region_run(region: str) -> None:
        if one is thorough_function:
            thorough_region(aws, region)
        parallel_map(lambda n: one(aws, region, n), _bench_functions(aws, region), 8)

    parallel_map(region_run, regions, len(regions))


def thorough_function(aws: Aws, region: str, name: str) -> None:
    """What lambda-ark records of one function, asked the obvious way: one call per thing."""
    lam = aws.client("lambda", region)
    _download(lam.get_function(FunctionName=name)["Code"]["Location"])
    versions = [v for v in pages(lam, "list_versions_by_function", "Versions", FunctionName=name)
                if v["Version"] != "$LATEST"]
    for v in versions:
        _download(lam.get_function(FunctionName=name, Qualifier=v["Version"])["Code"]["Location"])
    aliases = list(pages(lam, "list_aliases", "Aliases", FunctionName=name))
    for qualifier in ["", *(a["Name"] for a in aliases)]:
        _maybe(lambda q=qualifier: lam.get_policy(FunctionName=name, **({"Qualifier": q} if q else {})))
    if versions:
        lam.list_provisioned_concurrency_configs(FunctionName=name)
    lam.list_function_url_configs(FunctionName=name)
    lam.list_function_event_invoke_configs(FunctionName=name)
    lam.get_function_recursion_config(FunctionName=name)
    lam.get_runtime_management_config(FunctionName=name)
    lam.get_function_code_signing_config(FunctionName=name)
    for m in lam.list_event_source_mappings(FunctionName=name)["EventSourceMappings"]:
        lam.list_tags(Resource=m["EventSourceMappingArn"])


def thorough_region(aws: Aws, region: str) -> None:
    """The trigger services, listed once per region (as lambda-ark does)."""
    for sub in pages(aws.client("sns", region), "list_subscriptions", "Subscriptions"):
        aws.client("sns", region).get_subscription_attributes(SubscriptionArn=sub["SubscriptionArn"])
    list(pages(aws.client("events", region), "list_rules", "Rules"))
    list(pages(aws.client("s3", region), "list_buckets", "Buckets"))
    list(pages(aws.client("apigateway", region), "get_rest_apis", "items"))
    list(pages(aws.client("apigatewayv2", region), "get_apis", "Items"))
    list(pages(aws.client("scheduler", region), "list_schedules", "Schedules"))


# ------------------------------------------------------------------------------------------- deployer

class Deployer:
    """Someone deploying while the backup runs: 3 control-plane calls a second, never retried, so every
    throttle shows."""

    def __init__(self, url: str, region: str, name: str, per_second: float = 3.0) -> None:
        session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=region)
        self.lam = session.client("lambda", endpoint_url=url,
                                  config=Config(retries={"total_max_attempts": 1, "mode": "standard"}))
        self.name, self.interval = name, 1 / per_second
        self.calls = self.throttles = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        i, start = 0, time.monotonic()
        while not self._stop.is_set():
            try:
                if i % 3 == 2:
                    self.lam.update_function_configuration(FunctionName=self.name, Description=f"deploy {i}")
                elif i % 3 == 1:
                    self.lam.list_aliases(FunctionName=self.name)
                else:
                    self.lam.get_function_configuration(FunctionName=self.name)
            except self.lam.exceptions.TooManyRequestsException:
                self.throttles += 1
            except Exception:  # noqa: BLE001, S110 - a deploy conflicting with itself is not our concern
                pass
            self.calls += 1
            i += 1
            self._stop.wait(max(0.0, start + i * self.interval - time.monotonic()))

    def __enter__(self) -> Deployer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


# ------------------------------------------------------------------------------------------ the runs

def start_endpoint(latency_ms: int, quotas: bool) -> tuple[subprocess.Popen[str], str]:
    # Its own process, as `lambda-ark endpoint` runs for users: in-process, the server's threads would
    # compete with the backup's for one interpreter lock.
    args = [sys.executable, "-m", "lambda_ark", "endpoint", "--port", "0", "--latency-ms", str(latency_ms)]
    proc = subprocess.Popen([*args, *(["--aws-quotas"] if quotas else [])], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    return proc, proc.stdout.readline().strip()


def run_all(url: str, regions: list[str], functions: int, share: float) -> list[Run]:
    builder = connect(endpoint_url=url, max_workers=8)
    print(f"building {functions} functions in {len(regions)} regions ...", flush=True)
    names = build(builder, regions, functions)
    deploy_target = "deployed-by-someone"
    naive = connect(endpoint_url=url, max_workers=8)  # no client-side limit: the quota is all theirs
    ark = connect(endpoint_url=url, max_workers=8, api_share=share)
    naive_calls, ark_calls = RegionCalls(naive), RegionCalls(ark)
    out: list[Run] = []
    out.append(measure("(a) naive loop, sequential", naive_calls, lambda: naive_sequential(naive, regions), 1, False))
    with Deployer(url, regions[0], deploy_target) as d:
        out.append(measure("(b) naive loop, parallel (the fair peer)", naive_calls,
                           lambda: naive_parallel(naive, regions, naive_function), 1, True))
    out[-1].deployer_throttles = d.throttles
    with Deployer(url, regions[0], deploy_target) as d:
        out.append(measure("(c) parallel naive loop, lambda-ark's items", naive_calls,
                           lambda: naive_parallel(naive, regions, thorough_function), 1, True))
    out[-1].deployer_throttles = d.throttles
    with tempfile.TemporaryDirectory() as tmp:
        repo = Repository.init(str(Path(tmp) / "repo"), password="bench", aws=ark)
        opts = BackupOptions(regions=regions, functions=["bench-*"])

        def backup() -> dict[str, Any]:
            result = run_backup(ark, repo, opts)
            assert result.ok, result.errors
            return {"captured": result.captured, "feed": result.change_feed}

        with Deployer(url, regions[0], deploy_target) as d:
            out.append(measure(f"(d) lambda-ark full backup at {share:.0%}", ark_calls, backup, share, True))
        out[-1].deployer_throttles = d.throttles
        time.sleep(1.1)  # CloudTrail stamps events to the second
        out.append(measure("(e) lambda-ark, nothing changed", ark_calls, backup, share, True))
        changed = [names[r][i] for r in regions for i in range(1, functions // len(regions), 100)][
            : max(1, functions // 100)]
        for name in changed:  # 1 %, spread over the regions
            region = name.split("-", 1)[1].rsplit("-", 1)[0]
            builder.client("lambda", region).update_function_configuration(FunctionName=name, MemorySize=256)
        time.sleep(1.1)
        out.append(measure("(f) lambda-ark, 1 % changed", ark_calls, backup, share, True))
        out[-1].extra["changed"] = len(changed)
    return out


def report(runs: list[Run], functions: int, share: float) -> None:
    print()
    print(f"{'run':<46} {'time':>8} {'GetFunction':>11} {'GetPolicy':>9} {'control':>8} {'floor':>7} "
          f"{'÷floor':>6} {'deployer':>9}")
    print(f"{'':<46} {'s':>8} {'calls/function (per quota bucket)':>30} {'s':>7} {'':>6} {'throttled':>9}")
    for run in runs:
        per = run.per_function(functions)
        floor = run.floor()
        ratio = f"{run.seconds / floor:6.2f}" if floor else "     -"
        throttled = "" if run.deployer_throttles is None else str(run.deployer_throttles)
        print(f"{run.label:<46} {run.seconds:8.1f} {per['GetFunction']:11.2f} {per['GetPolicy']:9.2f} "
              f"{per['lambda-control-plane']:8.2f} {floor:7.1f} {ratio} {throttled:>9}")
    a, b, c, d, e, f = runs
    print()
    print(f"full capture vs its quota floor at {share:.0%}:   {d.seconds / d.floor():5.2f}x  (goal <= 1.2x)")
    print(f"shared-bucket calls per function (full):    {d.per_function(functions)['lambda-control-plane']:5.2f}"
          "   (target <= 3.5)")
    print(f"incremental after 1 % changed vs full:      {d.seconds / f.seconds:5.0f}x faster  (goal >= 50x)")
    print(f"deployer throttles during the full backup:  {d.deployer_throttles}  (goal 0); during (b) "
          f"{b.deployer_throttles}, during (c) {c.deployer_throttles}")
    print(f"lambda-ark full vs (c), same items:         {c.seconds / d.seconds:5.2f}x the speed at {share:.0%} of "
          "the quota")
    print(f"nothing changed: {e.seconds:.2f} s, captured {e.extra.get('captured')}, feed {e.extra.get('feed')}; "
          f"1 % changed: captured {f.extra.get('captured')} of {f.extra.get('changed')} changed")


# ------------------------------------------------------------------------------------------- scale

def scale(regions: list[str], steps: list[int]) -> None:
    """Backup time and peak memory for growing estates (per region: `steps`), each in a fresh account
    and a fresh process, on an endpoint without quotas or latency (what grows is lambda-ark's work)."""
    proc, url = start_endpoint(0, quotas=False)
    try:
        aws = connect(endpoint_url=url, max_workers=8)
        print(f"\nscale: {len(regions)} regions x {steps} functions per region (no quotas, no latency)")
        print(f"{'functions':>10} {'build s':>8} {'backup s':>9} {'ms/function':>12} "
              f"{'peak MB':>8} {'backup MB':>10} {'KB/function':>12}")
        points: list[tuple[int, float, float]] = []
        for per_region in steps:
            account = f"5{abs(hash((per_region, time.time()))) % 10**11:011d}"
            creds = aws.client("sts").assume_role(RoleArn=f"arn:aws:iam::{account}:role/bench",
                                                  RoleSessionName="bench")["Credentials"]
            env = {"AWS_ACCESS_KEY_ID": creds["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": creds["SecretAccessKey"],
                   "AWS_SESSION_TOKEN": creds["SessionToken"]}
            own = Aws(session=boto3.Session(aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
                                            aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
                                            aws_session_token=env["AWS_SESSION_TOKEN"], region_name="us-east-1"),
                      endpoint_url=url)
            started = time.perf_counter()
            role = estate.role_arn(own)

            def make(args: tuple[str, int], role: str = role, own: Aws = own) -> None:
                name = f"s{args[1]:06d}"  # code of its own: every function is a download and a stored file
                own.client("lambda", args[0]).create_function(
                    FunctionName=name, Runtime="python3.12", Role=role, Handler="h.h",
                    Code={"ZipFile": estate.package(f"{args[0]}-{name}", extra_modules=0)})

            parallel_map(make, [(r, i) for r in regions for i in range(per_region)], 8)
            built = time.perf_counter() - started
            child = subprocess.run([sys.executable, __file__, "--scale-child", url, ",".join(regions)],
                                   env={**os.environ, **env}, capture_output=True, text=True, check=True)
            got = json.loads(child.stdout.strip().splitlines()[-1])
            total = per_region * len(regions)
            grown = got["peak_mb"] - got["base_mb"]  # what the backup added to the process at its peak
            points.append((total, got["seconds"], grown))
            print(f"{total:>10} {built:8.1f} {got['seconds']:9.1f} {1000 * got['seconds'] / total:12.2f} "
                  f"{got['peak_mb']:8.0f} {grown:10.0f} {1024 * grown / total:12.1f}", flush=True)
        if len(points) > 1:
            (n0, t0, m0), (n1, t1, m1) = points[0], points[-1]
            print(f"from {n0} to {n1} functions: {1000 * (t1 - t0) / (n1 - n0):.2f} ms and "
                  f"{1024 * (m1 - m0) / (n1 - n0):.1f} KB more per function (linear: the same at every step)")
    finally:
        proc.terminate()
        proc.wait()


def _rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # not Linux: the high-water mark


def scale_child(url: str, regions: list[str]) -> None:
    aws = connect(endpoint_url=url, max_workers=8)
    aws.account_id()
    with tempfile.TemporaryDirectory() as tmp:
        # (the repository's key derivation is memory-hard: the process's high-water mark says nothing
        # about the backup, so resident memory is sampled while it runs)
        repo = Repository.init(str(Path(tmp) / "repo"), password="bench", aws=aws)
        base_mb, peak = _rss_mb(), [0.0]
        done = threading.Event()

        def sample() -> None:
            while not done.wait(0.05):
                peak[0] = max(peak[0], _rss_mb())

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        start = time.perf_counter()
        result = run_backup(aws, repo, BackupOptions(regions=regions))
        seconds = time.perf_counter() - start
        done.set()
        sampler.join()
    assert result.ok, result.errors[:3]
    print(json.dumps({"seconds": seconds, "peak_mb": max(peak[0], base_mb), "base_mb": base_mb,
                      "functions": result.functions}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--functions", type=int, default=450)
    ap.add_argument("--regions", default="us-east-1,eu-west-1,ap-southeast-2")
    ap.add_argument("--latency-ms", type=int, default=20, help="round trip added to every call (AWS: tens of ms)")
    ap.add_argument("--api-share", type=float, default=50, help="percent of AWS's rates lambda-ark may use")
    ap.add_argument("--scale", action="store_true", help="also 10,000 functions x 4 regions (takes a while)")
    ap.add_argument("--scale-steps", default="1250,2500,5000,10000", help="functions per region for --scale")
    ap.add_argument("--skip-quota-runs", action="store_true", help="only --scale")
    ap.add_argument("--scale-child", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.scale_child:
        scale_child(args.scale_child[0], args.scale_child[1].split(","))
        return
    regions = args.regions.split(",")
    share = args.api_share / 100
    if not args.skip_quota_runs:
        proc, url = start_endpoint(args.latency_ms, quotas=True)
        try:
            print(f"endpoint with AWS's quotas, {args.latency_ms} ms per call; {args.functions} functions")
            runs = run_all(url, regions, args.functions, share)
        finally:  # never leave the endpoint running, whatever happened
            proc.terminate()
            proc.wait()
        report(runs, args.functions, share)
    if args.scale:
        scale(["us-east-1", "eu-west-1", "ap-southeast-2", "sa-east-1"],
              [int(s) for s in args.scale_steps.split(",")])


if __name__ == "__main__":
    main()
