"""Command: report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..errors import UsageError
from ..policy import load_policy
from ..policy.values import rpo_seconds
from ..report import Targets, build_report, discover, render
from . import app
from .commands_repo import open_repo
from .common import EndpointOpt, JsonOpt, PasswordCommandOpt, PasswordFileOpt, QuietOpt, RepoOpt, print_json


def _targets(policy: Path | None, default: str) -> Targets:
    try:
        fallback = rpo_seconds(default)
    except ValueError as exc:
        raise UsageError(f"--rpo: {exc}") from None
    if policy is None:
        return Targets(default=fallback)
    loaded = load_policy(policy)  # PolicyError: exit 2, naming each problem
    return Targets(default=fallback, jobs={name: rpo_seconds(job.rpo) for name, job in loaded.policy.jobs.items()
                                           if job.rpo})


@app.command("report")
def report_cmd(
    repo: RepoOpt,
    out: Annotated[Path, typer.Option("--out", "-o", help="Where to write the HTML page.")] = Path("report.html"),
    policy: Annotated[Path | None, typer.Option("--policy", help="Policy file: each job's RPO target.")] = None,
    rpo: Annotated[str, typer.Option("--rpo", help="RPO target where no policy job sets one: 24h, 90min, 1d.")]
    = "24h",
    discover_regions: Annotated[str | None, typer.Option(
        "--discover", help="Also list the live functions in these regions (comma-separated) of the current "
                           "account, to show what is not protected.")] = None,
    endpoint_url: EndpointOpt = None,
    json_out: JsonOpt = False,
    quiet: QuietOpt = False,
    password_file: PasswordFileOpt = None,
    password_command: PasswordCommandOpt = None,
) -> None:
    """Write one self-contained HTML report: coverage, RPO, growth, drills, triggers, failures, audit log.

    The page needs no network (its charts' script is inside it). --json prints the same data instead.
    Example: lambda-ark report --repo /backups/ark --policy lambda-ark.yaml --out report.html
    """
    targets = _targets(policy, rpo)
    discovered = None
    if discover_regions:
        from ..aws import connect

        regions = [r.strip() for r in discover_regions.split(",") if r.strip()]
        discovered = discover(connect(endpoint_url=endpoint_url), regions)
    data = build_report(open_repo(repo), targets=targets, discovered=discovered)
    if json_out:
        print_json(data.model_dump(mode="json"))
        return
    try:
        out.write_text(render(data), encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {out}: {exc.strerror or exc}") from None
    for w in data.warnings:
        typer.echo(f"warning: {w}", err=True)
    if not quiet:
        typer.echo(f"wrote {out} ({data.snapshots} snapshots, {len(data.rpo_functions)} functions, "
                   f"{len(data.drills)} drills; audit log {'verified' if data.audit.get('ok') else 'has problems'})")
