"""Command: export (a snapshot as CloudFormation, SAM or Terraform; every snapshot as git history)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..aws import connect
from ..errors import UsageError
from ..export import IAC_FORMATS, export_git, export_iac
from ..selection import validate_globs
from . import app
from .commands_repo import open_repo, warn
from .common import EndpointOpt, JsonOpt, PasswordCommandOpt, PasswordFileOpt, QuietOpt, RepoOpt, print_json

FORMATS = (*IAC_FORMATS, "git")


@app.command()
def export(
    repo: RepoOpt,
    snapshot: Annotated[str, typer.Argument(help="Snapshot id, unique prefix, or 'latest' (git: up to this one).")]
    = "latest",
    fmt: Annotated[str, typer.Option("--format", help=f"One of {', '.join(FORMATS)}.")] = "cloudformation",
    out: Annotated[Path | None, typer.Option("--out", help="The folder to write (created if needed).")] = None,
    function: Annotated[list[str] | None, typer.Option("--function", "-f", help="Function name glob (repeatable; "
                                                       "not with git).")] = None,
    upload: Annotated[str | None, typer.Option("--upload", help="CloudFormation: also put the code packages at "
                                               "s3://bucket/prefix (the templates' code parameters default to "
                                               "it).")] = None,
    endpoint_url: EndpointOpt = None,
    password_file: PasswordFileOpt = None,
    password_command: PasswordCommandOpt = None,
    json_out: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Export a snapshot as infrastructure as code, or the repository's snapshots as git history.

    cloudformation / sam: one YAML template per region, code packages under code/ beside them
    (CloudFormation deploys them from the S3Bucket/S3Key parameters: --upload puts them there; SAM
    names them by CodeUri). terraform: one module per region (REGION/main.tf.json). Environment
    values are NoEcho parameters (sensitive variables), never literals; references between
    resources are Ref/GetAtt, other ARNs follow the account and region deployed into. What a
    template cannot hold is listed (exit 0). git: one commit per snapshot, tags FUNCTION/vN,
    environment values redacted; re-running adds only newer snapshots.

    Example: lambda-ark export latest --repo /backups/ark --format cloudformation --out ./iac

    With the code uploaded: ... --format cloudformation --out ./iac --upload s3://deploy-bucket/lambda

    Code history: lambda-ark export --repo /backups/ark --format git --out ./history
    """
    if fmt not in FORMATS:
        raise UsageError(f"--format {fmt!r}: use one of {', '.join(FORMATS)}")
    if out is None:
        raise UsageError("--out is required: the folder to write")
    if fmt == "git" and (function or upload):
        raise UsageError("--function and --upload do not go with --format git")
    if upload and fmt != "cloudformation":
        raise UsageError("--upload goes with --format cloudformation (SAM and Terraform upload code themselves)")
    aws = connect(endpoint_url=endpoint_url) if upload else None
    repository = open_repo(repo)

    def progress(line: str) -> None:
        if not (json_out or quiet):
            typer.echo(f"export: {line}")

    with repository.lock():  # prune must not delete what this reads
        if fmt == "git":
            git = export_git(repository, out, until=None if snapshot == "latest" else snapshot, progress=progress)
            doc, notes = git.as_dict(), git.skipped
            summary = (f"{len(git.exported)} snapshots committed, {len(git.tags)} tags added"
                       + (f" (head {git.head[:8]})" if git.head else ""))
        else:
            snap = repository.load_snapshot(snapshot)
            result = export_iac(repository, snap, fmt, out, functions=validate_globs(function or []), upload=upload,
                                aws=aws, progress=progress)
            doc, notes = result.as_dict(), result.notes
            summary = (f"{len(result.templates)} templates, {result.packages} code packages "
                       f"({result.packages_written} written" + (f", {len(result.uploaded)} uploaded" if upload else "")
                       + f") in {out}")
    if json_out:
        print_json(doc | {"warnings": repository.warnings})
        return
    warn(repository)
    for note in notes:
        typer.echo(f"export: not exported: {note}", err=True)
    if not quiet:
        typer.echo(f"export: {summary}")
