"""The CLI with data: usage errors in one line, a killed data backup commits nothing, and a
cross-region restore brings buckets, tables and their data back, verified item by item."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from tests.e2e.conftest import PASSWORD, run_cli
from tests.faulty_proxy import FaultyProxy, Rule

from lambda_ark import embedded
from lambda_ark.aws import Aws
from lambda_ark.kinds.common import pages

from .conftest import REGION, wire

OBJECTS = {"incoming/a.json": b'{"a": 1}', "incoming/b.json": b'{"b": 2}', "static/logo": os.urandom(3000)}


@pytest.mark.parametrize(("args", "message"), [
    (["backup", "--data", "s3,queues"], "--data queues: unknown source"),
    (["backup", "--data", "s3,tables"], "--data tables: unknown source"),
    (["restore", "latest", "--data-mode", "merge"],
     "--data-mode, --data-bucket-template and --data-import-bucket apply to data: add --data"),
    (["restore", "latest", "--data", "--data-mode", "sideways"], "--data-mode 'sideways': use merge or overwrite"),
])
def test_bad_data_options_are_one_line_usage_errors(
    endpoint: embedded.Endpoint, tmp_path: Path, args: list[str], message: str
) -> None:
    repo = str(tmp_path / "repo")
    assert run_cli("init", "--repo", repo, endpoint=endpoint.url).returncode == 0
    out = run_cli(*args, "--repo", repo, endpoint=endpoint.url)
    assert out.returncode == 2, out.stderr
    assert message in out.stderr and len(out.stderr.strip().splitlines()) == 1


def _s3_objects(aws: Aws, region: str, bucket: str) -> dict[str, bytes]:
    s3 = aws.client("s3", region)
    return {o["Key"]: s3.get_object(Bucket=bucket, Key=o["Key"])["Body"].read()
            for o in pages(s3, "list_objects_v2", "Contents", Bucket=bucket)}


def _items(aws: Aws, region: str, table: str) -> list[str]:
    got = pages(aws.client("dynamodb", region), "scan", "Items", TableName=table)
    return sorted(json.dumps(i, sort_keys=True, default=repr) for i in got)


def test_backup_and_cross_region_restore_with_data(endpoint: embedded.Endpoint, aws: Aws, tmp_path: Path) -> None:
    w = wire(aws, REGION, OBJECTS, 80)
    repo, env = str(tmp_path / "repo"), w.account.env
    assert run_cli("init", "--repo", repo, endpoint=endpoint.url, **env).returncode == 0
    backed = run_cli("backup", "--repo", repo, "--regions", REGION, "--data", "s3,dynamodb", "--json",
                     endpoint=endpoint.url, **env)
    assert backed.returncode == 0, backed.stderr
    shown = json.loads(run_cli("show", "latest", "--repo", repo, "--json", endpoint=endpoint.url, **env).stdout)
    assert sorted((d["source"], d["name"], d["contents"]) for d in shown["data"]) == [
        ("dynamodb", w.table, "80 items"), ("s3", w.bucket, f"3 objects, {sum(map(len, OBJECTS.values())):,} bytes")]
    target = "ca-central-1"
    restored = run_cli("restore", "latest", "--repo", repo, "--to-region", target, "--data",
                       "--data-bucket-template", "{name}-{region}", "--yes", "--json", endpoint=endpoint.url, **env)
    assert restored.returncode == 0, restored.stdout + restored.stderr
    new_bucket = f"{w.bucket}-{target}"
    assert _s3_objects(w.aws, target, new_bucket) == OBJECTS
    assert _items(w.aws, target, w.table) == _items(w.aws, REGION, w.table)
    notified = w.aws.client("s3", target).get_bucket_notification_configuration(Bucket=new_bucket)
    assert [c["LambdaFunctionArn"] for c in notified["LambdaFunctionConfigurations"]] == [
        f"arn:aws:lambda:{target}:{w.account.id}:function:{w.function}"]
    again = run_cli("restore", "latest", "--repo", repo, "--to-region", target, "--data",
                    "--data-bucket-template", "{name}-{region}", "--dry-run", "--json", endpoint=endpoint.url, **env)
    counts = json.loads(again.stdout)["counts"]
    assert set(counts) == {"unchanged"}, again.stdout


def test_a_data_backup_killed_mid_read_commits_nothing_and_the_next_run_completes(
    endpoint: embedded.Endpoint, aws: Aws, tmp_path: Path
) -> None:
    w = wire(aws, REGION, OBJECTS, 10)
    repo = str(tmp_path / "repo")
    assert run_cli("init", "--repo", repo, endpoint=endpoint.url, **w.account.env).returncode == 0
    proxy = FaultyProxy(upstream=endpoint.url)
    url = proxy.start()
    reached = threading.Event()
    proxy.rules.append(Rule("GET", rf"^/{w.bucket}/static/logo$", times=1,
                            before=lambda: (reached.set(), time.sleep(20))))  # type: ignore[func-returns-value]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "LAMBDA_ARK_"))}
    env |= {**w.account.env, "AWS_ENDPOINT_URL": url, "LAMBDA_ARK_PASSWORD": PASSWORD, "AWS_DEFAULT_REGION": REGION}
    try:
        backup = subprocess.Popen([sys.executable, "-m", "lambda_ark", "backup", "--repo", repo, "--regions", REGION,
                                   "--data", "s3,dynamodb", "--no-change-feed"], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        assert reached.wait(120)
        backup.send_signal(signal.SIGKILL)
        assert backup.wait(timeout=30) == -signal.SIGKILL
    finally:
        proxy.stop()
    listed = run_cli("snapshots", "--repo", repo, "--json", endpoint=endpoint.url)
    assert listed.stdout.strip() in ("[]", "")
    assert run_cli("check", "--repo", repo, endpoint=endpoint.url).returncode == 0
    done = run_cli("backup", "--repo", repo, "--regions", REGION, "--data", "s3,dynamodb", "--json",
                   endpoint=endpoint.url, **w.account.env)
    assert done.returncode == 0, done.stderr
