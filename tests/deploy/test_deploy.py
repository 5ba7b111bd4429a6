"""`deploy` and `undeploy` against the embedded endpoint's CloudFormation (on its HTTPS listener: the
assets bucket is TLS-only, as the stack's work bucket is). moto's CloudFormation does not create
AWS::Scheduler::Schedule, AWS::CloudWatch::Alarm, AWS::SQS::QueuePolicy nor AWS::S3::BucketPolicy
(it lists them without a physical id): those are held by cfn-lint (test_template.py) and documented
in docs/embedded-endpoint.md; every other resource of the stack is created and checked here."""

from __future__ import annotations

import json
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.accounts import own_account
from tests.https_endpoint import start_https

from lambda_ark import embedded
from lambda_ark.aws import Aws, connect
from lambda_ark.cli import app
from lambda_ark.deploy.package import build_package
from lambda_ark.deploy.stack import deploy_stack, undeploy_stack
from lambda_ark.errors import LambdaArkError, UsageError

REGION = "eu-west-1"
IMAGE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/lambda-ark:1"


@pytest.fixture(scope="module")
def https(endpoint: embedded.Endpoint) -> Iterator[tuple[str, str]]:
    url, ca, stop = start_https()
    yield url, ca
    stop()


@pytest.fixture
def tls(https: tuple[str, str], monkeypatch: pytest.MonkeyPatch) -> Aws:
    """An account of its own over TLS: its assets bucket refuses plain HTTP, and other tests list every
    bucket of the shared account over HTTP."""
    url, ca = https
    monkeypatch.setenv("AWS_CA_BUNDLE", ca)
    monkeypatch.setenv("AWS_ENDPOINT_URL", url)
    monkeypatch.setenv("AWS_REGION", REGION)
    account = own_account(connect(url))
    for var, value in account.env.items():
        monkeypatch.setenv(var, value)
    return account.aws


def _policy(tmp_path: Path, repo: str = "s3://ark-repo-deploy/prod") -> Path:
    path = tmp_path / "lambda-ark.yaml"
    path.write_text(f"repositories: {{primary: {repo}}}\njobs:\n  nightly:\n    select: {{regions: [{REGION}]}}\n"
                    "    schedule: rate(1 day)\n    rpo: 26h\n")
    return path


def _cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, Any]]:
    try:
        rc = app(args, standalone_mode=False)
    except SystemExit as exc:  # typer.Exit under standalone_mode=False
        rc = int(exc.code or 0)
    out = capsys.readouterr().out
    return int(rc or 0), json.loads(out) if out.strip().startswith("{") else {}


def _stack_names(aws: Aws) -> set[str]:
    cfn = aws.client("cloudformation", REGION)
    return {s["StackName"] for s in cfn.list_stacks()["StackSummaries"] if s["StackStatus"] != "DELETE_COMPLETE"}


# --- refused, and AWS saying no ------------------------------------------------------------------


def test_a_policy_that_cannot_run_in_aws_is_refused_before_anything_is_built(tls: Aws, tmp_path: Path) -> None:
    folder = _policy(tmp_path, repo=str(tmp_path / "repo"))
    with pytest.raises(UsageError, match="is a folder; inside AWS it must be an S3 repository"):
        app(["deploy", "--policy", str(folder), "--out", str(tmp_path / "out")], standalone_mode=False)
    with pytest.raises(UsageError, match="--watch 'weekly': no such job"):
        app(["deploy", "--policy", str(_policy(tmp_path)), "--watch", "weekly"], standalone_mode=False)
    with pytest.raises(UsageError, match="--architecture 'sparc'"):
        app(["deploy", "--policy", str(_policy(tmp_path)), "--architecture", "sparc"], standalone_mode=False)
    assert not (tmp_path / "out").exists()


def test_a_stack_whose_resource_fails_is_reported_with_the_resource_and_why(tls: Aws) -> None:
    name = f"broken-{uuid.uuid4().hex[:6]}"
    template = {"Description": "lambda-ark deploy test", "Resources": {"Fn": {"Type": "AWS::Lambda::Function",
                "Properties": {"Role": f"arn:aws:iam::{tls.account_id()}:role/nobody-here", "PackageType": "Image",
                               "Code": {"ImageUri": IMAGE}}}}}
    result = deploy_stack(tls, REGION, name, template, sleep=lambda s: None)
    assert result.status == "failed"
    assert result.errors[0] == f"stack {name}: ROLLBACK_COMPLETE"
    assert any(e.startswith("Fn (AWS::Lambda::Function): CREATE_FAILED") for e in result.errors[1:]), result.errors
    with pytest.raises(LambdaArkError, match="rolled back: `lambda-ark undeploy --stack-name"):
        deploy_stack(tls, REGION, name, template, sleep=lambda s: None)
    assert undeploy_stack(tls, REGION, name, sleep=lambda s: None).status == "deleted"  # made by deploy_stack


def test_undeploy_refuses_a_stack_lambda_ark_did_not_make_and_a_missing_one(tls: Aws) -> None:
    cfn = tls.client("cloudformation", REGION)
    name = f"theirs-{uuid.uuid4().hex[:6]}"
    cfn.create_stack(StackName=name, TemplateBody=json.dumps(
        {"Resources": {"Q": {"Type": "AWS::SQS::Queue", "Properties": {}}}}))
    with pytest.raises(LambdaArkError, match=f"stack {name} was not made by lambda-ark deploy"):
        undeploy_stack(tls, REGION, name, sleep=lambda s: None)
    assert name in _stack_names(tls)
    with pytest.raises(LambdaArkError, match=f"no stack nothing-{name} in {REGION}"):
        undeploy_stack(tls, REGION, f"nothing-{name}", sleep=lambda s: None)


def test_a_deploy_that_died_after_its_change_set_deploys_again(tls: Aws, tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    name = f"resumed-{uuid.uuid4().hex[:6]}"
    cfn = tls.client("cloudformation", REGION)
    cfn.create_change_set(StackName=name, ChangeSetName="died", ChangeSetType="CREATE", TemplateBody=json.dumps(
        {"Resources": {"Q": {"Type": "AWS::SQS::Queue", "Properties": {}}}}))  # the process ended here
    rc, out = _cli(["deploy", "--policy", str(_policy(tmp_path)), "--stack-name", name, "--image-uri", IMAGE,
                    "--out", str(tmp_path / "out"), "--json"], capsys)
    assert rc == 0 and out["status"] == "created", out
    assert undeploy_stack(tls, REGION, name, sleep=lambda s: None).status == "deleted"


# --- the package -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Any:
    folder = tmp_path_factory.mktemp("package")
    policy = folder / "policy.yaml"
    policy.write_text("repositories: {primary: s3://b/p}\njobs: {j: {schedule: rate(1 day)}}\n")
    return build_package(folder / "out", policy)


def test_the_package_carries_lambda_ark_its_dependencies_and_the_policy_but_no_test_double(package: Any) -> None:
    assert package.zip_path is not None and package.unzipped_bytes < 250 * 1024 * 1024
    with zipfile.ZipFile(package.zip_path) as z:
        names = set(z.namelist())
    assert "lambda_ark/aws_lambda.py" in names and "lambda-ark-policy.yaml" in names
    assert not any(n.startswith("lambda_ark/embedded/") for n in names)
    assert not any(n.startswith("moto/") for n in names)  # the embedded extra stays out
    assert any(n.startswith("pydantic_core/") and "manylinux" not in n and n.endswith(".so") for n in names)
    assert any(n.startswith("yaml/") for n in names) and any(n.startswith("zstandard/") for n in names)


# --- the happy path ---------------------------------------------------------------------------------


def test_dry_run_prints_the_change_set_and_changes_nothing(tls: Aws, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    name = f"dry-{uuid.uuid4().hex[:6]}"
    rc, out = _cli(["deploy", "--policy", str(_policy(tmp_path)), "--stack-name", name, "--image-uri", IMAGE,
                    "--watch", "nightly", "--dry-run", "--out", str(tmp_path / "out"), "--json"], capsys)
    assert rc == 0 and out["status"] == "planned"
    added = {c["logical_id"]: c["type"] for c in out["changes"] if c["action"] == "Add"}
    assert added["StateMachine"] == "AWS::StepFunctions::StateMachine"
    assert added["WorkerFunction"] == "AWS::Lambda::Function" and added["WatchMapping"].endswith("EventSourceMapping")
    assert added["NightlySchedule"] == "AWS::Scheduler::Schedule"
    assert name not in _stack_names(tls)  # no stack, not even the empty one a CREATE change set makes
    assert json.loads((tmp_path / "out" / "template.json").read_text())["Resources"]["StateMachine"]


def test_deploy_creates_the_stack_redeploys_nothing_and_undeploy_leaves_the_repository(
        tls: Aws, tmp_path: Path, package: Any, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    import lambda_ark.cli.commands_deploy as commands

    monkeypatch.setattr(commands, "build_package", lambda *a, **k: package)  # built once for the module
    repo_bucket = f"ark-repo-{uuid.uuid4().hex[:8]}"
    s3 = tls.client("s3", REGION)
    s3.create_bucket(Bucket=repo_bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_object(Bucket=repo_bucket, Key="prod/config", Body=b"the repository")
    policy = _policy(tmp_path, repo=f"s3://{repo_bucket}/prod")
    name = f"ark-{uuid.uuid4().hex[:6]}"
    args = ["deploy", "--policy", str(policy), "--stack-name", name, "--out", str(tmp_path / "out"), "--json"]
    rc, out = _cli(args, capsys)
    assert rc == 0 and out["status"] == "created", out
    outputs = out["outputs"]
    machine = tls.client("stepfunctions", REGION).describe_state_machine(stateMachineArn=outputs["StateMachineArn"])
    definition = json.loads(machine["definition"])
    assert definition["States"]["Shards"]["ItemProcessor"]["ProcessorConfig"]["Mode"] == "DISTRIBUTED"
    assert "${" not in machine["definition"]  # its substitutions were made
    lam = tls.client("lambda", REGION)
    worker = next(f for f in lam.list_functions()["Functions"] if f["FunctionName"].startswith(f"{name}-Worker"))
    assert worker["Handler"] == "lambda_ark.aws_lambda.handler" and worker["Runtime"] == "python3.12"
    assets = f"lambda-ark-assets-{tls.account_id()}-{REGION}"
    assert s3.head_object(Bucket=assets, Key=f"lambda-ark/{package.sha256}.zip")["ContentLength"] > 0
    role = tls.client("iam").get_role_policy(RoleName=worker["Role"].rsplit("/", 1)[1], PolicyName="lambda-ark")
    assert f"arn:aws:s3:::{repo_bucket}" in json.dumps(role["PolicyDocument"])

    rc, again = _cli(args, capsys)
    assert rc == 0 and again["status"] == "unchanged" and again["outputs"] == outputs

    s3.put_object(Bucket=outputs["WorkBucketName"], Key="runs/nightly/x/shards.json", Body=b"[]")
    rc, gone = _cli(["undeploy", "--stack-name", name, "--json"], capsys)
    assert rc == 0 and gone == {"stack": name, "status": "deleted", "emptied": [outputs["WorkBucketName"]],
                                "errors": []}
    assert name not in _stack_names(tls)
    assert s3.get_object(Bucket=repo_bucket, Key="prod/config")["Body"].read() == b"the repository"
    assert s3.head_bucket(Bucket=assets)  # the assets bucket is not the stack's either
