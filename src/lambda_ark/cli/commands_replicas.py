"""replicas: where each copy of the repository stands (reachable, how fast, how far behind)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from ..repository.replicas import ReplicaStatus, replica_status
from . import app
from .commands_repo import Partial, size
from .common import JsonOpt, PasswordCommandOpt, PasswordFileOpt, console, print_json
from .replica_opts import ReposOpt, opener, urls
from .transfer import LimitDownloadOpt, S3EndpointOpt


@app.command()
def replicas(
    repo: ReposOpt,
    samples: Annotated[int, typer.Option("--samples", min=1, max=50,
                                         help="Small reads per replica; latency is their median.")] = 5,
    limit_download: LimitDownloadOpt = None,
    s3_endpoint: S3EndpointOpt = None,
    json_out: JsonOpt = False,
    password_file: PasswordFileOpt = None,
    password_command: PasswordCommandOpt = None,
) -> None:
    """Each replica's reachability, latency, newest snapshot per scope, and lag behind the primary.

    The first --repo is the primary; lag is what a `copy` would still have to send (snapshots, and
    bytes: exact for replicas made with `init --from-repo`, else estimated from file sizes).
    Exit 3 when a replica cannot be reached.

    Example: lambda-ark replicas --repo s3://backups/ark --repo s3://dr-eu/ark --repo /mnt/edge/ark
    """
    found = urls(repo)
    statuses = replica_status(found, opener(None, len(found) > 1), samples=samples)
    if json_out:
        print_json({"replicas": [s.as_dict() for s in statuses]})
    else:
        _render(statuses)
    if any(not s.reachable for s in statuses):
        raise Partial(", ".join(f"{s.url} unreachable" for s in statuses if not s.reachable))


def _render(statuses: list[ReplicaStatus]) -> None:
    table = Table(title="replicas")
    for col in ("replica", "reachable", "region", "latency", "throughput", "snapshots", "lag"):
        table.add_column(col)
    for s in statuses:
        p = s.probe
        table.add_row(
            s.url + (" (primary)" if s.primary else ""),
            "yes" if s.reachable else f"no: {s.error}",
            (p.region or "local") if s.reachable else "",
            f"{p.latency * 1000:.1f} ms" if p.latency is not None else "",
            f"{p.throughput / 1e6:.1f} MB/s" if p.throughput else "",
            str(s.snapshots) if s.reachable else "",
            _lag(s),
        )
    console().print(table)
    scopes = sorted({h.scope for s in statuses for h in s.newest})
    if scopes:
        newest = Table(title="newest snapshot per scope")
        newest.add_column("scope")
        for s in statuses:
            newest.add_column(s.url)
        for scope in scopes:
            cells = []
            for s in statuses:
                head = next((h for h in s.newest if h.scope == scope), None)
                cells.append(f"{head.time[:19]} {head.original[:8]}" if head else "")
            newest.add_row(scope or "(none)", *cells)
        console().print(newest)
    for s in statuses:
        for w in s.warnings:
            typer.echo(f"warning: {s.url}: {w}", err=True)


def _lag(s: ReplicaStatus) -> str:
    if s.primary or not s.reachable:
        return ""
    if not s.missing:
        return "up to date"
    about = "" if s.exact else "about "
    amount = f", {about}{size(s.bytes_missing)}" if s.bytes_missing is not None else ""
    return f"{len(s.missing)} snapshots behind{amount}"
