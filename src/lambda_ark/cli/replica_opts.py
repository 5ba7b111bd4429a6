"""Several repositories on one command: `--repo` repeated (the first is the primary) and `--prefer`.

`restore` uses `open_nearest` to read from the nearest healthy copy; `drill` can do the same (see
the report in docs/repository-format.md, "Restore from the nearest copy").
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Annotated

import typer

from ..aws import Aws
from ..errors import UsageError
from ..repository import Repository
from ..repository.backends.retry import RetryPolicy
from ..repository.nearest import Choice, choose_replica
from .common import read_password
from .transfer import transfer

ReposOpt = Annotated[list[str], typer.Option(
    "--repo", "-r", envvar="LAMBDA_ARK_REPOSITORY",
    help="Repository URL: /path, file:///path, s3://bucket/prefix or s3:https://host/bucket/prefix "
         "(env LAMBDA_ARK_REPOSITORY). Repeat for replicas of one repository: the first is the primary.")]
PreferOpt = Annotated[str | None, typer.Option(
    "--prefer", metavar="REGION",
    help="With several --repo: read from a replica in this region (a bucket's region, or 'local' for a "
         "folder) when it is healthy, whatever is faster.")]

# With replicas to fall back on, a replica that stops answering is given up on sooner.
FAILOVER_RETRIES = RetryPolicy(attempts=4)


def urls(repos: list[str] | None) -> list[str]:
    found = [r.strip() for r in repos or [] if r and r.strip()]
    if not found:
        raise UsageError("no repository: give --repo (or LAMBDA_ARK_REPOSITORY)")
    return list(dict.fromkeys(found))


def opener(aws: Aws | None, several: bool) -> Callable[[str], Repository]:
    """Open repositories with one password (read once) and this run's transfer settings."""
    password = read_password()
    settings = dataclasses.replace(transfer(), retry=FAILOVER_RETRIES) if several else transfer()

    def open_(url: str) -> Repository:
        return Repository.open(url, password=password, aws=aws, transfer=settings)

    return open_


def open_nearest(repos: list[str], snapshot: str, prefer: str | None, aws: Aws | None
                 ) -> tuple[Repository, str, Choice | None]:
    """The repository to read `snapshot` from, the id to load there, and the choice made (None for
    one repository, which is opened as it always was)."""
    found = urls(repos)
    if len(found) == 1 and prefer is None:
        return opener(aws, False)(found[0]), snapshot, None
    choice = choose_replica(found, snapshot, opener(aws, True), prefer=prefer)
    return choice.reader, choice.snapshot_id, choice
