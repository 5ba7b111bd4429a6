"""Backup benchmark on the embedded endpoint: lambda-ark against the naive per-function loop.

    python bench/backup.py [--functions 1000] [--regions us-east-1,eu-west-1,ap-southeast-2]

(a) naive loop: per function get_function + download + get_policy + list_event_source_mappings,
    sequential, as common backup scripts do; (b) lambda-ark full backup; (c) lambda-ark again with
nothing changed; (d) with 1 % of functions changed. Prints wall time, AWS calls by operation, ratios.
"""

from __future__ import annotations

import argparse
import io
import subprocess
import sys
import tempfile
import time
import urllib.request
import zipfile
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from lambda_ark.aws import Aws, connect
from lambda_ark.backup import BackupOptions, run_backup
from lambda_ark.demo import estate
from lambda_ark.kinds.common import pages
from lambda_ark.repository import Repository


def package(i: int) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("handler.py", f"def handler(e, c):\n    return {i}\n")
        zf.writestr("lib/common.py", "def common():\n    return 1\n" * 400)
    return buf.getvalue()


def build(aws: Aws, regions: list[str], total: int) -> None:
    per = total // len(regions)
    role = estate.role_arn(aws)

    def make(args: tuple[str, int]) -> None:
        region, i = args
        aws.client("lambda", region).create_function(
            FunctionName=f"bench-{i:05d}",
            Runtime="python3.12",
            Role=role,
            Handler="handler.handler",
            Code={"ZipFile": package(i)},
            Environment={"Variables": {"N": str(i)}},
        )

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(make, [(r, i) for r in regions for i in range(per)]))


def naive(aws: Aws, regions: list[str]) -> None:
    for region in regions:
        lam = aws.client("lambda", region)
        for fn in pages(lam, "list_functions", "Functions"):
            got = lam.get_function(FunctionName=fn["FunctionName"])
            with urllib.request.urlopen(got["Code"]["Location"]) as resp:  # noqa: S310
                resp.read()
            try:
                lam.get_policy(FunctionName=fn["FunctionName"])
            except lam.exceptions.ResourceNotFoundException:
                pass
            lam.list_event_source_mappings(FunctionName=fn["FunctionName"])


def measure(label: str, aws: Aws, work: object) -> tuple[float, Counter[str]]:
    before = Counter(aws.calls)
    start = time.perf_counter()
    work()  # type: ignore[operator]
    elapsed = time.perf_counter() - start
    calls = Counter(aws.calls)
    calls.subtract(before)
    calls = Counter({k: v for k, v in calls.items() if v})
    gets = calls.get("lambda.GetFunction", 0)
    print(f"{label:<34} {elapsed:8.2f} s  {sum(calls.values()):6d} calls  GetFunction={gets}")
    return elapsed, calls


Measured = tuple[float, Counter[str]]


def run_all(aws: Aws, regions: list[str], functions: int, latency_ms: int) -> list[Measured]:
    print(
        f"building {functions} functions in {len(regions)} regions on the embedded endpoint "
        f"({latency_ms} ms per call)..."
    )
    build(aws, regions, functions)
    with tempfile.TemporaryDirectory() as tmp:
        repo = Repository.init(str(Path(tmp) / "repo"), password="bench", aws=aws)
        opts = BackupOptions(regions=regions)
        out = [measure("(a) naive per-function loop", aws, lambda: naive(aws, regions))]
        out.append(measure("(b) lambda-ark full backup", aws, lambda: run_backup(aws, repo, opts)))
        out.append(measure("(c) lambda-ark, nothing changed", aws, lambda: run_backup(aws, repo, opts)))
        lam = aws.client("lambda", regions[0])
        for i in range(max(1, functions // 100)):
            lam.update_function_configuration(FunctionName=f"bench-{i:05d}", MemorySize=256)
        out.append(measure("(d) lambda-ark, 1 % changed", aws, lambda: run_backup(aws, repo, opts)))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--functions", type=int, default=1000)
    ap.add_argument("--regions", default="us-east-1,eu-west-1,ap-southeast-2")
    ap.add_argument(
        "--latency-ms",
        type=int,
        default=20,
        help="round trip added to every call (AWS in-region API calls take tens of ms; 0 = local CPU only)",
    )
    args = ap.parse_args()
    regions = args.regions.split(",")
    # The endpoint runs in its own process, as `lambda-ark endpoint` does for users: in-process, the
    # server's Python threads would compete with the backup's for one interpreter lock.
    server = subprocess.Popen(
        [sys.executable, "-m", "lambda_ark", "endpoint", "--port", "0", "--latency-ms", str(args.latency_ms)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        url = server.stdout.readline().strip()
        results = run_all(connect(endpoint_url=url, max_workers=8), regions, args.functions, args.latency_ms)
    finally:  # never leave the endpoint running, whatever happened
        server.terminate()
        server.wait()
    (ta, ca), (tb, cb), (tc, cc), (td, cd) = results
    print()
    for label, calls in (("(a)", ca), ("(b)", cb), ("(c)", cc), ("(d)", cd)):
        print(f"{label} calls by operation: " + ", ".join(f"{k}={v}" for k, v in sorted(calls.items())))
    print()
    print(f"speed-up (b) full backup vs naive:      {ta / tb:6.1f}x  (target >= 3x)")
    print(f"speed-up (c) unchanged vs naive:         {ta / tc:6.1f}x  (target >= 20x)")
    print(f"speed-up (d) 1 % changed vs naive:       {ta / td:6.1f}x")
    print(f"GetFunction calls in (c):                {cc.get('lambda.GetFunction', 0)}  (target 0)")


if __name__ == "__main__":
    main()
