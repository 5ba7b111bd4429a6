"""The command line as a user meets it: exit codes, one-line errors, --json, --help examples."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lambda_ark import embedded
from lambda_ark.aws import Aws
from lambda_ark.demo import estate

from .conftest import PASSWORD, run_cli
from .isolated import make_functions, own_account

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
    assert (result["functions"], result["captured"], result["errors"]) == (4, 4, [])
    assert "demo-secret" not in out.stdout + out.stderr  # environment variables never leave the repository

    again = json.loads(run_cli("backup", "--repo", repo, "--regions", REGION, "--json", endpoint=url).stdout)
    assert (again["captured"], again["unchanged"]) == (0, 4)
    assert again["aws_calls"].get("lambda.GetFunction", 0) == 0

    # a global --repo before the command; the listing says what each run captured and added
    listed = json.loads(run_cli("--repo", repo, "snapshots", "--json", endpoint=url).stdout)
    assert [(s["summary"]["captured"], s["summary"]["unchanged"]) for s in listed] == [(4, 0), (0, 4)]
    assert listed[0]["summary"]["bytes_added"] > listed[1]["summary"]["bytes_added"] >= 0
    # backup and snapshots agree on what a run added
    assert [s["summary"]["bytes_added"] for s in listed] == [result["bytes_added"], again["bytes_added"]]
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
        (["backup", "--select-tag", "novalue"], 2, "malformed tag"),
        (["backup", "--regions", ""], 2, "--regions '' names no region"),
        (["backup", "--regions", " , "], 2, "names no region"),
        (["backup", "--max-deleted", "120%"], 2, "--max-deleted '120%'"),
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


def _no_credentials_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "LAMBDA_ARK_"))}
    env.update(
        {
            "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
            "AWS_CONFIG_FILE": str(tmp_path / "none"),
            "AWS_EC2_METADATA_DISABLED": "true",
            "LAMBDA_ARK_PASSWORD": "pw",
            **extra,
        }
    )
    return env


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "lambda_ark", *args], env=env, capture_output=True, text=True,
                          timeout=120)


def test_no_credentials_is_an_error_naming_the_chain_and_the_embedded_endpoint(tmp_path: Path) -> None:
    env = _no_credentials_env(tmp_path)
    repo = str(tmp_path / "repo")
    assert _cli("init", "--repo", repo, env=env).returncode == 0  # a local repository needs no AWS

    for args in (
        ["backup", "--repo", repo, "--json"],
        ["backup", "--repo", repo, "--regions", "us-east-1"],
        ["restore", "latest", "--repo", repo, "--dry-run"],
        ["snapshots", "--repo", "s3://some-bucket/ark"],  # an S3 repository needs AWS
        ["init", "--repo", str(tmp_path / "kms"), "--kms-key-id", "alias/ark"],  # so does a KMS key
    ):
        out = _cli(*args, env=env)
        assert out.returncode == 1, (args, out.stdout, out.stderr)
        line = _one_line_error(out.stderr)
        for needle in ("no AWS credentials found", "AWS_PROFILE", "shared config and credentials files", "SSO",
                       "instance metadata", "--endpoint-url embedded", "AWS_ENDPOINT_URL=embedded"):
            assert needle in line, (args, line)
        assert out.stdout == ""  # --json printed no result: there is none
    # nothing was written, and commands on a local repository still work without credentials
    assert not (tmp_path / "kms").exists() or not list((tmp_path / "kms").rglob("config"))
    for args in (["snapshots", "--json"], ["check"]):
        out = _cli(*args, "--repo", repo, env=env)
        assert out.returncode == 0, out.stderr
    assert json.loads(_cli("snapshots", "--json", "--repo", repo, env=env).stdout) == []


@pytest.mark.parametrize("how", ["option", "env"])
def test_the_embedded_endpoint_is_chosen_explicitly_and_says_so(tmp_path: Path, how: str) -> None:
    env = _no_credentials_env(tmp_path, **({"AWS_ENDPOINT_URL": "embedded"} if how == "env" else {}))
    repo = str(tmp_path / "repo")
    assert _cli("init", "--repo", repo, env=env).returncode == 0
    chosen = ["--endpoint-url", "embedded"] if how == "option" else []
    out = _cli("backup", "--repo", repo, "--regions", "us-east-1", "--allow-empty", *chosen, env=env)
    assert out.returncode == 0, out.stderr
    assert "using the embedded AWS endpoint at http://127.0.0.1:" in out.stderr
    assert "0 functions" in out.stdout  # its estate is empty, and --allow-empty asked for that snapshot


def test_an_empty_selection_writes_nothing_unless_allowed(
    endpoint: embedded.Endpoint, aws: Aws, tmp_path: Path
) -> None:
    acct = own_account(aws)
    make_functions(acct.aws, "eu-west-1", ["empty-sel-a"])
    repo = tmp_path / "repo"
    run_cli("init", "--repo", str(repo), endpoint=endpoint.url)
    before = sorted(p.relative_to(repo) for p in repo.rglob("*") if p.is_file())
    args = ("backup", "--repo", str(repo), "--regions", "eu-west-1", "--function", "nothing-like-this-*")
    out = run_cli(*args, "--json", endpoint=endpoint.url, **acct.env)
    assert out.returncode == 1, out.stdout + out.stderr
    line = _one_line_error(out.stderr)
    assert "no snapshot written" in line and "matches no function in eu-west-1" in line and "--allow-empty" in line
    after = sorted(p.relative_to(repo) for p in repo.rglob("*") if p.is_file())
    # no data, no lock left: only the audit log's event saying the backup failed
    assert [p for p in after if p.parts[0] != "audit"] == [p for p in before if p.parts[0] != "audit"]
    failed = json.loads(run_cli("audit", "log", "--json", "--repo", str(repo), endpoint=endpoint.url).stdout)
    assert [(e["command"], e["outcome"]) for e in failed["events"]] == [("init", "ok"), ("backup", "error")]

    allowed = run_cli(*args, "--json", "--allow-empty", endpoint=endpoint.url, **acct.env)
    assert allowed.returncode == 0, allowed.stderr
    assert json.loads(allowed.stdout)["functions"] == 0
    assert len(json.loads(run_cli("snapshots", "--json", "--repo", str(repo), endpoint=endpoint.url).stdout)) == 1


def test_a_mass_deletion_is_recorded_flagged_and_exits_3(endpoint: embedded.Endpoint, aws: Aws, tmp_path: Path) -> None:
    acct = own_account(aws)
    names = [f"mass-{i}" for i in range(5)]
    make_functions(acct.aws, "eu-west-1", names)
    make_functions(acct.aws, "eu-west-2", ["mass-elsewhere"])
    repo = str(tmp_path / "repo")
    run_cli("init", "--repo", repo, endpoint=endpoint.url)
    args = ("backup", "--repo", repo, "--regions", "eu-west-1,eu-west-2", "--json")
    assert run_cli(*args, endpoint=endpoint.url, **acct.env).returncode == 0

    for name in names[:2]:  # 2 of the 6 functions in scope: 33 % > 20 %
        acct.aws.client("lambda", "eu-west-1").delete_function(FunctionName=name)
    out = run_cli(*args, endpoint=endpoint.url, **acct.env)
    assert out.returncode == 3, out.stderr
    result = json.loads(out.stdout)
    assert result["functions"] == 4 and result["errors"] == []
    assert "had 6 functions" in result["anomaly"] and "now 4" in result["anomaly"]
    assert [line for line in out.stderr.splitlines() if "mass deletion" in line and "had 6" in line]
    latest = json.loads(run_cli("snapshots", "--json", "--repo", repo, endpoint=endpoint.url).stdout)[-1]
    assert "anomaly" in latest["tags"] and latest["id"] == result["snapshot"]

    # the next run compares with the flagged snapshot: nothing more lost, all is well again
    assert run_cli(*args, endpoint=endpoint.url, **acct.env).returncode == 0
    # another selection is compared with what it covers of the newest snapshot; a higher limit allows more
    acct.aws.client("lambda", "eu-west-1").delete_function(FunctionName=names[2])
    lenient = run_cli(*args, "--max-deleted", "50", "--function", "mass-*", endpoint=endpoint.url, **acct.env)
    assert lenient.returncode == 0, lenient.stderr


def test_tag_labels_the_snapshot_and_select_tag_selects(endpoint: embedded.Endpoint, aws: Aws, tmp_path: Path) -> None:
    acct = own_account(aws)
    make_functions(acct.aws, "us-east-1", ["tagged-a", "tagged-b"], tags={"team": "payments"})
    make_functions(acct.aws, "us-east-1", ["untagged-c"])
    repo = str(tmp_path / "repo")
    run_cli("init", "--repo", repo, endpoint=endpoint.url)
    out = run_cli("backup", "--repo", repo, "--regions", "us-east-1", "--select-tag", "team=payments",
                  "--tag", "nightly", "--tag", "before-release", "--snapshot-tag", "legacy", "--json",
                  endpoint=endpoint.url, **acct.env)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["functions"] == 2
    (snap,) = json.loads(run_cli("snapshots", "--json", "--repo", repo, endpoint=endpoint.url).stdout)
    assert {"nightly", "before-release", "legacy"} <= set(snap["tags"])
    shown = json.loads(run_cli("show", "latest", "--json", "--repo", repo, endpoint=endpoint.url).stdout)
    assert "untagged-c" not in json.dumps(shown) and "tagged-a" in json.dumps(shown)
    assert "--snapshot-tag" not in run_cli("backup", "--help", endpoint=endpoint.url).stdout  # a hidden alias


@pytest.mark.parametrize("where", ["app", "command"])
def test_password_file_and_command_flags(endpoint: embedded.Endpoint, aws: Aws, tmp_path: Path, where: str) -> None:
    acct = own_account(aws)
    make_functions(acct.aws, "us-east-1", ["pwflag-a"])
    repo = str(tmp_path / "repo")
    run_cli("init", "--repo", repo, endpoint=endpoint.url)
    secret = tmp_path / "pass"
    secret.write_text(PASSWORD + "\n")
    common = ("--repo", repo, "--regions", "us-east-1", "--json")
    for flag, value in (("--password-file", str(secret)), ("--password-command", f"cat {secret}")):
        # a wrong LAMBDA_ARK_PASSWORD in the environment: only the flag can open the repository
        args = [flag, value, "backup", *common] if where == "app" else ["backup", *common, flag, value]
        out = run_cli(*args, endpoint=endpoint.url, password="wrong", **acct.env)
        assert out.returncode == 0, (flag, out.stderr)
    wrong = run_cli("backup", *common, endpoint=endpoint.url, password="wrong", **acct.env)
    assert wrong.returncode == 1
