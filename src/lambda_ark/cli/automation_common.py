"""What the automation commands (policy, run, daemon, retry, alarms) share: the policy option, loading
a policy with every problem printed, repository passwords from the policy, building a Context."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from ..automation import Context
from ..aws import Aws
from ..errors import UsageError
from ..policy import LoadedPolicy, PolicyError, RepositoryRef, load_policy
from ..repository import Repository
from .common import _run_password_command, env_password, read_password

PolicyOpt = Annotated[
    Path,
    typer.Option("--policy", "-p", envvar="LAMBDA_ARK_POLICY", help="The policy file (env LAMBDA_ARK_POLICY).",
                 dir_okay=False),
]
MetricsOpt = Annotated[
    list[str] | None,
    typer.Option("--metrics", help="Where metrics go, repeatable: cloudwatch, emf, prometheus=FILE, none "
                 "(default: the policy's metrics.targets, else EMF inside Lambda and CloudWatch elsewhere)."),
]


def load_or_exit(path: Path) -> LoadedPolicy:
    """The policy, or every problem on stderr (FILE:LINE:COLUMN: …) and exit 2."""
    try:
        return load_policy(path)
    except PolicyError as exc:
        for problem in exc.problems:
            typer.echo(str(problem), err=True)
        raise typer.Exit(2) from None


def metric_targets(values: list[str] | None) -> list[str] | None:
    if not values:
        return None
    for value in values:
        if value not in ("auto", "cloudwatch", "emf", "none") and not (
                value.startswith("prometheus=") and len(value) > len("prometheus=")):
            raise UsageError(f"--metrics {value!r}: expected cloudwatch, emf, prometheus=FILE or none")
    return values


def password_for(ref: RepositoryRef) -> str | None:
    """The policy's password source for this repository, else the command's own (flags, environment)."""
    where = f"for {ref.url} in the policy"
    if ref.password_file:
        try:
            return Path(ref.password_file).expanduser().read_text().rstrip("\r\n")
        except OSError as exc:
            raise UsageError(f"cannot read password file {ref.password_file} ({where}): {exc.strerror}") from exc
    if ref.password_command:
        return _run_password_command(ref.password_command, f"password_command {where}")
    if ref.password_env:
        if ref.password_env not in os.environ:
            raise UsageError(f"environment variable {ref.password_env} ({where}) is not set")
        return os.environ[ref.password_env]
    return env_password()


def context(loaded: LoadedPolicy, aws: Aws, metrics: list[str] | None = None) -> Context:
    def open_repository(ref: RepositoryRef) -> Repository:
        # A prompt (on a terminal) only if no KMS key opens it and no password was found.
        return Repository.open(ref.url, password=password_for(ref), aws=aws, ask_password=read_password)

    return Context(loaded=loaded, aws=aws, open_repository=open_repository, metrics=metrics)
