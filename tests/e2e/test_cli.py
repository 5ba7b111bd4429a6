"""The command line as a user meets it: exit codes, one-line errors, --json, --help examples."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lambda_ark import embedded
from lambda_ark.aws import Aws
from lambda_ark.demo import estate

from .conftest import run_cli

REGION, TARGET = "ap-southeast-1", "ap-southeast-3"


def _one_line_error(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert lines[0].startswith("lambda-ark: error: ") or lines[0].startswith("Error"), stderr
    return lines[0]


def test_backup_and_restore_through_the_cli(endpoint: embedded.Endpoint, aws: Aws, tmp_path: Path) -> None:
    estate.build(aws, [REGION], per_region=4)
    repo = str(tmp_path / "repo")
    url = endpoint.url
    assert run_cli("init", "--repo", repo, endpoint=url).returncode == 0

    out = run_cli("backup", "--repo", repo, "--regions", REGION, "--json", endpoint=url)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert (result["functions"], result["changed"], result["errors"]) == (4, 4, [])
    assert "demo-secret" not in out.stdout + out.stderr  # environment variables never leave the repository

    again = json.loads(run_cli("backup", "--repo", repo, "--regions", REGION, "--json", endpoint=url).stdout)
    assert (again["changed"], again["carried_forward"]) == (0, 4)
    assert again["aws_calls"].get("lambda.GetFunction", 0) == 0

    # a global --repo before the command; the listing says what each run captured and added
    listed = json.loads(run_cli("--repo", repo, "snapshots", "--json", endpoint=url).stdout)
    assert [s["summary"]["changed"] for s in listed] == [4, 0]
    assert listed[0]["summary"]["bytes_added"] > listed[1]["summary"]["bytes_added"] >= 0
    for args in (["show", "latest", "--json"], ["diff", listed[0]["id"][:8], listed[1]["id"][:8]]):
        shown = run_cli(*args, "--repo", repo, endpoint=url)
        assert shown.returncode == 0, shown.stderr
        assert "demo-secret" not in shown.stdout + shown.stderr

    estate.event_sources(aws, TARGET)
    args = ("restore", "latest", "--repo", repo, "--to-region", TARGET, "--json")
    plan = run_cli(*args, "--dry-run", endpoint=url)
    assert plan.returncode == 0, plan.stderr
    assert json.loads(plan.stdout)["counts"]["create"] > 4
    assert aws.client("lambda", TARGET).list_functions()["Functions"] == []  # a plan changes nothing

    applied = run_cli(*args, "--yes", endpoint=url)
    assert applied.returncode == 0, applied.stderr
    assert "demo-secret" not in applied.stdout
    second = json.loads(run_cli(*args, "--yes", endpoint=url).stdout)
    assert set(second["counts"]) == {"unchanged"}


def test_partial_restore_exits_3_and_restores_the_rest(endpoint: embedded.Endpoint, aws: Aws, tmp_path: Path) -> None:
    estate.build(aws, ["eu-central-2"], per_region=3)
    repo = str(tmp_path / "repo")
    run_cli("init", "--repo", repo, endpoint=endpoint.url)
    assert run_cli("backup", "--repo", repo, "--regions", "eu-central-2", endpoint=endpoint.url).returncode == 0
    # no queue/stream/table in the target: the event source mappings cannot be created there
    out = run_cli(
        "restore", "latest", "--repo", repo, "--to-region", "us-west-1", "--yes", "--json", endpoint=endpoint.url
    )
    assert out.returncode == 3, out.stderr
    changes = json.loads(out.stdout)["changes"]
    failed = [c for c in changes if c["action"] == "failed"]
    assert failed and all(c["kind"] == "mappings" for c in failed)
    assert len(aws.client("lambda", "us-west-1").list_functions()["Functions"]) == 3
    quiet = run_cli(
        "restore", "latest", "--repo", repo, "--to-region", "us-west-1", "--yes", "--quiet", endpoint=endpoint.url
    )
    assert (quiet.returncode, quiet.stdout) == (3, "")
    assert [line.split()[:2] for line in quiet.stderr.splitlines()] == [["failed:", "mappings"]] * len(failed)


@pytest.mark.parametrize(
    ("args", "code", "needle"),
    [
        (["backup", "--regions", "mars-1"], 2, "unknown region 'mars-1'"),
        (["backup", "--function", "a b"], 2, "malformed function glob"),
        (["backup", "--tag", "novalue"], 2, "malformed tag"),
        (["backup", "--shard", "3/2"], 2, "malformed shard"),
        (["restore", "latest", "--to-region", "mars-1", "--dry-run"], 2, "unknown target region"),
        (["restore", "nosuchsnapshot", "--dry-run"], 1, "nosuchsnapshot"),
        (["restore", "latest", "--map", "arn:aws:s3:::bucket=other", "--dry-run"], 2, "malformed map entry"),
    ],
)
def test_bad_input_is_one_line_and_exit_code(
    endpoint: embedded.Endpoint, tmp_path: Path, args: list[str], code: int, needle: str
) -> None:
    repo = str(tmp_path / "repo")
    run_cli("init", "--repo", repo, endpoint=endpoint.url)
    out = run_cli(*args, "--repo", repo, endpoint=endpoint.url)
    assert out.returncode == code, out.stderr
    assert needle in _one_line_error(out.stderr)


def test_missing_repository_wrong_password_unreachable_endpoint(endpoint: embedded.Endpoint, tmp_path: Path) -> None:
    repo = str(tmp_path / "repo")
    missing = run_cli("backup", "--repo", str(tmp_path / "nope"), endpoint=endpoint.url)
    assert missing.returncode == 1 and "nope" in _one_line_error(missing.stderr)

    run_cli("init", "--repo", repo, endpoint=endpoint.url)
    wrong = run_cli("backup", "--repo", repo, endpoint=endpoint.url, password="not it")
    assert wrong.returncode == 1
    _one_line_error(wrong.stderr)

    down = run_cli("backup", "--repo", repo, endpoint="http://127.0.0.1:9", AWS_MAX_ATTEMPTS="1")
    assert down.returncode == 1
    assert "127.0.0.1:9" in _one_line_error(down.stderr)


def test_no_credentials_means_the_embedded_endpoint_and_says_so(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "LAMBDA_ARK_"))}
    env.update(
        {
            "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
            "AWS_CONFIG_FILE": str(tmp_path / "none"),
            "AWS_EC2_METADATA_DISABLED": "true",
            "LAMBDA_ARK_PASSWORD": "pw",
        }
    )
    repo = str(tmp_path / "repo")
    cli = [sys.executable, "-m", "lambda_ark"]
    assert subprocess.run([*cli, "init", "--repo", repo], env=env, capture_output=True).returncode == 0
    out = subprocess.run(
        [*cli, "backup", "--repo", repo, "--regions", "us-east-1"], env=env, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert "no AWS credentials found; using the embedded AWS endpoint at http://127.0.0.1:" in out.stderr
