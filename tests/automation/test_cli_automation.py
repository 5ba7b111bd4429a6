"""The automation commands as a user meets them: policy validate/show/schema, run, daemon (SIGTERM),
retry, alarms apply, restore --account; exit codes and one line per problem."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.e2e.conftest import PASSWORD, run_cli

from lambda_ark import embedded
from lambda_ark.aws import Aws

from .conftest import REGION, job_name, member, role_of

DOCS = Path(__file__).resolve().parents[2] / "docs"


def write(tmp: Path, text: str) -> str:
    path = tmp / "lambda-ark.yaml"
    path.write_text(text)
    return str(path)


def test_validate_prints_every_problem_located_and_exits_2(endpoint: embedded.Endpoint, tmp_path: Path) -> None:
    path = write(tmp_path, "repositories: {primary: /x}\njobs:\n  a:\n    schedule: rate(1 hours)\n    retension: {}\n")
    out = run_cli("policy", "validate", path, endpoint=endpoint.url)
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr.splitlines() == [
        f"{path}:4:15: jobs.a.schedule: bad rate 'rate(1 hours)': expected rate(1 hour) (singular for 1, plural "
        "otherwise)",
        f"{path}:5:5: jobs.a.retension: unknown key 'retension', expected one of: schedule, select, include, "
        "retention, rpo, notify, notify_on, errors_queue, copy, tags, max_deleted, alarm_deleted_functions, "
        "recapture_days, allow_empty, parallel_accounts, data, data_buckets, data_export_bucket, "
        "data_s3_versions, drill",
    ]
    as_json = json.loads(run_cli("policy", "validate", path, "--json", endpoint=endpoint.url).stdout)
    assert as_json["valid"] is False and len(as_json["errors"]) == 2


def test_validate_warns_of_an_unreachable_repository(endpoint: embedded.Endpoint, tmp_path: Path) -> None:
    path = write(tmp_path, f"repositories: {{primary: {tmp_path / 'none'}}}\n"
                           "jobs: {a: {schedule: rate(1 hour), retention: {keep_last: 3}}}\n")
    out = run_cli("policy", "validate", path, endpoint=endpoint.url)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == f"{path}: valid: 1 job (a), 1 warning"
    assert out.stderr.strip() == (f"{path}:1:25: warning: repositories.primary: repository {tmp_path / 'none'} is "
                                  "not reachable from here: no repository there (create one with `lambda-ark init`)")
    assert run_cli("policy", "validate", path, "--offline", endpoint=endpoint.url).stderr == ""


def test_show_and_schema(endpoint: embedded.Endpoint, aws: Aws, tmp_path: Path) -> None:
    acct = member(aws, functions=())
    path = write(tmp_path, f"repositories: {{primary: /x}}\naccounts: [{{role_arn: '{role_of(acct)}'}}]\n"
                           f"jobs: {{a: {{schedule: 'cron(0 3 * * ? *)', select: {{regions: [{REGION}]}}}}}}\n")
    shown = run_cli("policy", "show", path, "--json", endpoint=endpoint.url)
    assert shown.returncode == 0, shown.stderr
    job = json.loads(shown.stdout)["jobs"]["a"]
    assert job["accounts"] == [f"{acct.id} ({role_of(acct)})"] and job["regions"] == [REGION]
    assert len(job["next"]) == 5 and all(t.endswith("03:00Z") for t in job["next"])
    text = run_cli("policy", "show", path, "--offline", endpoint=endpoint.url)
    assert "job a: cron(0 3 * * ? *)" in text.stdout and "accounts: (not resolved)" in text.stdout
    schema = run_cli("policy", "schema", endpoint=endpoint.url)
    assert json.loads(schema.stdout) == json.loads((DOCS / "policy.schema.json").read_text())


def test_run_exits_3_when_one_account_cannot_be_assumed(endpoint: embedded.Endpoint, aws: Aws, tmp_path: Path) -> None:
    good, name = member(aws), job_name()
    bad = member(aws, functions=()).id
    repo = str(tmp_path / "repo")
    assert run_cli("init", "--repo", repo, endpoint=endpoint.url).returncode == 0
    prom = tmp_path / "ark.prom"
    path = write(tmp_path, f"""
repositories: {{primary: {repo}}}
accounts: [{{role_arn: "{role_of(good)}"}}, {{role_arn: "arn:aws:iam::{bad}:role/nope"}}]
metrics: {{targets: ["prometheus={prom}"]}}
jobs:
  {name}: {{schedule: rate(1 hour), select: {{regions: [{REGION}]}}}}
""")
    out = run_cli("run", "--policy", path, endpoint=endpoint.url)
    assert out.returncode == 3, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].startswith(f"job {name}: partial (schedule slot ") and "1 of 2 accounts backed up" in lines[0]
    assert lines[1].startswith(f"  account {good.id}: snapshot ") and "3 functions" in lines[1]
    assert lines[2] == f"  account {bad}: failed"
    assert f"error: job {name}: account {bad}: cannot assume arn:aws:iam::{bad}:role/nope" in out.stderr
    assert f'ark_job="{name}"' in prom.read_text()

    again = run_cli("run", "--policy", path, "--json", endpoint=endpoint.url)
    assert again.returncode == 0
    assert [j["action"] for j in json.loads(again.stdout)["jobs"]] == ["not due"]

    # restore selects one account's functions from the job's snapshot
    restore = ("restore", "latest", "--repo", repo, "--dry-run", "--json")
    assert run_cli(*restore, "--account", good.id, endpoint=endpoint.url, **good.env).returncode == 0
    other = run_cli(*restore, "--account", bad, endpoint=endpoint.url)
    assert other.returncode == 1 and f"has no function matching --account {bad}" in other.stderr


def test_the_daemon_stops_cleanly_on_sigterm(endpoint: embedded.Endpoint, aws: Aws, tmp_path: Path) -> None:
    acct, name = member(aws, functions=("orders-1",)), job_name()
    repo = str(tmp_path / "repo")
    assert run_cli("init", "--repo", repo, endpoint=endpoint.url).returncode == 0
    path = write(tmp_path, f"""
repositories: {{primary: {repo}}}
accounts: [{{role_arn: "{role_of(acct)}"}}]
metrics: {{targets: [none]}}
jobs:
  {name}: {{schedule: "cron(0 0 1 1 ? *)", select: {{regions: [{REGION}]}}}}
""")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "LAMBDA_ARK_"))}
    env.update(AWS_ENDPOINT_URL=endpoint.url, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
               AWS_DEFAULT_REGION="us-east-1", LAMBDA_ARK_PASSWORD=PASSWORD)
    proc = subprocess.Popen([sys.executable, "-m", "lambda_ark", "daemon", "--policy", path], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stderr is not None
        first = proc.stdout.readline()  # the first round ran the job (a new job runs at once)
        assert f"job {name}: ok (schedule slot " in first, first + proc.stderr.read()
        proc.send_signal(signal.SIGTERM)  # now it sleeps until next New Year
        assert proc.wait(timeout=30) == 0
        err = proc.stderr.read()
        assert "lambda-ark daemon: 1 jobs from" in err and "lambda-ark daemon: stopped after 1 rounds" in err
    finally:
        if proc.poll() is None:
            proc.kill()


def test_alarms_apply_then_nothing_to_do(endpoint: embedded.Endpoint, aws: Aws, tmp_path: Path) -> None:
    acct, name = member(aws, functions=()), job_name()
    path = write(tmp_path, f"""
repositories: {{primary: /x}}
accounts: [{{role_arn: "{role_of(acct)}"}}]
metrics: {{region: {REGION}}}
jobs:
  {name}: {{schedule: rate(1 hour), rpo: 3h}}
""")
    plan = run_cli("alarms", "apply", "--policy", path, "--dry-run", "--json", endpoint=endpoint.url)
    assert plan.returncode == 0, plan.stderr
    assert [c["action"] for c in json.loads(plan.stdout)["changes"]] == ["create"] * 3
    done = run_cli("alarms", "apply", "--policy", path, endpoint=endpoint.url)
    assert done.returncode == 0 and done.stdout.strip().endswith("done: 3 create")
    again = run_cli("alarms", "apply", "--policy", path, endpoint=endpoint.url)
    assert again.stdout.strip().endswith("done: 3 unchanged")


def test_retry_checks_its_queue_url(endpoint: embedded.Endpoint, aws: Aws, tmp_path: Path) -> None:
    repo = str(tmp_path / "repo")
    assert run_cli("init", "--repo", repo, endpoint=endpoint.url).returncode == 0
    path = write(tmp_path, f"repositories: {{primary: {repo}}}\njobs: {{a: {{schedule: rate(1 hour)}}}}\n")
    bad = run_cli("retry", "--policy", path, "--from-queue", "not-a-queue", endpoint=endpoint.url)
    assert bad.returncode == 2 and "bad SQS queue URL 'not-a-queue'" in bad.stderr
    url = aws.client("sqs").create_queue(QueueName=job_name("empty"))["QueueUrl"]
    empty = run_cli("retry", "--policy", path, "--from-queue", url, endpoint=endpoint.url)
    assert empty.returncode == 0, empty.stderr
    assert empty.stdout.strip() == "0 queued items read, 0 deleted after their retry"
