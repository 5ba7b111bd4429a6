"""Commands on the repository: init, key, snapshots, show, diff, check, forget, prune, copy, unlock."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from ..errors import IntegrityError, LambdaArkError, UsageError
from ..repository import Repository, Rules, check, copy, forget, prune
from ..repository.diff import diff_snapshots, function_rows
from ..repository.locks import list_locks
from ..repository.locks import unlock as unlock_locks
from ..repository.policy import parse_duration
from . import app
from .common import JsonOpt, QuietOpt, RepoOpt, print_json, read_password

key_app = typer.Typer(help="Manage the keys (passphrases, KMS keys) that open a repository.",
                      no_args_is_help=True)
app.add_typer(key_app, name="key")



class _Partial(LambdaArkError):
    """Some of the work could not be done (exit 3). Raised, not typer.Exit: main() runs click with
    standalone_mode=False, where click returns an Exit's code instead of exiting with it."""

    exit_code = 3


KmsOpt = Annotated[str | None, typer.Option("--kms-key-id", help="KMS key (id, ARN or alias) to wrap the key.")]


def _env_password(suffix: str = "") -> str | None:
    """LAMBDA_ARK_PASSWORD{suffix} or the file LAMBDA_ARK_PASSWORD_FILE{suffix}; never prompts."""
    if (pw := os.environ.get(f"LAMBDA_ARK_PASSWORD{suffix}")) is not None:
        return pw
    if (path := os.environ.get(f"LAMBDA_ARK_PASSWORD_FILE{suffix}")) is not None:
        try:
            return Path(path).read_text().rstrip("\n")
        except OSError as exc:
            raise UsageError(f"cannot read LAMBDA_ARK_PASSWORD_FILE{suffix} {path}: {exc.strerror}") from exc
    return None


def open_repo(url: str) -> Repository:
    """Open with KMS keys if reachable, else the password (env, file, or a prompt on a terminal)."""
    return Repository.open(url, password=_env_password(), ask_password=read_password)


@contextmanager
def _progress(enabled: bool) -> Iterator[Callable[[str, int, int], None] | None]:
    """A (phase, done, total) callback drawing one bar per phase on a terminal; None otherwise."""
    if not enabled or not sys.stderr.isatty():
        yield None
        return
    bars = Progress(TextColumn("{task.description:<12}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), transient=True, console=Console(stderr=True))
    tasks: dict[str, TaskID] = {}

    def update(phase: str, done: int, total: int) -> None:
        if phase not in tasks:
            tasks[phase] = bars.add_task(phase, total=total)
        bars.update(tasks[phase], completed=done, total=total)

    with bars:
        yield update


def _echo(quiet: bool, text: str) -> None:
    if not quiet:
        typer.echo(text)


@app.command()
def init(
    repo: RepoOpt,
    kms_key_id: KmsOpt = None,
    retention_days: Annotated[int | None, typer.Option(
        "--retention-days", min=1, help="S3 Object Lock retention for new objects (default: the bucket's).")] = None,
    json_out: JsonOpt = False,
) -> None:
    """Create an encrypted repository (password from LAMBDA_ARK_PASSWORD, a file, or a prompt; or KMS).

    Example: lambda-ark init --repo s3://my-backups/ark --kms-key-id alias/lambda-ark
    """
    password = _env_password() if kms_key_id else read_password(confirm=True)
    if not password and not kms_key_id:
        raise UsageError("no password: set LAMBDA_ARK_PASSWORD or LAMBDA_ARK_PASSWORD_FILE, or use --kms-key-id")
    r = Repository.init(repo, password=password, kms_key_id=kms_key_id, retention_days=retention_days)
    if json_out:
        print_json({"url": r.url, "id": r.config.id, "keys": r.list_keys()})
    else:
        typer.echo(f"created repository {r.config.id[:8]} at {r.url}")


@key_app.command("add")
def key_add(repo: RepoOpt, kms_key_id: KmsOpt = None, json_out: JsonOpt = False) -> None:
    """Add a key: a new password (LAMBDA_ARK_NEW_PASSWORD, LAMBDA_ARK_NEW_PASSWORD_FILE or prompt) or a KMS key.

    Example: lambda-ark key add --repo /backups/ark --kms-key-id arn:aws:kms:eu-west-1:111122223333:key/…
    """
    r = open_repo(repo)
    new_password = None if kms_key_id else _new_password()
    key_id = r.add_key(password=new_password, kms_key_id=kms_key_id)
    if json_out:
        print_json({"added": key_id})
    else:
        typer.echo(f"added key {key_id[:8]}")


def _new_password() -> str:
    if (pw := os.environ.get("LAMBDA_ARK_NEW_PASSWORD")) is not None:
        return pw
    if (path := os.environ.get("LAMBDA_ARK_NEW_PASSWORD_FILE")) is not None:
        return Path(path).read_text().rstrip("\n")
    if sys.stdin.isatty():
        return str(typer.prompt("new password", hide_input=True, confirmation_prompt=True))
    raise UsageError("no new password: set LAMBDA_ARK_NEW_PASSWORD or use --kms-key-id")


@key_app.command("list")
def key_list(repo: RepoOpt, json_out: JsonOpt = False) -> None:
    """List the keys that open the repository (* marks the one used now).

    Example: lambda-ark key list --repo /backups/ark
    """
    keys = open_repo(repo).list_keys()
    if json_out:
        print_json(keys)
        return
    table = Table("", "ID", "Type", "KMS key", "Host", "Created")
    for k in keys:
        table.add_row("*" if k["current"] else "", k["id"][:8], k.get("type", ""), k.get("kms_key_id", ""),
                      k.get("host", ""), str(k.get("created", ""))[:19])
    Console().print(table)


@key_app.command("remove")
def key_remove(repo: RepoOpt, key_id: Annotated[str, typer.Argument(help="Key id or unique prefix.")]) -> None:
    """Remove a key (never the last one).

    Example: lambda-ark key remove --repo /backups/ark 3f2a9c1b
    """
    typer.echo(f"removed key {open_repo(repo).remove_key(key_id)[:8]}")


@app.command()
def snapshots(repo: RepoOpt, tag: Annotated[list[str] | None, typer.Option("--tag", help="Only with tag.")] = None,
              json_out: JsonOpt = False) -> None:
    """List snapshots, oldest first.

    Example: lambda-ark snapshots --repo /backups/ark --json
    """
    infos = [s for s in open_repo(repo).snapshots() if set(tag or []) <= set(s.tags)]
    if json_out:
        print_json([s.model_dump(mode="json") for s in infos])
        return
    table = Table("ID", "Time (UTC)", "Host", "Tags", "Functions", "Changed", "Added")
    for s in infos:
        table.add_row(s.id[:8], f"{s.time.astimezone(UTC):%Y-%m-%d %H:%M:%S}", s.host, ",".join(s.tags),
                      str(s.summary.get("functions", "")), str(s.summary.get("changed", "")),
                      _size(s.summary.get("bytes_added")))
    Console().print(table)
    typer.echo(f"{len(infos)} snapshots")


def _size(n: Any) -> str:
    if not isinstance(n, int):
        return ""
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return str(n)


@app.command()
def show(repo: RepoOpt, snapshot: Annotated[str, typer.Argument(help="Id, unique prefix, or 'latest'.")],
         json_out: JsonOpt = False) -> None:
    """Show a snapshot's functions (names, regions, fingerprints, recorded kinds; never their settings).

    Example: lambda-ark show --repo /backups/ark latest
    """
    snap = open_repo(repo).load_snapshot(snapshot)
    rows = function_rows(snap)
    if json_out:
        print_json(snap.info().model_dump(mode="json") | {"functions": rows, "files": len(snap.files)})
        return
    typer.echo(f"snapshot {snap.id[:8]} at {snap.time.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC on {snap.host}"
               + (f" tags {','.join(snap.tags)}" if snap.tags else ""))
    table = Table("Account", "Region", "Function", "Fingerprint", "Recorded")
    for row in rows:
        table.add_row(row["account"], row["region"], row["name"], row["fingerprint"][:12], ",".join(row["items"]))
    Console().print(table)
    typer.echo(f"{len(rows)} functions, {len(snap.files)} stored files")


@app.command()
def diff(repo: RepoOpt, a: Annotated[str, typer.Argument(help="Older snapshot.")],
         b: Annotated[str, typer.Argument(help="Newer snapshot.")], json_out: JsonOpt = False) -> None:
    """Functions added, removed and changed between two snapshots (and which recorded kinds differ).

    Example: lambda-ark diff --repo /backups/ark 1a2b3c4d latest
    """
    r = open_repo(repo)
    result = diff_snapshots(r.load_snapshot(a), r.load_snapshot(b))
    if json_out:
        print_json(result)
        return
    for key in result["added"]:
        typer.echo(f"+ {key}")
    for key in result["removed"]:
        typer.echo(f"- {key}")
    for change in result["changed"]:
        typer.echo(f"M {change['key']}  ({', '.join(change['kinds']) or 'fingerprint'})")
    typer.echo(f"{len(result['added'])} added, {len(result['removed'])} removed, "
               f"{len(result['changed'])} changed, {result['unchanged']} unchanged")


@app.command("check")
def check_cmd(
    repo: RepoOpt,
    read_data: Annotated[bool, typer.Option("--read-data", help="Decrypt and re-hash every pack.")] = False,
    subset: Annotated[str | None, typer.Option("--read-data-subset", help="Read only 10% or group 1/5.")] = None,
    json_out: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Verify the repository's structure, and with --read-data its content. Exit 1 names each bad object.

    Example: lambda-ark check --repo /backups/ark --read-data-subset 10%
    """
    r = open_repo(repo)
    with _progress(not (json_out or quiet)) as progress:
        result = check(r, read_data=read_data, subset=subset, progress=progress)
    if json_out:
        print_json({"ok": result.ok, "errors": result.errors, "warnings": result.warnings,
                    "snapshots": result.snapshots, "packs": result.packs, "packs_read": result.packs_read})
    else:
        for w in result.warnings:
            typer.echo(f"warning: {w}", err=True)
        _echo(quiet, f"{result.snapshots} snapshots, {result.packs} packs, {result.packs_read} packs read: "
                     + ("no errors" if result.ok else f"{len(result.errors)} errors"))
    for e in result.errors:
        typer.echo(f"error: {e}", err=True)
    if not result.ok:
        raise IntegrityError(f"check found {len(result.errors)} errors in {r.url}")


def _keep(name: str) -> Any:
    return typer.Option(f"--keep-{name}", min=0, help=f"Keep the newest snapshot of the last N {name} periods."
                        if name != "last" else "Keep the N newest snapshots.")


@app.command("forget")
def forget_cmd(
    repo: RepoOpt,
    keep_last: Annotated[int, _keep("last")] = 0,
    keep_hourly: Annotated[int, _keep("hourly")] = 0,
    keep_daily: Annotated[int, _keep("daily")] = 0,
    keep_weekly: Annotated[int, _keep("weekly")] = 0,
    keep_monthly: Annotated[int, _keep("monthly")] = 0,
    keep_yearly: Annotated[int, _keep("yearly")] = 0,
    keep_within: Annotated[str | None, typer.Option("--keep-within", help="Keep all younger than 7d, 2w, 6m…")]
    = None,
    tag: Annotated[list[str] | None, typer.Option("--tag", help="Only snapshots with this tag.")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would be removed.")] = False,
    and_prune: Annotated[bool, typer.Option("--prune", help="Prune unreferenced data afterwards.")] = False,
    json_out: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Remove snapshots a retention policy does not keep (per group of snapshots with equal tags).

    Example: lambda-ark forget --repo /backups/ark --keep-daily 7 --keep-weekly 4 --keep-monthly 12 --prune
    """
    rules = Rules(last=keep_last, hourly=keep_hourly, daily=keep_daily, weekly=keep_weekly,
                  monthly=keep_monthly, yearly=keep_yearly,
                  within=parse_duration(keep_within) if keep_within else None)
    r = open_repo(repo)
    result = forget(r, rules, tags=tag or [], dry_run=dry_run)
    pruned = None
    if and_prune and not dry_run and result.removed:
        with _progress(not (json_out or quiet)) as progress:
            pruned = prune(r, progress=progress)
    if json_out:
        print_json({"keep": [{"id": s.id, "time": s.time, "reasons": result.reasons[s.id]} for s in result.keep],
                    "remove": [s.id for s in result.remove], "removed": result.removed,
                    "retained": result.retained, "dry_run": dry_run,
                    "prune": pruned.__dict__ if pruned else None})
    elif not quiet:
        for s in result.keep:
            typer.echo(f"keep   {s.id[:8]} {s.time.astimezone(UTC):%Y-%m-%d %H:%M} ({', '.join(result.reasons[s.id])})")
        for s in result.remove:
            typer.echo(f"{'would remove' if dry_run else 'remove'} {s.id[:8]} {s.time.astimezone(UTC):%Y-%m-%d %H:%M}")
        for sid, until in result.retained.items():
            typer.echo(f"retained {sid[:8]}: Object Lock until {until:%Y-%m-%d}", err=True)
        if pruned:
            _print_prune(pruned.__dict__)
    if result.retained:
        raise _Partial(f"{len(result.retained)} snapshots are under Object Lock retention and were kept")


def _print_prune(p: dict[str, Any]) -> None:
    typer.echo(f"{'would delete' if p['dry_run'] else 'deleted'} {p['packs_deleted']} packs and "
               f"{p['orphans_deleted']} unindexed packs, repacked {p['packs_repacked']}, kept {p['packs_kept']}; "
               f"{_size(p['bytes_freed'])} freed" + (f"; {len(p['retained'])} objects under Object Lock kept"
                                                       if p["retained"] else ""))


@app.command("prune")
def prune_cmd(repo: RepoOpt,
              dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would be deleted.")] = False,
              json_out: JsonOpt = False, quiet: QuietOpt = False) -> None:
    """Delete data no snapshot references (exclusive lock: refused while a backup runs).

    Example: lambda-ark prune --repo /backups/ark --dry-run
    """
    r = open_repo(repo)
    with _progress(not (json_out or quiet)) as progress:
        result = prune(r, dry_run=dry_run, progress=progress)
    if json_out:
        print_json(result.__dict__)
    elif not quiet:
        _print_prune(result.__dict__)


@app.command("copy")
def copy_cmd(
    repo: RepoOpt,
    snapshot: Annotated[list[str], typer.Argument(help="Snapshots to copy (id, prefix, latest).")],
    to_repo: Annotated[str, typer.Option("--to-repo", help="Destination repository URL.")],
    json_out: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Copy snapshots to another repository; only data missing there travels; verified after copy.

    The destination opens with LAMBDA_ARK_PASSWORD2 / LAMBDA_ARK_PASSWORD_FILE2, else the same password.
    Example: lambda-ark copy --repo /backups/ark latest --to-repo s3://dr-backups-eu/ark
    """
    src = open_repo(repo)
    password2 = _env_password("2") or _env_password()
    dst = Repository.open(to_repo, password=password2)
    with _progress(not (json_out or quiet)) as progress:
        result = copy(src, dst, snapshot, progress=progress)
    if json_out:
        print_json(result.__dict__)
    elif not quiet:
        for s, d in result.copied.items():
            typer.echo(f"copied {s[:8]} -> {d[:8]}")
        for s in result.skipped:
            typer.echo(f"skipped {s[:8]} (already in {dst.url})")
        typer.echo(f"{result.files_sent} files sent, {result.files_reused} reused, "
                   f"{_size(result.bytes_added)} added; verified")


@app.command("unlock")
def unlock_cmd(repo: RepoOpt,
               remove_all: Annotated[bool, typer.Option("--remove-all", help="Also remove live locks.")] = False,
               json_out: JsonOpt = False) -> None:
    """Remove stale locks (left by killed runs); --remove-all also removes live ones.

    Example: lambda-ark unlock --repo /backups/ark
    """
    r = open_repo(repo)
    removed = unlock_locks(r.backend, remove_all=remove_all)
    left = list_locks(r.backend)
    if json_out:
        print_json({"removed": [x.describe() for x in removed], "remaining": [x.describe() for x in left]})
        return
    typer.echo(f"removed {len(removed)} locks" + (f"; {len(left)} live locks remain" if left else ""))

