"""Commands: policy validate | show | schema, and alarms apply."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from ..automation import apply_alarms, resolve_accounts
from ..aws import Aws, connect
from ..errors import LambdaArkError, describe
from ..policy import LoadedPolicy, PolicyError, checks, load_policy, parse_schedule, policy_schema
from ..repository.backends import open_backend
from . import app
from .automation_common import PolicyOpt, load_or_exit
from .commands_repo import Partial
from .common import EndpointOpt, JsonOpt, QuietOpt, console, print_json

policy_app = typer.Typer(help="Check and explain a policy file (lambda-ark.yaml).", no_args_is_help=True)
alarms_app = typer.Typer(help="CloudWatch alarms for a policy's jobs.", no_args_is_help=True)
app.add_typer(policy_app, name="policy")
app.add_typer(alarms_app, name="alarms")
FileArg = Annotated[Path, typer.Argument(metavar="FILE", help="The policy file.", dir_okay=False)]


@policy_app.command("validate")
def validate_cmd(
    file: FileArg,
    offline: Annotated[bool, typer.Option("--offline", help="Do not check that the repositories are there.")]
    = False,
    endpoint_url: EndpointOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Check a policy: every error as FILE:LINE:COLUMN with what was expected (exit 2); warnings too.

    An unreachable repository is a warning (the policy may run where it is reachable).
    Example: lambda-ark policy validate lambda-ark.yaml
    """
    try:
        loaded = load_policy(file)
    except PolicyError as exc:
        if json_out:
            print_json({"valid": False, "errors": [str(p) for p in exc.problems], "warnings": []})
        else:
            for problem in exc.problems:
                typer.echo(str(problem), err=True)
        raise typer.Exit(2) from None
    warnings = checks.warnings(loaded)
    if not offline:
        warnings += checks.reachability(loaded, _repository_check(endpoint_url))
    jobs = loaded.policy.jobs
    if json_out:
        print_json({"valid": True, "errors": [], "warnings": [str(w) for w in warnings], "jobs": list(jobs)})
        return
    for w in warnings:
        typer.echo(str(w), err=True)
    typer.echo(f"{file}: valid: {len(jobs)} job{'s' if len(jobs) != 1 else ''} ({', '.join(jobs)})"
               + (f", {len(warnings)} warning{'s' if len(warnings) != 1 else ''}" if warnings else ""))


def _repository_check(endpoint_url: str | None) -> Any:
    aws: list[Aws | None] = []

    def exists(url: str) -> str | None:
        try:
            if url.startswith("s3://") and not aws:
                aws.append(connect(endpoint_url=endpoint_url))
            backend = open_backend(url, aws[0] if aws else None)
            return None if backend.exists("config") else "no repository there (create one with `lambda-ark init`)"
        except Exception as exc:  # noqa: BLE001 - anything that stops the check is the reason it is unreachable
            return describe(exc)

    return exists


@policy_app.command("show")
def show_cmd(
    file: FileArg,
    offline: Annotated[bool, typer.Option("--offline", help="Do not ask AWS for accounts and regions.")] = False,
    endpoint_url: EndpointOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Show each job: its accounts and regions (asked of AWS), what it records, and its next five runs.

    Example: lambda-ark policy show lambda-ark.yaml
    """
    loaded = load_or_exit(file)
    doc, warnings = _describe(loaded, None if offline else endpoint_url, offline)
    if json_out:
        print_json(doc | {"warnings": warnings})
        return
    for w in warnings:
        typer.echo(f"warning: {w}", err=True)
    for name, job in doc["jobs"].items():
        typer.echo(f"job {name}: {job['schedule']}")
        typer.echo(f"  accounts: {', '.join(job['accounts']) or '(not resolved)'}")
        typer.echo(f"  regions:  {', '.join(job['regions'])}")
        typer.echo(f"  select:   names {', '.join(job['names']) or '*'}; tags "
                   f"{', '.join(f'{k}={v}' for k, v in job['tags'].items()) or '(any)'}")
        typer.echo(f"  records:  {', '.join(job['include'])} ({', '.join(job['kinds'])})")
        typer.echo(f"  keeps:    {job['retention'] or 'every snapshot'}; rpo {job['rpo'] or '(none)'}")
        typer.echo(f"  notifies: {', '.join(job['notify']) or '(nobody)'} ({job['notify_on']})")
        typer.echo(f"  next:     {', '.join(job['next'])}")


def _describe(loaded: LoadedPolicy, endpoint_url: str | None, offline: bool) -> tuple[dict[str, Any], list[str]]:
    policy, warnings = loaded.policy, []
    accounts: list[str] = []
    enabled: list[str] | None = None
    if not offline:
        try:
            aws = connect(endpoint_url=endpoint_url)
            resolved = resolve_accounts(aws, policy.accounts)
            warnings += resolved.errors
            accounts = [f"{t.account} ({t.via})" for t in resolved.targets]
            enabled = aws.enabled_regions()
        except LambdaArkError as exc:
            warnings.append(f"accounts and regions not resolved: {exc}")
    now = datetime.now(UTC)
    jobs = {}
    for name, job in policy.jobs.items():
        regions = job.select.regions
        jobs[name] = {
            "schedule": job.schedule,
            "next": [t.strftime("%Y-%m-%d %H:%MZ") for t in parse_schedule(job.schedule).upcoming(now, 5)],
            "accounts": accounts,
            "regions": list(regions) if regions != "all" else (enabled or ["all enabled regions"]),
            "names": list(job.select.names), "tags": dict(job.select.tags), "include": list(job.include),
            "kinds": sorted(job.kinds()),
            "retention": ", ".join(f"{k} {v}" for k, v in (job.retention.model_dump(exclude_defaults=True).items()
                                                           if job.retention else [])),
            "rpo": job.rpo or "", "notify": [str(t) for t in policy.notify_targets(job)], "notify_on": job.notify_on,
        }
    return {"file": loaded.file, "jobs": jobs}, warnings


@policy_app.command("schema")
def schema_cmd() -> None:
    """Print the policy file's JSON Schema (as published in docs/policy.schema.json).

    Example: lambda-ark policy schema > policy.schema.json
    """
    typer.echo(json.dumps(policy_schema(), indent=2, sort_keys=True))


@alarms_app.command("apply")
def alarms_apply_cmd(
    policy: PolicyOpt,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the plan, change nothing.")] = False,
    endpoint_url: EndpointOpt = None,
    json_out: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Create or update CloudWatch alarms per job and account (failed, RPO, mass deletion) on its SNS topics.

    Idempotent: a second apply changes nothing. Exit 3 if an alarm or an account list failed.
    Example: lambda-ark alarms apply --policy lambda-ark.yaml --dry-run
    """
    loaded = load_or_exit(policy)
    result = apply_alarms(connect(endpoint_url=endpoint_url), loaded.policy, dry_run=dry_run)
    if json_out:
        print_json({"dry_run": dry_run, "changes": [c.__dict__ for c in result.changes], "errors": result.errors})
    elif not quiet:
        table = Table(title="alarm plan" if dry_run else "alarms")
        for col in ("action", "alarm", "detail"):
            table.add_column(col)
        for c in result.changes:
            table.add_row(c.action, c.name, c.detail)
        console().print(table)
        counts = ", ".join(f"{n} {a}" for a, n in sorted(result.counts().items())) or "no alarms"
        typer.echo(f"{'planned' if dry_run else 'done'}: {counts}")
    for e in result.errors:
        typer.echo(f"error: {e}", err=True)
    if result.errors:
        raise Partial(f"{len(result.errors)} problems applying alarms")
