"""Copy benchmark: `lambda-ark copy` to an S3 replica over a poor link, against `aws s3 sync` of the
same repository folder, in the same run.

The replica is a bucket on the embedded endpoint (its own process), reached through the loopback
link proxy of tests/link_proxy.py, which adds a round trip to every request and cuts a share of the
connections halfway through their bodies. Both tools run as the processes users run. Figures:

- throughput (MB of repository per second) at 0 ms and 50 ms latency, and with 5 % of connections
  dropped, for lambda-ark copy (into a replica made with init --from-repo; one upload at a time,
  the default, and --connections 4) and for aws s3 sync (when the AWS CLI is installed; else a
  boto3 loop with 10 threads, as the CLI's default);
- bytes sent again after an interruption at 50 %: the copy (or the sync) is killed with SIGKILL
  once half the repository has crossed the link, then run again; "sent again" is what crossed the
  link in both runs minus what the destination holds at the end.

    python bench/copy.py [--mb 192]
"""

# ruff: noqa: E402 - imports follow the sys.path fix below
from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this file's folder comes first on sys.path, where this file (copy.py) would stand
# in for the standard library's `copy` module: take the folder out, put the project root in.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE] + [str(_HERE.parent)]

import argparse
import os
import random
import shutil
import signal
import subprocess
import tempfile
import time
import zipfile
from datetime import UTC, datetime

import boto3
from tests.link_proxy import LinkProxy

from lambda_ark.repository import Repository, Snapshot

PASSWORD = "bench"
MB = 1_000_000


def build_source(folder: Path, megabytes: int) -> Repository:
    """A repository of `megabytes` of incompressible zips over a few snapshots (packs of 8 MiB)."""
    repo = Repository.init(str(folder), password=PASSWORD)
    rnd = random.Random(1)
    per_snapshot = max(1, megabytes // 6)
    made = 0
    while made < megabytes:
        path = folder.parent / "pkg.zip"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
            for i in range(per_snapshot):
                zf.writestr(f"lib/part{i}.bin", rnd.randbytes(MB))
        with repo.writer() as w:
            w.commit(Snapshot(time=datetime.now(UTC), host="bench", files={"code": w.put_file(path.read_bytes())},
                              body={"n": made}))
        made += per_snapshot
    return repo


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def bucket_bytes(s3: object, bucket: str) -> int:
    total = 0
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):  # type: ignore[attr-defined]
        total += sum(o["Size"] for o in page.get("Contents", []) if "/locks/" not in o["Key"])
    return total


class Bench:
    def __init__(self, endpoint: str, source: Path) -> None:
        self.endpoint, self.source = endpoint, source
        self.s3 = boto3.client("s3", region_name="us-east-1", endpoint_url=endpoint,
                               aws_access_key_id="testing", aws_secret_access_key="testing")
        self.size = folder_bytes(source)
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "LAMBDA_ARK_"))}
        self.env.update({"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                         "AWS_DEFAULT_REGION": "us-east-1", "LAMBDA_ARK_PASSWORD": PASSWORD,
                         "PYTHONPATH": os.pathsep.join(sys.path)})
        self.n = 0

    def bucket(self) -> str:
        self.n += 1
        name = f"bench-{os.getpid()}-{self.n}"
        self.s3.create_bucket(Bucket=name)
        return name

    def ark_copy(self, link: LinkProxy, bucket: str, connections: int = 1) -> tuple[list[str], dict[str, str]]:
        env = self.env | {"AWS_ENDPOINT_URL": self.endpoint, "LAMBDA_ARK_S3_ENDPOINT": link.url}
        return [sys.executable, "-m", "lambda_ark", "copy", "--quiet", "--repo", f"s3://{bucket}/ark",
                "--from-repo", str(self.source), "--connections", str(connections)], env

    def command(self, tool: str, link: LinkProxy, bucket: str) -> tuple[list[str], dict[str, str]]:
        """tool: "ark" (default settings), "ark4" (--connections 4) or "sync"."""
        if tool.startswith("ark"):
            self.prepare_replica(bucket)
            return self.ark_copy(link, bucket, 4 if tool == "ark4" else 1)
        return self.sync(link, bucket)

    def sync(self, link: LinkProxy, bucket: str) -> tuple[list[str], dict[str, str]]:
        if shutil.which("aws"):
            return (["aws", "--endpoint-url", link.url, "s3", "sync", "--quiet", "--only-show-errors",
                     str(self.source), f"s3://{bucket}/ark"], self.env)
        return ([sys.executable, __file__, "--boto3-sync", str(self.source), f"s3://{bucket}/ark", link.url],
                self.env)

    def prepare_replica(self, bucket: str) -> None:
        """init --from-repo straight on the endpoint (not part of what is measured)."""
        env = self.env | {"AWS_ENDPOINT_URL": self.endpoint}
        subprocess.run([sys.executable, "-m", "lambda_ark", "init", "--repo", f"s3://{bucket}/ark",
                        "--from-repo", str(self.source)], env=env, check=True, capture_output=True)

    def run(self, tool: str, latency: float, drop: float) -> float:
        """MB/s of one full copy through a fresh link."""
        link = LinkProxy(self.endpoint, latency=latency, drop_rate=drop, seed=7)
        link.start()
        bucket = self.bucket()
        try:
            cmd, env = self.command(tool, link, bucket)
            start = time.perf_counter()
            done = subprocess.run(cmd, env=env, capture_output=True, text=True)
            took = time.perf_counter() - start
            if done.returncode != 0:
                raise SystemExit(f"{tool} failed: {done.stderr[-2000:]}")
        finally:
            link.stop()
        return self.size / MB / took

    def interrupted(self, tool: str, latency: float) -> tuple[int, int, int]:
        """(bytes sent by the run killed at 50 %, by the run after it, stored in the end)."""
        link = LinkProxy(self.endpoint, latency=latency, seed=7)
        link.start()
        bucket = self.bucket()
        try:
            cmd, env = self.command(tool, link, bucket)
            base = link.received
            child = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            link.after_received(base + self.size // 2, lambda: os.kill(child.pid, signal.SIGKILL))
            child.wait()
            first = link.received - base
            if child.returncode != -signal.SIGKILL:
                raise SystemExit(f"{tool} was not killed halfway (exit {child.returncode})")
            done = subprocess.run(cmd, env=env, capture_output=True, text=True)
            if done.returncode != 0:
                raise SystemExit(f"{tool} could not finish after the kill: {done.stderr[-2000:]}")
            return first, link.received - base - first, bucket_bytes(self.s3, bucket)
        finally:
            link.stop()


def boto3_sync(source: str, target: str, endpoint: str) -> None:
    """`aws s3 sync` without the AWS CLI: every file missing (by name and size) put, 10 at once."""
    from concurrent.futures import ThreadPoolExecutor

    bucket, _, prefix = target[len("s3://"):].partition("/")
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    have = {o["Key"]: o["Size"] for p in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
            for o in p.get("Contents", [])}
    files = [p for p in Path(source).rglob("*") if p.is_file()]

    def put(p: Path) -> None:
        key = f"{prefix}/{p.relative_to(source).as_posix()}"
        if have.get(key) != p.stat().st_size:
            s3.upload_file(str(p), bucket, key)

    with ThreadPoolExecutor(10) as pool:
        list(pool.map(put, files))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mb", type=int, default=192, help="repository size to copy (MB of random zips)")
    ap.add_argument("--boto3-sync", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.boto3_sync:
        boto3_sync(*args.boto3_sync)
        return
    work = Path(tempfile.mkdtemp(prefix="ark-bench-copy-"))
    server = subprocess.Popen([sys.executable, "-m", "lambda_ark", "endpoint", "--port", "0"],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        endpoint = server.stdout.readline().strip()
        source = work / "repo"
        build_source(source, args.mb)
        bench = Bench(endpoint, source)
        sync_name = "aws s3 sync" if shutil.which("aws") else "boto3 sync (10 threads)"
        print(f"repository: {bench.size / MB:.1f} MB in {len(list((source / 'data').rglob('*')))} entries "
              f"under data/; baseline: {sync_name}")
        names = {"ark": "lambda-ark copy", "ark4": "lambda-ark copy --connections 4", "sync": sync_name}
        for label, latency, drop in (("0 ms", 0.0, 0.0), ("50 ms", 0.05, 0.0), ("0 ms, 5 % drops", 0.0, 0.05)):
            speed = {tool: bench.run(tool, latency, drop) for tool in names}
            print(f"{label:<16} " + "   ".join(f"{names[t]} {v:6.1f} MB/s" for t, v in speed.items())
                  + f"   (lambda-ark / sync: {speed['ark'] / speed['sync']:.2f}, "
                    f"with 4 connections {speed['ark4'] / speed['sync']:.2f})")
        pack = 8 * 1024 * 1024
        for tool, name in names.items():
            first, second, stored = bench.interrupted(tool, 0.05)
            again = first + second - stored
            print(f"killed at 50 % (50 ms): {name}: {first / MB:.1f} MB sent before the kill, {second / MB:.1f} MB "
                  f"after, {stored / MB:.1f} MB stored: {again / MB:.1f} MB sent twice ({again / pack:.2f} packs)")
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
