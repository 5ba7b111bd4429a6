"""The IAM policies lambda-ark generates: actions named as IAM names them, scoped, and lint clean.

parliament carries a copy of AWS's Service Authorization Reference: every action a kind or module
declares must exist there, the function-level resource table must agree with it, and every
generated policy must pass its checks (unknown actions, resources that do not fit an action,
malformed conditions).
"""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path
from typing import Any

import parliament
import pytest

from lambda_ark.iam import ROLES, policy_for, request_for
from lambda_ark.iam.actions import actions_for, is_read
from lambda_ark.iam.build import queue_arn
from lambda_ark.iam.resources import FUNCTION_ACTIONS, glob_to_iam, is_global
from lambda_ark.iam.roles import CORE
from lambda_ark.kinds import KINDS
from lambda_ark.policy import load_policy

REPO = "s3://acme-ark/prod"
KEY = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"


@cache
def definitions() -> dict[str, dict[str, Any]]:
    """Each IAM prefix's privileges (a prefix some services share, as SES v1 and v2 do, merged)."""
    path = Path(parliament.__file__).parent / "iam_definition.json"
    out: dict[str, dict[str, Any]] = {}
    for service in json.loads(path.read_text()):
        merged = out.setdefault(service["prefix"], {"prefix": service["prefix"], "privileges": []})
        merged["privileges"] += service["privileges"]
    return out


def known(action: str) -> bool:
    prefix, _, name = action.partition(":")
    service = definitions().get(prefix)
    if service is None:
        return False
    names = {p["privilege"] for p in service["privileges"]}
    return name in names or (name.endswith("*") and any(n.startswith(name[:-1]) for n in names))


@pytest.mark.parametrize(("service", "operation", "expected"), [
    ("lambda", "GetFunction", ("lambda:GetFunction",)),
    ("lambda", "Invoke", ("lambda:InvokeFunction",)),
    ("lambda", "CreateFunction", ("lambda:CreateFunction", "iam:PassRole")),
    ("s3", "ListBuckets", ("s3:ListAllMyBuckets",)),
    ("s3", "ListObjectsV2", ("s3:ListBucket",)),
    ("s3", "HeadObject", ("s3:GetObject",)),
    ("s3", "GetBucketNotificationConfiguration", ("s3:GetBucketNotification",)),
    ("s3", "GetObjectLockConfiguration", ("s3:GetBucketObjectLockConfiguration",)),
    ("apigateway", "GetRestApis", ("apigateway:GET",)),
    ("apigateway", "PutIntegration", ("apigateway:PUT",)),
    ("apigatewayv2", "UpdateRoute", ("apigateway:PATCH",)),
    ("apigatewayv2", "CreateApi", ("apigateway:POST",)),
    ("cloudwatch", "PutMetricData", ("cloudwatch:PutMetricData",)),
    ("resourcegroupstaggingapi", "GetResources", ("tag:GetResources",)),
    ("elbv2", "DescribeTargetGroups", ("elasticloadbalancing:DescribeTargetGroups",)),
    ("stepfunctions", "ListStateMachines", ("states:ListStateMachines",)),
    ("ses", "DescribeActiveReceiptRuleSet", ("ses:DescribeActiveReceiptRuleSet",)),
    ("sqs", "DeleteMessageBatch", ("sqs:DeleteMessage",)),
    ("sts", "GetCallerIdentity", ()),
    ("cloudfront", "UpdateDistribution",
     ("cloudfront:UpdateDistribution", "lambda:GetFunction", "lambda:EnableReplication",
      "iam:CreateServiceLinkedRole")),
])
def test_calls_map_to_the_actions_iam_checks(service: str, operation: str, expected: tuple[str, ...]) -> None:
    assert actions_for(service, operation) == expected


@pytest.mark.parametrize(("action", "read"), [
    ("lambda:GetFunction", True), ("lambda:ListAliases", True), ("elasticloadbalancing:DescribeRules", True),
    ("apigateway:GET", True), ("apigateway:PATCH", False), ("s3:ListAllMyBuckets", True),
    ("lambda:PublishVersion", False), ("iam:PassRole", False), ("lambda:UpdateFunctionCode", False),
])
def test_reads_are_told_from_writes(action: str, read: bool) -> None:
    assert is_read(action) is read


@pytest.mark.parametrize(("glob", "pattern"), [
    ("orders-*", "orders-*"), ("a?c", "a?c"), ("fn-[ab]-x", "fn-?-x"), ("fn-[!a]", "fn-?"), ("plain", "plain"),
])
def test_globs_become_iam_patterns_never_narrower(glob: str, pattern: str) -> None:
    assert glob_to_iam(glob) == pattern


def test_every_declared_action_exists_in_the_iam_reference() -> None:
    declared = {a for kind in KINDS for a in kind.PERMISSIONS} | {a for acts in CORE.values() for a in acts}
    assert declared
    assert sorted(a for a in declared if not known(a)) == []


def test_the_function_resource_table_agrees_with_the_iam_reference() -> None:
    lambda_ = definitions()["lambda"]
    by_function = {f"lambda:{p['privilege']}" for p in lambda_["privileges"]
                   if any(r["resource_type"].startswith("function") for r in p["resource_types"])}
    assert FUNCTION_ACTIONS == by_function


def test_global_services_carry_no_region_condition_and_regional_ones_do() -> None:
    doc = policy_for(request_for("backup", repositories=[REPO], regions=["eu-west-1"]))
    for statement in doc["Statement"]:
        if statement["Sid"].startswith("Repository"):
            assert "Condition" not in statement or "aws:RequestedRegion" not in statement["Condition"].get(
                "StringEquals", {})
            continue
        regional = not all(is_global(a) for a in statement["Action"])
        has_region = "aws:RequestedRegion" in statement.get("Condition", {}).get("StringEquals", {})
        assert has_region == regional, statement["Sid"]


def lint(doc: dict[str, Any]) -> list[str]:
    findings = parliament.analyze_policy_string(json.dumps(doc)).findings
    return [f"{f.issue}: {f.detail}" for f in findings]


def _policy_file(tmp_path: Path) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(
        "repositories: {primary: s3://acme-ark/prod, copies: [s3://acme-ark-dr/prod]}\n"
        "accounts:\n"
        "  - role_arn: arn:aws:iam::111111111111:role/ark-reader\n"
        "  - organization: {role_name: ark-reader}\n"
        "jobs:\n"
        "  critical:\n"
        "    select: {regions: [eu-west-1, us-east-1], names: ['orders-*']}\n"
        "    schedule: rate(1 hour)\n"
        "    retention: {keep_daily: 7}\n"
        "    notify: [sns:arn:aws:sns:eu-west-1:111111111111:ark]\n"
        "errors_queue: https://sqs.eu-west-1.amazonaws.com/111111111111/ark-errors\n"
        "metrics: {targets: [cloudwatch]}\n")
    return path


@pytest.mark.parametrize("role", ROLES)
def test_every_generated_policy_lints_clean(role: str, tmp_path: Path) -> None:
    loaded = load_policy(_policy_file(tmp_path))
    for request in (request_for(role, repositories=[REPO], kms_keys=[KEY]),
                    request_for(role, loaded, kms_keys=[KEY], functions=["orders-*"]),
                    request_for(role, loaded, regions=["eu-west-1"], secret="arn:aws:secretsmanager:eu-west-1:"
                                "111111111111:secret:ark-AbCdEf")):
        doc = policy_for(request)
        assert lint(doc) == [], role
        if role == "drill":  # restore's writes plus the drill's own: attached as managed policies (docs/iam.md)
            assert len(_managed_split(doc)) <= 3, "a drill's policy fits in three customer-managed policies"
        else:
            assert len(json.dumps(doc, separators=(",", ":"))) < 10_240, "an inline role policy holds 10,240 chars"


def _managed_split(doc: dict[str, Any]) -> list[list[dict[str, Any]]]:
    """The statements in customer-managed policies of at most 6,144 characters each (IAM's limit)."""
    parts: list[list[dict[str, Any]]] = [[]]
    for statement in doc["Statement"]:
        candidate = {"Version": doc["Version"], "Statement": [*parts[-1], statement]}
        if len(json.dumps(candidate, separators=(",", ":"))) > 6_144:
            parts.append([])
        parts[-1].append(statement)
    assert all(len(json.dumps({"Version": doc["Version"], "Statement": p}, separators=(",", ":"))) <= 6_144
               for p in parts)
    return parts


def test_a_policy_file_scopes_what_the_runner_may_do(tmp_path: Path) -> None:
    doc = policy_for(request_for("backup", load_policy(_policy_file(tmp_path))))
    by_sid = {s["Sid"]: s for s in doc["Statement"]}
    assert by_sid["AssumeAccountRoles"]["Resource"] == ["arn:aws:iam::*:role/ark-reader",
                                                        "arn:aws:iam::111111111111:role/ark-reader"]
    assert by_sid["Notifications"]["Resource"] == ["arn:aws:sns:eu-west-1:111111111111:ark"]
    assert by_sid["ErrorsQueue"]["Resource"] == ["arn:aws:sqs:eu-west-1:111111111111:ark-errors"]
    assert "ListOrganizationAccounts" in by_sid
    # every account is reached through an assumed role: the runner itself reads no estate
    assert not any(a.startswith("lambda:") for s in doc["Statement"] for a in s["Action"])
    # retention deletes in the primary and in the copy; the copy is written
    assert by_sid["Repository1Delete"]["Resource"] == "arn:aws:s3:::acme-ark/prod/*"
    assert by_sid["Repository2Delete"]["Resource"] == "arn:aws:s3:::acme-ark-dr/prod/*"
    member = policy_for(request_for("member", load_policy(_policy_file(tmp_path))))
    functions = {s["Sid"]: s for s in member["Statement"]}["Lambda"]
    assert "arn:aws:lambda:eu-west-1:*:function:orders-*" in functions["Resource"]
    assert "arn:aws:lambda:eu-west-1:*:function:orders-*:*" in functions["Resource"]
    assert not any(r.endswith(":function:*") for r in functions["Resource"])  # only the selected ones
    assert not any(s["Sid"].startswith("Repository") for s in member["Statement"])


def test_a_restore_writes_only_its_locks_and_a_backup_deletes_only_them() -> None:
    restore = {s["Sid"]: s for s in policy_for(request_for("restore", repositories=[REPO]))["Statement"]}
    assert "Repository1Write" not in restore and "Repository1Delete" not in restore
    assert restore["Repository1Locks"]["Action"] == ["s3:DeleteObject", "s3:PutObject"]
    backup = {s["Sid"]: s for s in policy_for(request_for("backup", repositories=[REPO]))["Statement"]}
    assert backup["Repository1Locks"]["Action"] == ["s3:DeleteObject"]
    assert "Repository1Delete" not in backup
    # a backup reads only; a restore writes what its kinds write
    assert all(is_read(a) for s in backup.values() if not s["Sid"].startswith("Repository") for a in s["Action"])
    assert any(not is_read(a) for s in restore.values() for a in s["Action"])


def test_queue_urls_become_arns() -> None:
    assert queue_arn("https://sqs.eu-west-1.amazonaws.com/111111111111/q.fifo") == \
        "arn:aws:sqs:eu-west-1:111111111111:q.fifo"


def test_the_cli_prints_the_policy_and_refuses_bad_roles(monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    from lambda_ark.cli import app

    monkeypatch.delenv("LAMBDA_ARK_REPOSITORY", raising=False)
    assert app(["iam-policy", "--for", "restore", "--repo", REPO, "--regions", "eu-west-1"],
               standalone_mode=False) in (0, None)
    doc = json.loads(capsys.readouterr().out)
    assert lint(doc) == []
    from lambda_ark.errors import UsageError

    with pytest.raises(UsageError, match="use one of"):
        app(["iam-policy", "--for", "admin", "--repo", REPO], standalone_mode=False)
    with pytest.raises(UsageError, match="name the repository"):
        app(["iam-policy", "--for", "backup"], standalone_mode=False)
    assert os.environ.get("LAMBDA_ARK_REPOSITORY") is None


def test_the_resource_table_is_current() -> None:
    """src/lambda_ark/iam/resource_table.py is what the reference says for every declared action
    (regenerate it with `.venv/bin/python tests/iam/resource_table.py`)."""
    import resource_table

    from lambda_ark.iam.resource_table import ARNS

    assert ARNS == resource_table.table()


def test_event_source_data_is_granted_only_when_asked_for(tmp_path: Path) -> None:
    """`--data` (or a job with `data:`): a backup reads the buckets, tables, streams and queues, a
    restore also writes them; without it neither has a data action. Lints clean either way."""

    def actions(doc: dict[str, Any]) -> set[str]:
        return {a for s in doc["Statement"] for a in s["Action"]}

    plain = actions(policy_for(request_for("backup", repositories=[REPO])))
    backup = policy_for(request_for("backup", repositories=[REPO], data=True))
    restore = policy_for(request_for("restore", repositories=[REPO], data=True))
    assert {"dynamodb:Scan", "kinesis:GetRecords", "s3:GetBucketCORS"} <= actions(backup)
    assert not {"dynamodb:Scan", "kinesis:GetRecords", "dynamodb:BatchWriteItem"} & plain
    assert "dynamodb:BatchWriteItem" not in actions(backup)
    assert {"dynamodb:BatchWriteItem", "kinesis:PutRecords", "s3:PutBucketCORS", "dynamodb:Scan"} <= actions(restore)
    for doc in (backup, restore):
        assert lint(doc) == []
    path = _policy_file(tmp_path)
    path.write_text(path.read_text().replace("    retention:", "    data: [dynamodb]\n    retention:"))
    assert "dynamodb:Scan" in actions(policy_for(request_for("backup", load_policy(path))))
