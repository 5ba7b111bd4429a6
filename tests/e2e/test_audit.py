"""The audit log as operators meet it: backups and restores through the CLI, who ran them, verify."""

from __future__ import annotations

import json
from pathlib import Path

from lambda_ark import embedded
from lambda_ark.aws import Aws

from .conftest import run_cli
from .isolated import make_functions, own_account

REGION = "eu-south-1"


def test_backup_and_restore_are_logged_with_the_aws_caller(endpoint: embedded.Endpoint, aws: Aws,
                                                           tmp_path: Path) -> None:
    acct = own_account(aws)
    make_functions(acct.aws, REGION, ["audit-a", "audit-b"])
    repo = str(tmp_path / "repo")
    assert run_cli("init", "--repo", repo, endpoint=endpoint.url).returncode == 0
    backup = run_cli("backup", "--repo", repo, "--regions", REGION, "--json", endpoint=endpoint.url, **acct.env)
    assert backup.returncode == 0, backup.stderr
    snap = json.loads(backup.stdout)["snapshot"]
    plan = run_cli("restore", "latest", "--repo", repo, "--to-region", "eu-south-2", "--dry-run", "--json",
                   endpoint=endpoint.url, **acct.env)
    assert plan.returncode == 0, plan.stderr
    # a restore that fails once under way (its selection matches nothing) is logged as an error
    bad = run_cli("restore", "latest", "--repo", repo, "--function", "nothing-*", "--yes",
                  endpoint=endpoint.url, **acct.env)
    assert bad.returncode == 1, bad.stderr
    out = run_cli("audit", "log", "--repo", repo, "--json", endpoint=endpoint.url)
    events = json.loads(out.stdout)["events"]
    commands = [(e["command"], e["outcome"]) for e in events]
    assert commands == [("init", "ok"), ("backup", "ok"), ("restore", "ok"), ("restore", "error")], commands
    assert events[3]["error"] and "nothing-*" in json.dumps(events[3]["scope"])
    logged = events[1]
    assert logged["snapshots"] == [snap] and logged["counts"]["functions"] == 2
    assert logged["scope"] == {"regions": REGION}
    assert logged["principal"] and acct.id in logged["principal"]  # the assumed role, not the OS user
    assert events[2]["scope"]["dry_run"] is True and events[2]["snapshots"] == [snap]
    # the snapshot records the chain head as it stood at commit: init's event
    listed = json.loads(run_cli("snapshots", "--repo", repo, "--json", endpoint=endpoint.url).stdout)
    assert list(listed[0]["audit"].values()) == [f"audit/{events[0]['writer']}/" + next(
        p.name for p in Path(repo, "audit", events[0]["writer"]).iterdir())]
    verify = run_cli("audit", "verify", "--repo", repo, endpoint=endpoint.url)
    assert verify.returncode == 0, verify.stderr
