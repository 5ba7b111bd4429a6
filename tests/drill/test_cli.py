"""`lambda-ark drill` and `drills` as a user runs them (a subprocess): exit codes, one-line errors,
a drill killed halfway and the `--cleanup` that removes what it left."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.e2e.conftest import run_cli

from lambda_ark import embedded

from .conftest import NOTHING_LEFT, PASSWORD, SRC, Estate, leftovers, record_of


def cli(estate: Estate, endpoint: embedded.Endpoint, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, "--repo", estate.repo.url, endpoint=endpoint.url, password=PASSWORD, **estate.acct.env)


def test_bad_usage_is_one_line_and_exit_2(estate: Estate, endpoint: embedded.Endpoint, tmp_path: Path) -> None:
    (tmp_path / "events.yaml").write_text("events:\n  orders: missing.json\n")
    from typer.testing import CliRunner

    from lambda_ark.cli import app
    from lambda_ark.errors import UsageError

    env = {**estate.acct.env, "AWS_ENDPOINT_URL": endpoint.url}
    for args, message in [  # refused before anything is read or created
        (("drill", "--drill-id", "abc"), "--drill-id and --roles go with --cleanup"),
        (("drill",), "a drill needs a repository"),
    ]:
        result = CliRunner().invoke(app, list(args), env=env)
        assert isinstance(result.exception, UsageError) and message in str(result.exception)
    # as a user sees it: one line, exit 2
    done = cli(estate, endpoint, "drill", "--events", str(tmp_path / "events.yaml"))
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "cannot read test event" in done.stderr


def test_a_passing_drill_exits_0_and_is_listed(estate: Estate, endpoint: embedded.Endpoint) -> None:
    estate.function("orders", alias=True)
    estate.backup()
    done = cli(estate, endpoint, "drill", "latest", "--region", SRC)
    assert done.returncode == 0, done.stderr
    last = done.stdout.strip().splitlines()[-1]
    assert last.startswith("drill ") and " passed: 1 passed; RTO " in last and ", recorded as " in last
    listed = cli(estate, endpoint, "drills", "--json")
    (record,) = json.loads(listed.stdout)
    assert record["status"] == "passed" and record["functions"][0]["target"] == "orders-drill (eu-west-1)"
    table = cli(estate, endpoint, "drills")
    assert table.returncode == 0 and record["drill_id"] in table.stdout and "1 drills" in table.stdout


def test_a_failing_drill_exits_3(estate: Estate, endpoint: embedded.Endpoint) -> None:
    estate.function("orders", env={"STAGE": "prod"})
    estate.backup()
    estate.tamper(lambda body: record_of(body, "orders")["items"]["function"]["config"]["Environment"]["Variables"]
                  .pop("TABLE"))
    done = cli(estate, endpoint, "drill", "--json")
    assert done.returncode == 3
    result = json.loads(done.stdout)
    assert result["status"] == "failed" and result["functions"][0]["detail"] == "Unhandled: KeyError: 'TABLE'"
    assert done.stderr.strip().endswith("failed: 1 failed")
    assert leftovers(estate.aws, SRC) == NOTHING_LEFT


def test_a_drill_killed_halfway_leaves_what_cleanup_removes(estate: Estate, endpoint: embedded.Endpoint) -> None:
    s3 = estate.aws.client("s3", SRC)
    s3.create_bucket(Bucket=f"marks-{estate.acct.id}", CreateBucketConfiguration={"LocationConstraint": SRC})
    slow = (f"import boto3, time\ndef handler(event, context):\n    boto3.client('s3').put_object("
            f"Bucket='marks-{estate.acct.id}', Key='started', Body=b'1')\n    time.sleep(20)\n")
    estate.function("slow", code=slow, Timeout=25)
    estate.function("orders")
    estate.lam().create_event_source_mapping(FunctionName="orders", EventSourceArn=estate.queue_arn)
    estate.backup()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "LAMBDA_ARK_"))}
    env.update(estate.acct.env, AWS_ENDPOINT_URL=endpoint.url, AWS_DEFAULT_REGION="us-east-1",
               LAMBDA_ARK_PASSWORD=PASSWORD)
    proc = subprocess.Popen([sys.executable, "-m", "lambda_ark", "drill", "--repo", estate.repo.url], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(600):  # until the drill is invoking its copies: everything is created by then
            if s3.list_objects_v2(Bucket=f"marks-{estate.acct.id}").get("KeyCount"):
                break
            time.sleep(0.05)
        else:
            raise AssertionError("the drill never invoked its copy")
    finally:
        proc.send_signal(signal.SIGKILL)  # no finally block runs: a machine that died
        proc.wait()
    left = leftovers(estate.aws, SRC)
    assert left["functions"] == ["orders-drill", "slow-drill"] and left["layers"] and left["mappings"]
    done = cli(estate, endpoint, "drill", "--cleanup", "--region", SRC)
    assert done.returncode == 0, done.stderr
    assert leftovers(estate.aws, SRC) == NOTHING_LEFT
    assert sorted(f["FunctionName"] for f in estate.lam().list_functions()["Functions"]) == ["orders", "slow"]
    assert "cleanup: " in done.stdout and " deleted in eu-west-1" in done.stdout.splitlines()[-1]


def test_a_drill_reads_from_a_replica_and_records_in_the_primary(
    estate: Estate, endpoint: embedded.Endpoint, tmp_path: Path
) -> None:
    """Issue 13: drill, like restore, reads from the nearest healthy copy (here the primary has lost
    its data, so reads fail over to the replica) and keeps its record with the primary."""
    estate.function("orders", alias=True)
    snapshot = estate.backup()
    replica = str(tmp_path / "replica")
    env = {**estate.acct.env}
    made = run_cli("init", "--repo", replica, "--from-repo", estate.repo.url, endpoint=endpoint.url,
                   password=PASSWORD, **env)
    assert made.returncode == 0, made.stderr
    copied = run_cli("copy", "--repo", estate.repo.url, "--to-repo", replica, endpoint=endpoint.url,
                     password=PASSWORD, **env)
    assert copied.returncode == 0, copied.stderr
    for pack in (Path(estate.repo.url) / "data").rglob("*"):
        if pack.is_file():
            pack.unlink()  # the primary's data is gone; its snapshots and index still name it

    done = run_cli("drill", "latest", "--repo", estate.repo.url, "--repo", replica, "--region", SRC,
                   endpoint=endpoint.url, password=PASSWORD, **env)
    assert done.returncode == 0, done.stderr
    # the replica is read (the primary's probe or its first read failed over), and that is said
    assert f"drill: reading snapshot {snapshot[:8]} from {replica} (local)" in done.stderr \
        or f"went on with {replica}" in done.stderr, done.stderr
    listed = run_cli("drills", "--repo", estate.repo.url, "--json", endpoint=endpoint.url, password=PASSWORD, **env)
    (record,) = json.loads(listed.stdout)
    assert record["status"] == "passed" and record["snapshot"] == snapshot
    elsewhere = run_cli("drills", "--repo", replica, "--json", endpoint=endpoint.url, password=PASSWORD, **env)
    assert json.loads(elsewhere.stdout) == []  # recorded once, in the primary
