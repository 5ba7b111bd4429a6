"""Command: demo."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..aws import load_embedded
from . import app
from .common import JsonOpt, print_json


@app.command()
def demo(
    repo_path: Annotated[Path | None, typer.Option("--repo-path", help="Keep the demo repository here.")] = None,
    per_region: Annotated[int, typer.Option("--per-region", min=2, help="Functions per region.")] = 12,
    json_out: JsonOpt = False,
) -> None:
    """Run the whole story on the embedded AWS endpoint: build a multi-region estate (one region's
    functions with S3, REST API, HTTP API, EventBridge, Scheduler and SNS triggers; a Lambda@Edge
    function behind a CloudFront distribution), back it up, change a few functions and back up
    again, run it as a policy job (a second run in the same slot does nothing), delete a region,
    restore it into another region with its triggers rewired, then delete the Lambda@Edge function
    and restore it in place; verify every restored attribute and trigger; end with a drill (a
    region restored into isolation, invoked, its RTO measured, cleaned up).
    Needs no AWS account.

    Example: lambda-ark demo
    """
    load_embedded()  # the demo runs on the embedded endpoint: say how to install it if it is missing
    from ..demo.run import run_demo  # here, not at the top: it loads the embedded endpoint (moto), which
    # every other command would otherwise pay for at start-up

    def say(line: str) -> None:
        if not json_out:
            typer.echo(f"demo: {line}")

    report = run_demo(say, repo_path=repo_path, per_region=per_region)
    if json_out:
        print_json(report.__dict__)
    for problem in report.problems:
        typer.echo(f"demo: problem: {problem}", err=True)
    if not report.verified:
        typer.echo("demo: restore NOT verified", err=True)
        raise typer.Exit(1)
    if not json_out:
        typer.echo("demo: restore verified")
