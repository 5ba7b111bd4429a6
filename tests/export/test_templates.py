"""Exported templates: what a user sees when asking wrongly; then CloudFormation that cfn-lint finds
clean, SAM that aws-sam-translator transforms, Terraform whose every argument the AWS provider
documents, and no secret anywhere."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from cfnlint.api import ManualArgs, lint
from tests.e2e.conftest import run_cli

from lambda_ark import embedded
from lambda_ark.errors import LambdaArkError, UsageError
from lambda_ark.export import export_iac

from .conftest import SECRET, SRC, Estate

# W2531: a runtime AWS has deprecated. That is the estate's choice, which an export must keep.
CFN_LINT = ManualArgs(regions=[SRC], ignore_checks=["W2531"])
SCHEMA = json.loads((Path(__file__).parent / "tf_aws_schema.json").read_text())


def files_text(folder: Path) -> str:
    return "\n".join(p.read_text(errors="replace") for p in folder.rglob("*") if p.is_file() and p.suffix != ".zip")


# -- asking wrongly ---------------------------------------------------------------------------------


def test_a_bad_request_writes_nothing(lambda_only: Estate, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="unknown format 'pulumi'"):
        export_iac(lambda_only.repo, lambda_only.snapshot, "pulumi", tmp_path / "a")
    with pytest.raises(LambdaArkError, match="no function matching --function 'nope'"):
        export_iac(lambda_only.repo, lambda_only.snapshot, "cloudformation", tmp_path / "b", functions=["nope"])
    with pytest.raises(UsageError, match="expected s3://bucket"):
        export_iac(lambda_only.repo, lambda_only.snapshot, "cloudformation", tmp_path / "c", upload="bucket/x",
                   aws=lambda_only.aws)
    assert not any((tmp_path / d).exists() for d in "abc")


def test_cli_usage_errors_are_one_line(lambda_only: Estate, endpoint: embedded.Endpoint, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from lambda_ark.cli import app

    for args, message in [  # checked before the repository is opened or anything is written
        (("export", "--format", "sam"), "--out is required"),
        (("export", "--format", "sam", "--out", str(tmp_path), "--upload", "s3://b"), "--upload goes with"),
        (("export", "--format", "git", "--out", str(tmp_path), "-f", "x"), "do not go with --format git"),
    ]:
        result = CliRunner().invoke(app, [*args, "--repo", lambda_only.repo.url])
        assert isinstance(result.exception, UsageError) and message in str(result.exception)
    # as a user sees it: one line, exit 2
    done = run_cli("export", "--format", "pulumi", "--out", str(tmp_path), "--repo", lambda_only.repo.url,
                   endpoint=endpoint.url, password="pw")
    assert done.returncode == 2 and done.stderr == ("lambda-ark: error: --format 'pulumi': use one of cloudformation, "
                                                    "sam, terraform, git\n")


def test_an_upload_aws_refuses_is_an_error(lambda_only: Estate, tmp_path: Path) -> None:
    from lambda_ark.errors import AwsError

    with pytest.raises(AwsError, match="uploading .*NoSuchBucket"):
        export_iac(lambda_only.repo, lambda_only.snapshot, "cloudformation", tmp_path, upload="s3://no-such-bucket-x",
                   aws=lambda_only.aws)


# -- what every format must be -----------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["cloudformation", "sam", "terraform"])
def test_no_secret_and_no_literal_arn_of_the_source_account(everything: Estate, tmp_path: Path, fmt: str) -> None:
    result = export_iac(everything.repo, everything.snapshot, fmt, tmp_path)
    text = files_text(tmp_path)
    assert SECRET not in text and result.templates
    # every ARN naming the source account or region is rewritten (Ref/GetAtt/Sub, or Terraform data)
    assert not re.search(rf"arn:aws:[a-z0-9-]+:{SRC}:", text)
    assert not re.search(rf"arn:aws:[a-z0-9-]+:[a-z0-9-]*:{everything.acct.id}:", text)
    assert result.packages == len(list((tmp_path / "code").glob("*.zip"))) == 3  # two functions, one layer


def test_cloudformation_is_cfn_lint_clean(everything: Estate, tmp_path: Path) -> None:
    result = export_iac(everything.repo, everything.snapshot, "cloudformation", tmp_path)
    (template,) = result.templates
    text = (tmp_path / template).read_text()
    assert [str(m) for m in lint(text, config=CFN_LINT)] == []
    doc = yaml.safe_load(text)
    types = {r["Type"] for r in doc["Resources"].values()}
    assert {"AWS::Lambda::Function", "AWS::Lambda::Version", "AWS::Lambda::Alias", "AWS::Lambda::LayerVersion",
            "AWS::Lambda::Permission", "AWS::Lambda::EventSourceMapping", "AWS::Lambda::Url",
            "AWS::Lambda::EventInvokeConfig", "AWS::S3::Bucket", "AWS::ApiGateway::Method", "AWS::ApiGateway::Stage",
            "AWS::ApiGatewayV2::Route", "AWS::Events::Rule", "AWS::Scheduler::Schedule", "AWS::SNS::Subscription",
            } <= types
    orders = next(r for r in doc["Resources"].values() if r["Properties"].get("FunctionName") == "orders")
    assert orders["Properties"]["Environment"]["Variables"]["TOKEN"] == {"Ref": next(
        k for k, p in doc["Parameters"].items() if p.get("Description") == "environment variable TOKEN of orders")}
    assert doc["Parameters"][orders["Properties"]["Environment"]["Variables"]["TOKEN"]["Ref"]]["NoEcho"] is True
    assert orders["Properties"]["ReservedConcurrentExecutions"] == 5
    assert orders["Properties"]["Layers"] == [{"Ref": next(k for k, r in doc["Resources"].items()
                                                         if r["Type"] == "AWS::Lambda::LayerVersion")}]


def test_upload_puts_the_packages_where_the_parameters_say(lambda_only: Estate, tmp_path: Path) -> None:
    s3 = lambda_only.aws.client("s3", SRC)
    bucket = f"deploy-{lambda_only.acct.id}"
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": SRC})
    first = export_iac(lambda_only.repo, lambda_only.snapshot, "cloudformation", tmp_path,
                       upload=f"s3://{bucket}/lambda/", aws=lambda_only.aws)
    doc = yaml.safe_load((tmp_path / first.templates[0]).read_text())
    assert doc["Parameters"]["CodeS3Bucket"]["Default"] == bucket
    assert doc["Parameters"]["CodeS3KeyPrefix"]["Default"] == "lambda/"
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"])
    assert keys == sorted(f"lambda/{p.name}" for p in (tmp_path / "code").glob("*.zip")) and len(keys) == 3
    again = export_iac(lambda_only.repo, lambda_only.snapshot, "cloudformation", tmp_path,
                       upload=f"s3://{bucket}/lambda", aws=lambda_only.aws)
    assert again.uploaded == [] and again.packages_written == 0  # only what is missing travels


class _NoManagedPolicies:
    """The translator asks AWS for managed policy ARNs only for `Policies:`, which exports never use."""

    def load(self) -> dict[str, str]:
        return {}


def test_sam_transforms_and_keeps_the_logical_ids(everything: Estate, tmp_path: Path) -> None:
    from samtranslator.translator.transform import transform

    result = export_iac(everything.repo, everything.snapshot, "sam", tmp_path)
    text = (tmp_path / result.templates[0]).read_text()
    assert [str(m) for m in lint(text, config=CFN_LINT)] == []
    doc = yaml.safe_load(text)
    serverless = {k for k, r in doc["Resources"].items() if r["Type"] == "AWS::Serverless::Function"}
    assert len(serverless) == 2
    for r in doc["Resources"].values():  # what `sam package` does: local code paths become S3 URIs
        for key in ("CodeUri", "ContentUri"):
            if key in r["Properties"]:
                assert (tmp_path / r["Properties"][key]).is_file()
                r["Properties"][key] = f"s3://deploy/{r['Properties'][key]}"
    out = transform(doc, {}, _NoManagedPolicies())  # type: ignore[arg-type]
    functions = {k for k, r in out["Resources"].items() if r["Type"] == "AWS::Lambda::Function"}
    assert functions == serverless  # Refs to them in the rest of the template still hold
    assert [str(m) for m in lint(json.dumps(out), config=CFN_LINT)] == []


def _check_block(where: str, body: dict[str, Any], spec: dict[str, Any], problems: list[str]) -> None:
    for key, value in body.items():
        if key == "depends_on":
            continue
        if key in spec.get("blocks", {}):
            for item in value if isinstance(value, list) else [value]:
                _check_block(f"{where}.{key}", item, spec["blocks"][key], problems)
        elif key not in spec["args"]:
            problems.append(f"{where}.{key}")


def test_terraform_uses_only_arguments_the_provider_documents(everything: Estate, tmp_path: Path) -> None:
    result = export_iac(everything.repo, everything.snapshot, "terraform", tmp_path)
    (module,) = result.templates
    doc = json.loads((tmp_path / module).read_text())
    problems: list[str] = []
    declared = set()
    for tf_type, resources in doc["resource"].items():
        assert tf_type in SCHEMA["resource"], f"{tf_type} is not in tests/export/tf_aws_schema.json"
        for name, body in resources.items():
            declared.add(f"{tf_type}.{name}")
            _check_block(f"{tf_type}.{name}", body, SCHEMA["resource"][tf_type], problems)
    assert problems == []
    # every reference names something declared: a resource, a variable or a data source
    text = json.dumps(doc)
    for ref in set(re.findall(r"\$\{([a-z0-9_]+\.[A-Za-z0-9_]+)\.[a-z_]+\}", text)):
        assert ref in declared or ref.startswith(("data.", "var.", "path.")), ref
    for var in set(re.findall(r"\$\{var\.([A-Za-z0-9_]+)\}", text)):
        assert var in doc["variable"]
    assert all(v.get("sensitive") for k, v in doc["variable"].items() if k.startswith("Env"))
    functions = doc["resource"]["aws_lambda_function"].values()
    assert {f["function_name"] for f in functions} == {"orders", "search"}
    assert all(f["filename"].startswith("${path.module}/../code/") and (tmp_path / "code" / Path(
        f["filename"]).name).is_file() for f in functions)
