"""access apply | show: who may reach an S3 repository, and from where (bucket policy + CORS)."""

from __future__ import annotations

from typing import Annotated

import typer

from ..access import Bucket, Zones, apply_access, caller_arn, explain, plan_access
from ..aws import connect
from ..errors import UsageError
from . import app
from .common import EndpointOpt, JsonOpt, RepoOpt, note_embedded, print_json
from .transfer import S3EndpointOpt

access_app = typer.Typer(help="Zone-scoped access to an S3 repository: bucket policy and CORS.", no_args_is_help=True)
app.add_typer(access_app, name="access")


def _bucket(repo: str, endpoint_url: str | None, s3_endpoint: str | None, quiet: bool) -> Bucket:
    if not repo.startswith("s3:"):
        raise UsageError(f"access rules are for S3 repositories; {repo} is not one")
    aws = connect(endpoint_url=endpoint_url)
    note_embedded(aws, quiet)
    return Bucket(aws, repo, s3_endpoint)


@access_app.command("apply")
def access_apply(
    repo: RepoOpt,
    allow_vpce: Annotated[list[str] | None, typer.Option(
        "--allow-vpce", help="Allow requests through this VPC endpoint (repeatable).")] = None,
    allow_cidr: Annotated[list[str] | None, typer.Option(
        "--allow-cidr", help="Allow requests from this address range (repeatable): an office, an edge site.")] = None,
    allow_principal: Annotated[list[str] | None, typer.Option(
        "--allow-principal", help="Allow this IAM role or user (repeatable); everyone else is denied.")] = None,
    break_glass_role: Annotated[str | None, typer.Option(
        "--break-glass-role", help="Always allowed, from anywhere (default: role lambda-ark-break-glass in the "
                                   "caller's account).")] = None,
    cors_origin: Annotated[list[str] | None, typer.Option(
        "--cors-origin", help="Let browsers on this https origin read the repository (the report page; repeatable)."
    )] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the change as a diff; write nothing.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Apply even what would lock you out (plain HTTP, "
                                                        "yourself not allowed).")] = False,
    endpoint_url: EndpointOpt = None,
    s3_endpoint: S3EndpointOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Write the repository bucket's policy: deny without TLS, outside the allowed zones and principals.

    Statements lambda-ark does not own are kept as they are; applying twice changes nothing. The
    break-glass role is always allowed (but needs TLS like everyone).

    Example: lambda-ark access apply -r s3://backups/ark --allow-vpce vpce-0a1b2c3d4e5f67890 --dry-run

    An office range, one role, and the report page's origin:

    \b
        lambda-ark access apply -r s3://backups/ark --allow-cidr 198.51.100.0/24 \\
          --allow-principal arn:aws:iam::111122223333:role/lambda-ark --cors-origin https://ops.example.com
    """
    bucket = _bucket(repo, endpoint_url, s3_endpoint, json_out)
    caller = caller_arn(bucket.aws)
    account = caller.split(":")[4]
    zones = Zones(vpces=tuple(allow_vpce or ()), cidrs=tuple(allow_cidr or ()),
                  principals=tuple(allow_principal or ()),
                  break_glass=break_glass_role or f"arn:aws:iam::{account}:role/lambda-ark-break-glass",
                  cors_origins=tuple(cors_origin or ()))
    plan = plan_access(bucket, zones, caller, force=force)
    if not dry_run and plan.changed:
        apply_access(bucket, plan)
    if json_out:
        print_json({"bucket": bucket.bucket, "changed": plan.changed, "dry_run": dry_run, "diff": plan.diff(),
                    "policy": plan.policy_after, "cors": plan.cors_after, "warnings": plan.warnings,
                    "explained": explain(plan.policy_after, plan.cors_after)})
        return
    for w in plan.warnings:
        typer.echo(f"warning: {w}", err=True)
    if not plan.changed:
        typer.echo(f"{bucket.bucket}: access rules already as asked; nothing to change")
        return
    if dry_run:
        typer.echo("\n".join(plan.diff()))
        typer.echo("dry run: nothing written")
        return
    typer.echo(f"{bucket.bucket}: access rules written")
    for line in explain(plan.policy_after, plan.cors_after):
        typer.echo(f"  {line}")


@access_app.command("show")
def access_show(repo: RepoOpt, endpoint_url: EndpointOpt = None, s3_endpoint: S3EndpointOpt = None,
                json_out: JsonOpt = False) -> None:
    """Explain in words who may reach the repository bucket, from where, and which browsers may read it.

    Example: lambda-ark access show --repo s3://backups/ark
    """
    bucket = _bucket(repo, endpoint_url, s3_endpoint, json_out)
    policy, cors = bucket.policy(), bucket.cors()
    lines = explain(policy, cors)
    if json_out:
        print_json({"bucket": bucket.bucket, "policy": policy, "cors": cors, "explained": lines})
        return
    for line in lines:
        typer.echo(line)
