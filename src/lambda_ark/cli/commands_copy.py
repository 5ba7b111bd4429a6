"""copy: snapshots from another repository into this one (restic >= 0.14's direction), or from this
one to its replicas (--to-repo, repeatable: every replica at once, each over its own link)."""

from __future__ import annotations

from typing import Annotated

import typer

from ..audit import Draft
from ..errors import LambdaArkError, UsageError
from ..repository import Repository
from ..repository.copy import CONNECTIONS, CopyResult
from ..repository.replicas import ReplicaCopy, copy_to_replicas
from . import app
from .audit_hook import audited
from .commands_repo import Partial, emit_json, open_repo, progress_bars, size, warn
from .common import JsonOpt, PasswordCommandOpt, PasswordFileOpt, QuietOpt, RepoOpt, env_password, print_json
from .from_repo import FromPasswordCommandOpt, FromPasswordFileOpt, FromRepoOpt, from_password
from .transfer import LimitDownloadOpt, LimitUploadOpt, S3EndpointOpt, transfer


@app.command("copy")
def copy_cmd(
    repo: RepoOpt,
    snapshot: Annotated[list[str] | None, typer.Argument(
        help="Snapshots to copy (id, prefix, latest); default: all of them.")] = None,
    from_repo: FromRepoOpt = None,
    to_repo: Annotated[list[str] | None, typer.Option(
        "--to-repo", help="Copy from --repo to this replica (repeat for several; each goes on its own, one "
                          "failing costs only itself). Password: LAMBDA_ARK_PASSWORD2 / LAMBDA_ARK_PASSWORD_FILE2, "
                          "else the same.")] = None,
    from_password_file: FromPasswordFileOpt = None,
    from_password_command: FromPasswordCommandOpt = None,
    connections: Annotated[int, typer.Option(
        "--connections", min=1, max=32,
        help="Packs uploaded at once to each replica. More fill a long, fast link better, but a copy "
             "interrupted then sends up to that many packs again (1: less than one).")] = CONNECTIONS,
    limit_upload: LimitUploadOpt = None,
    limit_download: LimitDownloadOpt = None,
    s3_endpoint: S3EndpointOpt = None,
    json_out: JsonOpt = False,
    quiet: QuietOpt = False,
    password_file: PasswordFileOpt = None,
    password_command: PasswordCommandOpt = None,
) -> None:
    """Copy snapshots from --from-repo into --repo, or from --repo to each --to-repo; only missing data travels.

    Into a replica made with `init --from-repo`, packs move as they are and an interrupted copy
    resumes from what arrived; a snapshot appears only once all its data is there. Snapshots already
    copied are skipped. The source opens with --from-password-file / --from-password-command /
    LAMBDA_ARK_FROM_PASSWORD, else the same password as --repo.

    Example: lambda-ark copy --repo s3://dr-backups-eu/ark --from-repo /backups/ark --limit-upload 2048

    To every replica at once:

    \b
        lambda-ark copy --repo /backups/ark --to-repo s3://dr-eu/ark --to-repo /mnt/edge/ark
    """
    if bool(from_repo) == bool(to_repo):
        raise UsageError("copy needs --from-repo (copy into --repo) or, the other way, --to-repo")
    show = not (json_out or quiet)
    if from_repo:
        src = Repository.open(from_repo, password=from_password(), transfer=transfer())
        dst = open_repo(repo, master=src.key)  # a replica opens with its source's key: no second scrypt
        refs = snapshot or [s.id for s in src.snapshots()]
        with audited(dst, "copy", {"from": src.url}) as event, progress_bars(show) as progress:
            done = copy_to_replicas(src, [dst], refs, progress=progress, connections=connections)
            _note(event, done)
            _report(src, done, json_out, quiet)
        return
    else:
        src = open_repo(repo)
        password = env_password("2") or env_password()
        dsts = list(dict.fromkeys(to_repo or []))
        refs = snapshot or [s.id for s in src.snapshots()]

        def open_(url: str) -> Repository:
            return Repository.open(url, password=password, transfer=transfer(), master=src.key)

        # Recorded in the source's log (the replicas are opened inside copy_to_replicas).
        with audited(src, "copy", {"to": dsts}) as event, progress_bars(show and len(dsts) == 1) as progress:
            done = copy_to_replicas(src, list(dsts), refs, open_=open_, progress=progress, connections=connections)
            _note(event, done)
            _report(src, done, json_out, quiet)


def _note(event: Draft, done: list[ReplicaCopy]) -> None:
    results = [d.result for d in done if d.result is not None]
    event.snapshots = sorted({s for r in results for s in r.copied})
    event.counts = {"copied": sum(len(r.copied) for r in results), "skipped": sum(len(r.skipped) for r in results),
                    "failed": sum(1 for d in done if d.error or (d.result and d.result.partial))}


def _report(src: Repository, done: list[ReplicaCopy], json_out: bool, quiet: bool) -> None:
    failed = [d for d in done if d.error or (d.result and d.result.partial)]
    nothing = all(d.result is None for d in done)
    if nothing and not json_out:  # one line, as every command's error
        raise LambdaArkError("; ".join(f"copy to {d.url}: {d.error}" for d in done))
    if json_out:
        if len(done) == 1 and done[0].result is not None:
            emit_json(src, done[0].result.as_dict() | {"url": done[0].url})
        else:
            print_json({"replicas": [d.as_dict() for d in done], "warnings": src.warnings})
    else:
        warn(src)
        for d in done:
            if d.result is not None:
                _lines(d.url, d.result, quiet, several=len(done) > 1)
            else:
                typer.echo(f"lambda-ark: error: copy to {d.url}: {d.error}", err=True)
    if nothing:
        raise LambdaArkError("; ".join(f"copy to {d.url}: {d.error}" for d in done))
    if failed:
        raise Partial(f"{len(failed)} of {len(done)} copies incomplete; run copy again to resume")


def _lines(url: str, result: CopyResult, quiet: bool, several: bool) -> None:
    to = f" in {url}" if several else ""
    for snap_id, why in result.errors.items():
        typer.echo(f"lambda-ark: error: snapshot {snap_id[:8]} not copied{to}: {why}", err=True)
    if quiet:
        return
    for s, d in result.copied.items():
        typer.echo(f"copied {s[:8]} -> {d[:8]}{to}")
    for s in result.skipped:
        typer.echo(f"skipped {s[:8]} (already in {url})")
    if result.mode == "packs":
        found = f", {result.packs_found} found from an interrupted copy" if result.packs_found else ""
        typer.echo(f"{url}: {result.packs_sent} packs and {result.chunks_sent} chunks sent{found}; "
                   f"{size(result.bytes_sent)} over the wire, {size(result.bytes_added)} added")
    else:
        typer.echo(f"{url}: {result.files_sent} files sent, {result.files_reused} reused, "
                   f"{size(result.bytes_added)} added; verified")
