"""Commands: deploy (lambda-ark inside AWS: one CloudFormation stack per policy), undeploy."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from ..aws import DEFAULT_REGION, connect
from ..deploy.compose import MAX_CONCURRENCY, template_for
from ..deploy.package import build_package
from ..deploy.stack import (
    assets_bucket_name,
    deploy_stack,
    ensure_assets_bucket,
    undeploy_stack,
    upload_package,
)
from ..errors import UsageError
from . import app
from .automation_common import load_or_exit
from .common import EndpointOpt, JsonOpt, QuietOpt, note_embedded, print_json

StackOpt = Annotated[str, typer.Option("--stack-name", help="The CloudFormation stack.")]
RegionOpt = Annotated[str | None, typer.Option("--region", help="Where the stack goes (default: the session's).")]


@app.command()
def deploy(
    policy: Annotated[Path, typer.Option("--policy", "-p", dir_okay=False, help="The policy file to run in AWS.")],
    stack_name: StackOpt = "lambda-ark",
    region: RegionOpt = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the change set; change nothing.")] = False,
    out: Annotated[Path | None, typer.Option(
        "--out", file_okay=False, help="Write the template and the package here (kept).")] = None,
    watch: Annotated[str | None, typer.Option(
        "--watch", metavar="JOB", help="Also run watch mode for this job: CloudTrail's events of the stack's "
        "region, a snapshot per batch (an SQS-triggered function).")] = None,
    assets_bucket: Annotated[str | None, typer.Option(
        "--assets-bucket", help="Bucket for the package (default lambda-ark-assets-ACCOUNT-REGION, created "
        "private, encrypted, TLS-only when missing). Never the repository's.")] = None,
    image_uri: Annotated[str | None, typer.Option(
        "--image-uri", help="Run this container image (ECR) instead of a zip: when the zip is too large.")] = None,
    password_secret: Annotated[str | None, typer.Option(
        "--password-secret", help="Secrets Manager secret (ARN) holding the repository password "
        "(not needed for KMS-keyed repositories or policies naming a password source).")] = None,
    max_concurrency: Annotated[int, typer.Option(
        "--max-concurrency", help="Shards backed up at once by the Distributed Map.")] = MAX_CONCURRENCY,
    architecture: Annotated[str, typer.Option("--architecture", help="x86_64 or arm64.")] = "x86_64",
    endpoint_url: EndpointOpt = None,
    json_out: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Run a policy inside AWS: one CloudFormation stack with a schedule per job, a Step Functions
    state machine sharding each run by account and region (Distributed Map), the worker Lambdas,
    failure queue, alerts topic, alarms and a dashboard; roles from `iam-policy`.

    Packages lambda-ark and its dependencies for Lambda's Python runtime, uploads the package, and
    creates or updates the stack through a change set (printed). Exit 1 when the stack fails (its
    failed resources are listed), 2 for a policy that cannot run inside AWS.

    Example: lambda-ark deploy --policy lambda-ark.yaml --region eu-west-1 --dry-run
    """
    if architecture not in ("x86_64", "arm64"):
        raise UsageError(f"--architecture {architecture!r}: use x86_64 or arm64")
    loaded = load_or_exit(policy)
    # the template is checked before anything is built or uploaded (a wrong --watch, a folder repository)
    template_for(loaded, stack_name, {"S3Bucket": "check", "S3Key": "check"}, watch_job=watch,
                 password_secret=password_secret, max_concurrency=max_concurrency, architecture=architecture)
    aws = connect(endpoint_url=endpoint_url)
    note_embedded(aws, json_out or quiet)
    where = region or (aws.session.region_name or DEFAULT_REGION)
    work = out or Path(".lambda-ark-deploy")
    warnings: list[str] = []
    if image_uri:
        code = {"ImageUri": image_uri}
    else:
        package = build_package(work, policy, architecture)
        warnings += package.warnings
        if package.zip_path is None:
            _say(json_out, quiet, warnings)
            raise typer.Exit(1)
        bucket = assets_bucket or assets_bucket_name(aws, where)
        if dry_run:
            code = {"S3Bucket": bucket, "S3Key": f"lambda-ark/{package.sha256}.zip"}
        else:
            ensure_assets_bucket(aws, bucket, where)
            code = upload_package(aws, bucket, where, package.zip_path, package.sha256)
    template, notes = template_for(loaded, stack_name, code, watch_job=watch, password_secret=password_secret,
                                   max_concurrency=max_concurrency, architecture=architecture)
    warnings += notes
    work.mkdir(parents=True, exist_ok=True)
    (work / "template.json").write_text(json.dumps(template, indent=1, sort_keys=True) + "\n")
    result = deploy_stack(aws, where, stack_name, template, dry_run=dry_run,
                          template_bucket=code.get("S3Bucket"))
    result.warnings = warnings + result.warnings
    if json_out:
        print_json(result.as_dict())
    elif not quiet:
        verb = {"planned": "would change", "unchanged": "unchanged", "created": "created", "updated": "updated",
                "failed": "FAILED"}[result.status]
        typer.echo(f"stack {stack_name} ({where}): {verb}; template in {work / 'template.json'}")
        for c in result.changes:
            replace = f" (replacement: {c['replacement']})" if c["replacement"] else ""
            typer.echo(f"  {c['action']:<8} {c['logical_id']:<34} {c['type']}{replace}")
        for key, value in sorted(result.outputs.items()):
            typer.echo(f"  {key}: {value}")
        _say(False, quiet, warnings)
        for error in result.errors:
            typer.echo(f"error: {error}", err=True)
    if result.status == "failed":
        raise typer.Exit(1)


def _say(json_out: bool, quiet: bool, warnings: list[str]) -> None:
    if json_out:
        print_json({"status": "failed", "warnings": warnings})
        return
    for w in warnings:
        typer.echo(f"warning: {w}", err=True)


@app.command()
def undeploy(
    stack_name: StackOpt = "lambda-ark",
    region: RegionOpt = None,
    endpoint_url: EndpointOpt = None,
    json_out: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Remove the stack `deploy` made. Never the repository, nor the assets bucket.

    The stack's own work bucket (shard lists, map results) is emptied first, as CloudFormation
    deletes only empty buckets. Refuses a stack lambda-ark did not make.

    Example: lambda-ark undeploy --stack-name lambda-ark --region eu-west-1
    """
    aws = connect(endpoint_url=endpoint_url)
    note_embedded(aws, json_out or quiet)
    where = region or (aws.session.region_name or DEFAULT_REGION)
    result = undeploy_stack(aws, where, stack_name)
    if json_out:
        print_json(result.as_dict())
    elif not quiet:
        typer.echo(f"stack {stack_name} ({where}): {result.status}")
        for error in result.errors:
            typer.echo(f"error: {error}", err=True)
    if result.status != "deleted":
        raise typer.Exit(1)
