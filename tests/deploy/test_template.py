"""The template `deploy` writes: refused when the policy cannot run inside AWS, cfn-lint clean, its
roles exactly the generated least-privilege policies, its schedules as EventBridge Scheduler takes them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cfnlint.api import ManualArgs, lint

from lambda_ark.deploy.compose import template_for
from lambda_ark.deploy.template import scheduler_expression
from lambda_ark.errors import UsageError
from lambda_ark.iam import policy_for, request_for
from lambda_ark.policy import load_policy

CODE = {"S3Bucket": "acme-deploy", "S3Key": "lambda-ark/0123abcd.zip"}
POLICY = """\
repositories:
  primary: s3://acme-ark/prod
accounts:
  - role_arn: arn:aws:iam::111122223333:role/OrganizationAccountAccessRole
  - role_arn: arn:aws:iam::444455556666:role/OrganizationAccountAccessRole
jobs:
  nightly:
    select: {regions: [eu-west-1, us-east-1]}
    schedule: "30 2 * * 1-5"
    rpo: 26h
    retention: {keep_daily: 7}
  hourly:
    select: {regions: [eu-west-1], names: ["orders-*"]}
    include: [code, config]
    schedule: rate(1 hour)
notify: ["sns:arn:aws:sns:eu-west-1:111122223333:ops"]
"""


def _policy(tmp_path: Path, text: str = POLICY) -> Any:
    path = tmp_path / "lambda-ark.yaml"
    path.write_text(text)
    return load_policy(path)


def _lint(template: dict[str, Any]) -> list[str]:
    return [str(m) for m in lint(json.dumps(template), config=ManualArgs(regions=["eu-west-1"]))]


# --- refused ------------------------------------------------------------------------------------


def test_a_folder_repository_cannot_be_deployed(tmp_path: Path) -> None:
    loaded = _policy(tmp_path, POLICY.replace("s3://acme-ark/prod", str(tmp_path / "repo")))
    with pytest.raises(UsageError, match="is a folder; inside AWS it must be an S3 repository"):
        template_for(loaded, "lambda-ark", CODE)


def test_a_watched_job_must_exist_and_concurrency_be_positive(tmp_path: Path) -> None:
    loaded = _policy(tmp_path)
    with pytest.raises(UsageError, match=r"--watch 'weekly': no such job .* \(jobs: nightly, hourly\)"):
        template_for(loaded, "lambda-ark", CODE, watch_job="weekly")
    with pytest.raises(UsageError, match="--max-concurrency 0: at least 1"):
        template_for(loaded, "lambda-ark", CODE, max_concurrency=0)


def test_a_schedule_eventbridge_cannot_express_is_refused() -> None:
    with pytest.raises(ValueError, match="day of the month OR a day of the week"):
        scheduler_expression("0 3 1 * 1")
    assert scheduler_expression("30 2 * * 1-5") == "cron(30 2 ? * 2-6 *)"
    assert scheduler_expression("rate(1 hour)") == "rate(1 hour)"


# --- the template -------------------------------------------------------------------------------


def test_the_template_is_cfn_lint_clean_with_and_without_the_watcher(tmp_path: Path) -> None:
    loaded = _policy(tmp_path)
    plain, _ = template_for(loaded, "lambda-ark", CODE)
    watched, _ = template_for(loaded, "lambda-ark", CODE, watch_job="hourly",
                              password_secret="arn:aws:secretsmanager:eu-west-1:111122223333:secret:ark-AbCdEf")
    image, _ = template_for(loaded, "lambda-ark", {"ImageUri": "111122223333.dkr.ecr.eu-west-1.amazonaws.com/ark:1"})
    for template in (plain, watched, image):
        assert _lint(template) == []
    assert not any(k.startswith("Watch") for k in plain["Resources"])
    res = watched["Resources"]
    assert {"WatchQueue", "WatchDeadLetters", "WatchRule", "WatchQueuePolicy", "WatcherFunction",
            "WatchMapping"} <= set(res)
    assert res["WatcherFunction"]["Properties"]["Handler"] == "lambda_ark.aws_lambda.watcher"
    env = res["WatcherFunction"]["Properties"]["Environment"]["Variables"]
    assert env["LAMBDA_ARK_WATCH_JOB"] == "hourly" and env["LAMBDA_ARK_PASSWORD_SECRET"].endswith("ark-AbCdEf")
    assert res["WatchMapping"]["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert res["WatchQueue"]["Properties"]["RedrivePolicy"]["deadLetterTargetArn"] == {
        "Fn::GetAtt": ["WatchDeadLetters", "Arn"]}


def test_every_role_is_the_generated_policy_plus_only_its_own_stack_resources(tmp_path: Path) -> None:
    loaded = _policy(tmp_path)
    template, _ = template_for(loaded, "lambda-ark", CODE, watch_job="nightly")
    res = template["Resources"]
    for name, role in (("Planner", "planner"), ("Worker", "worker"), ("Finisher", "finisher"),
                       ("Watcher", "watcher")):
        policies = res[f"{name}Role"]["Properties"]["Policies"]
        assert policies[0]["PolicyDocument"] == policy_for(request_for(role, loaded)), name
        # the rest names only the stack's own resources (its logs, work bucket, topic, queues)
        extra = json.dumps(policies[1]["PolicyDocument"])
        assert '"*"' not in extra and "acme-ark" not in extra, name
    worker = json.dumps(res["WorkerRole"]["Properties"]["Policies"][0]["PolicyDocument"])
    assert "arn:aws:iam::111122223333:role/OrganizationAccountAccessRole" in worker  # it assumes the accounts'
    assert "arn:aws:s3:::acme-ark" in worker


def test_schedules_alarms_and_dashboard_follow_the_policy(tmp_path: Path) -> None:
    loaded = _policy(tmp_path)
    template, warnings = template_for(loaded, "ark", CODE)
    res = template["Resources"]
    schedules = {k: v["Properties"] for k, v in res.items() if v["Type"] == "AWS::Scheduler::Schedule"}
    assert {p["ScheduleExpression"] for p in schedules.values()} == {"cron(30 2 ? * 2-6 *)", "rate(1 hour)"}
    assert {json.loads(p["Target"]["Input"])["job"] for p in schedules.values()} == {"nightly", "hourly"}
    alarms = [v["Properties"] for v in res.values() if v["Type"] == "AWS::CloudWatch::Alarm"]
    names = {a.get("AlarmName") for a in alarms}
    for account in ("111122223333", "444455556666"):
        assert f"ark/lambda-ark/nightly/{account}/rpo" in names and f"ark/lambda-ark/hourly/{account}/failed" in names
    assert not any(a.get("AlarmName", "").endswith("hourly/111122223333/rpo") for a in alarms)  # no rpo given
    assert warnings == []
    body = json.loads(res["Dashboard"]["Properties"]["DashboardBody"]["Fn::Sub"])
    assert any(w["properties"]["title"] == "nightly: SnapshotAgeSeconds" and w["properties"].get("annotations")
               for w in body["widgets"])
