"""Commands that keep a repository healthy: check, forget, prune, unlock, repair, migrate."""

from __future__ import annotations

from datetime import UTC
from typing import Annotated, Any

import typer

from ..automation.state import job_lock_prefixes
from ..errors import IntegrityError
from ..repository import Rules, check, forget, migrate, prune, repair_index, repair_snapshots
from ..repository.forget import ForgetResult
from ..repository.locks import list_locks
from ..repository.locks import unlock as unlock_locks
from ..repository.policy import GroupKey, parse_duration, parse_group_by
from ..snapshot_repair import drop_lost_files
from . import app
from .audit_hook import audited
from .commands_repo import Partial, emit_json, open_repo, progress_bars, size, warn
from .common import JsonOpt, PasswordCommandOpt, PasswordFileOpt, QuietOpt, RepoOpt

repair_app = typer.Typer(help="Rebuild what a damaged repository lost: the index, or snapshots.",
                         no_args_is_help=True)
app.add_typer(repair_app, name="repair")
DryRunOpt = Annotated[bool, typer.Option("--dry-run", help="Show what would be done; change nothing.")]


def _echo(quiet: bool, text: str) -> None:
    if not quiet:
        typer.echo(text)


@app.command("check")
def check_cmd(
    repo: RepoOpt,
    read_data: Annotated[bool, typer.Option("--read-data", help="Decrypt and re-hash every pack.")] = False,
    subset: Annotated[str | None, typer.Option("--read-data-subset", help="Read only 10% or group 1/5.")] = None,
    json_out: JsonOpt = False,
    quiet: QuietOpt = False,
    password_file: PasswordFileOpt = None,
    password_command: PasswordCommandOpt = None,
) -> None:
    """Verify the repository's structure, and with --read-data its content; names every bad object (exit 1).

    Example: lambda-ark check --repo /backups/ark --read-data-subset 10%
    """
    r = open_repo(repo)
    with progress_bars(not (json_out or quiet)) as progress:
        result = check(r, read_data=read_data, subset=subset, progress=progress)
    if json_out:
        emit_json(r, {"ok": result.ok, "errors": result.errors, "warnings": result.warnings,
                      "snapshots": result.snapshots, "packs": result.packs, "packs_read": result.packs_read,
                      "summary": result.summary()})
    else:
        warn(r)
        _problems(result.warnings, result.errors)
        _echo(quiet, result.summary())
    if not result.ok:
        hint = " (see docs/repository-format.md, 'When the repository is damaged')"
        raise IntegrityError(f"check found {len(result.errors)} errors in {r.url}{hint}")


def _keep(name: str) -> Any:
    return typer.Option(f"--keep-{name}", min=0, help=f"Keep the newest snapshot of the last N {name} periods."
                        if name != "last" else "Keep the N newest snapshots.")


@app.command("forget")
def forget_cmd(
    repo: RepoOpt,
    snapshot_ids: Annotated[list[str] | None, typer.Argument(
        metavar="ID", help="Snapshots to forget whatever the rules say (ids or unique prefixes).")] = None,
    keep_last: Annotated[int, _keep("last")] = 0,
    keep_hourly: Annotated[int, _keep("hourly")] = 0,
    keep_daily: Annotated[int, _keep("daily")] = 0,
    keep_weekly: Annotated[int, _keep("weekly")] = 0,
    keep_monthly: Annotated[int, _keep("monthly")] = 0,
    keep_yearly: Annotated[int, _keep("yearly")] = 0,
    keep_within: Annotated[str | None, typer.Option("--keep-within", help="Keep all younger than 7d, 2w, 6m…")]
    = None,
    tag: Annotated[list[str] | None, typer.Option("--tag", help="Apply the rules only to snapshots with this tag.")]
    = None,
    group_by: Annotated[str, typer.Option(
        "--group-by", help="Apply the rules per group of snapshots with equal scope, host, tags ('' = one group).")]
    = "scope,tags",
    dry_run: DryRunOpt = False,
    and_prune: Annotated[bool, typer.Option("--prune", help="Prune unreferenced data afterwards.")] = False,
    json_out: JsonOpt = False,
    quiet: QuietOpt = False,
    password_file: PasswordFileOpt = None,
    password_command: PasswordCommandOpt = None,
) -> None:
    """Remove snapshots named by id, and those a retention policy does not keep (per group; see --group-by).

    The newest snapshot before one tagged 'anomaly' is always kept unless named.
    Example: lambda-ark forget --repo /backups/ark --keep-daily 7 --keep-weekly 4 --keep-monthly 12 --prune
    """
    rules = Rules(last=keep_last, hourly=keep_hourly, daily=keep_daily, weekly=keep_weekly,
                  monthly=keep_monthly, yearly=keep_yearly,
                  within=parse_duration(keep_within) if keep_within else None)
    groups = parse_group_by(group_by)
    r = open_repo(repo)
    with audited(r, 'forget', {"ids": snapshot_ids, "tags": tag, "dry_run": dry_run or None}) as event:
        result = forget(r, rules, ids=snapshot_ids or [], tags=tag or [], group_by=groups, dry_run=dry_run)
        event.snapshots = list(result.removed)
        event.counts = {"removed": len(result.removed), "kept": len(result.keep), "retained": len(result.retained)}
        pruned = None
        if and_prune and not dry_run and result.removed:
            with progress_bars(not (json_out or quiet)) as progress:
                pruned = prune(r, progress=progress)
            event.counts |= {"packs_deleted": pruned.packs_deleted, "bytes_freed": pruned.bytes_freed}
        if json_out:
            emit_json(r, {"keep": [{"id": s.id, "time": s.time, "reasons": result.reasons[s.id],
                                    "group": _group(result.groups[s.id])} for s in result.keep],
                          "remove": [s.id for s in result.remove] + result.unreadable, "removed": result.removed,
                          "retained": result.retained, "dry_run": dry_run,
                          "prune": pruned.__dict__ if pruned else None})
        elif not quiet:
            warn(r)
            _print_forget(result, dry_run)
            if pruned:
                _print_prune(pruned.__dict__)
        if result.retained:
            raise Partial(f"{len(result.retained)} snapshots are under Object Lock retention and were kept")


def _group(key: GroupKey) -> str:
    texts = ((name, ",".join(value) if isinstance(value, tuple) else str(value)) for name, value in key)
    return " ".join(f"{name}={text or '-'}" for name, text in texts)


def _print_forget(result: ForgetResult, dry_run: bool) -> None:
    verb = "would remove" if dry_run else "remove"
    by_group: dict[GroupKey, list[str]] = {}
    for s in sorted(result.keep + result.remove, key=lambda s: s.time, reverse=True):
        line = (f"keep   {s.id[:8]} {s.time.astimezone(UTC):%Y-%m-%d %H:%M} ({', '.join(result.reasons[s.id])})"
                if s.id in result.reasons else f"{verb} {s.id[:8]} {s.time.astimezone(UTC):%Y-%m-%d %H:%M}")
        by_group.setdefault(result.groups[s.id], []).append(line)
    for key, lines in by_group.items():
        if len(by_group) > 1 and key:
            typer.echo(f"group {_group(key)}")
        for line in lines:
            typer.echo(line)
    for sid in result.unreadable:
        typer.echo(f"{verb} {sid[:8]} (unreadable)")
    for sid, until in result.retained.items():
        typer.echo(f"retained {sid[:8]}: Object Lock until {until:%Y-%m-%d}", err=True)


def _print_prune(p: dict[str, Any]) -> None:
    typer.echo(f"{'would delete' if p['dry_run'] else 'deleted'} {p['packs_deleted']} packs and "
               f"{p['orphans_deleted']} unindexed packs, repacked {p['packs_repacked']}, kept {p['packs_kept']}; "
               f"{size(p['bytes_freed'])} freed" + (f"; {len(p['retained'])} objects under Object Lock kept"
                                                     if p["retained"] else "")
               + (f"; {p['uploads_aborted']} unfinished uploads over a day old aborted"
                  if p.get("uploads_aborted") else ""))


@app.command("prune")
def prune_cmd(repo: RepoOpt, dry_run: DryRunOpt = False, json_out: JsonOpt = False, quiet: QuietOpt = False,
              password_file: PasswordFileOpt = None, password_command: PasswordCommandOpt = None) -> None:
    """Delete data no snapshot references (exclusive lock: refused while a backup runs).

    Example: lambda-ark prune --repo /backups/ark --dry-run
    """
    r = open_repo(repo)
    with audited(r, 'prune', {"dry_run": dry_run or None}) as event:
        with progress_bars(not (json_out or quiet)) as progress:
            result = prune(r, dry_run=dry_run, progress=progress)
        event.counts = {"packs_deleted": result.packs_deleted, "packs_repacked": result.packs_repacked,
                        "bytes_freed": result.bytes_freed}
        if json_out:
            emit_json(r, result.__dict__)
        elif not quiet:
            warn(r)
            _print_prune(result.__dict__)


@app.command("unlock")
def unlock_cmd(repo: RepoOpt,
               remove_all: Annotated[bool, typer.Option("--remove-all", help="Also remove live locks.")] = False,
               json_out: JsonOpt = False,
               password_file: PasswordFileOpt = None, password_command: PasswordCommandOpt = None) -> None:
    """Remove stale locks (left by killed runs); --remove-all also removes live ones.

    Example: lambda-ark unlock --repo /backups/ark
    """
    r = open_repo(repo)
    prefixes = ["locks/", *job_lock_prefixes(r)]  # jobs' run locks (automation) follow the same rules
    removed = [x for p in prefixes for x in unlock_locks(r.backend, remove_all=remove_all, prefix=p)]
    left = [x for p in prefixes for x in list_locks(r.backend, p)]
    if json_out:
        print_doc = {"removed": [x.describe() for x in removed], "remaining": [x.describe() for x in left]}
        emit_json(r, print_doc)
        return
    typer.echo(f"removed {len(removed)} locks" + (f"; {len(left)} live locks remain" if left else ""))


@repair_app.command("index")
def repair_index_cmd(repo: RepoOpt, json_out: JsonOpt = False, quiet: QuietOpt = False,
                     password_file: PasswordFileOpt = None, password_command: PasswordCommandOpt = None) -> None:
    """Rebuild the index from the packs' headers (exclusive lock); packs nothing describes are named (exit 3).

    Example: lambda-ark repair index --repo /backups/ark
    """
    r = open_repo(repo)
    with audited(r, 'repair index', {}) as event:
        with progress_bars(not (json_out or quiet)) as progress:
            result = repair_index(r, progress=progress)
        event.counts = {"packs": result.packs, "errors": len(result.errors)}
        if json_out:
            emit_json(r, result.__dict__)
        else:
            _problems(result.warnings, result.errors)
            _echo(quiet, f"indexed {result.from_headers + result.from_index} of {result.packs} packs "
                         f"({result.from_headers} from their headers, {result.from_index} from old index files); "
                         f"wrote {len(result.written)} index files, removed {len(result.removed)}")
        if result.errors:
            raise Partial(f"{len(result.errors)} packs could not be indexed")


@repair_app.command("snapshots")
def repair_snapshots_cmd(repo: RepoOpt, dry_run: DryRunOpt = False, json_out: JsonOpt = False,
                         quiet: QuietOpt = False,
                         password_file: PasswordFileOpt = None, password_command: PasswordCommandOpt = None) -> None:
    """Rewrite snapshots that need lost data without it (tagged 'repaired'), then forget the originals.

    A function whose code is lost is dropped; otherwise only the kinds that name a lost file are.
    Example: lambda-ark repair snapshots --repo /backups/ark --dry-run
    """
    r = open_repo(repo)
    with audited(r, 'repair snapshots', {"dry_run": dry_run or None}) as event:
        with progress_bars(not (json_out or quiet)) as progress:
            result = repair_snapshots(r, drop_lost_files, dry_run=dry_run, progress=progress)
        event.snapshots = [x.id for x in result.repaired]
        event.counts = {"repaired": len(result.repaired), "errors": len(result.errors)}
        if json_out:
            emit_json(r, result.__dict__ | {"repaired": [x.__dict__ for x in result.repaired]})
        else:
            warn(r)
            for e in result.errors:
                typer.echo(f"error: {e}", err=True)
            for x in result.repaired:
                done = ("would rewrite" if dry_run else f"rewrote as {str(x.new_id)[:8]}"
                        + ("" if x.removed else f", original kept (Object Lock until {x.retained_until:%Y-%m-%d})"))
                _echo(quiet, f"snapshot {x.id[:8]} {x.time.astimezone(UTC):%Y-%m-%d %H:%M}: {len(x.lost_files)} lost "
                             f"files; {done}")
                for note in x.notes:
                    _echo(quiet, f"    {note}")
            _echo(quiet, f"{result.checked} snapshots, {result.files_read} files read: "
                         f"{len(result.repaired)} {'to repair' if dry_run else 'repaired'}, "
                         f"{len(result.errors)} beyond repair")
        if result.errors:
            raise Partial(f"{len(result.errors)} snapshots could not be repaired (see above; `forget ID` removes them)")


@app.command("migrate")
def migrate_cmd(repo: RepoOpt, json_out: JsonOpt = False, quiet: QuietOpt = False,
                password_file: PasswordFileOpt = None, password_command: PasswordCommandOpt = None) -> None:
    """Bring the repository to the current format (exclusive lock); safe to interrupt and run again.

    Format 2 gives every pack a header, so `repair index` can rebuild a lost index from the packs.
    Example: lambda-ark migrate --repo s3://my-backups/ark
    """
    r = open_repo(repo)
    with audited(r, 'migrate', {}) as event:
        with progress_bars(not (json_out or quiet)) as progress:
            result = migrate(r, progress=progress)
        event.counts = {"packs_rewritten": result.packs_rewritten, "errors": len(result.errors)}
        if json_out:
            emit_json(r, result.__dict__)
        else:
            _problems(result.warnings, result.errors)
            _echo(quiet, f"already at format {result.to_version}" if result.from_version == result.to_version else
                  f"format {result.from_version} -> {result.to_version}: rewrote {result.packs_rewritten} packs, "
                  f"kept {result.packs_kept}, wrote {len(result.written)} index files")
        if result.errors:
            raise Partial(f"{len(result.errors)} chunks could not be read and were not migrated")


def _problems(warnings: list[str], errors: list[str]) -> None:
    """A maintenance result's warnings and errors, one line each on stderr."""
    for w in warnings:
        typer.echo(f"warning: {w}", err=True)
    for e in errors:
        typer.echo(f"error: {e}", err=True)
