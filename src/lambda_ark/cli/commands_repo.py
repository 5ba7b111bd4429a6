"""Commands that create a repository and read it: init, key, snapshots, show, diff.

Also the helpers every repository command shares (commands_maintenance and commands_copy use
them): opening with the password flags, progress bars, printing the repository's warnings.
"""

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

from .. import scopes
from ..audit import Draft, record
from ..data.models import DataSection
from ..errors import LambdaArkError, UsageError
from ..kinds.referenced_by import describe as describe_dependent
from ..repository import Repository
from ..repository.crypto import MasterKey
from ..repository.diff import diff_snapshots, function_rows
from ..repository.policy import parse_group_by
from . import app
from .audit_hook import audited
from .common import (
    JsonOpt,
    PasswordCommandOpt,
    PasswordFileOpt,
    RepoOpt,
    console,
    env_password,
    print_json,
    read_password,
)
from .from_repo import FromPasswordCommandOpt, FromPasswordFileOpt, from_password
from .transfer import S3EndpointOpt, transfer

key_app = typer.Typer(help="Manage the keys (passphrases, KMS keys) that open a repository.",
                      no_args_is_help=True)
app.add_typer(key_app, name="key")


class Partial(LambdaArkError):
    """Some of the work could not be done (exit 3). Raised, not typer.Exit: main() runs click with
    standalone_mode=False, where click returns an Exit's code instead of exiting with it."""

    exit_code = 3


KmsOpt = Annotated[str | None, typer.Option("--kms-key-id", help="KMS key (id, ARN or alias) to wrap the key.")]


def open_repo(url: str, master: MasterKey | None = None) -> Repository:
    """Open with KMS keys if reachable, else the password (flags, env, file, command, or a prompt);
    or with `master`, a master key in hand, when it opens this repository (a replica of its owner's)."""
    return Repository.open(url, password=env_password(), ask_password=read_password, transfer=transfer(),
                           master=master)


def warn(repo: Repository) -> None:
    """What the repository worked around (a bad index file, an unreadable snapshot), on stderr."""
    for message in repo.warnings:
        typer.echo(f"warning: {message}", err=True)


def emit_json(repo: Repository, doc: dict[str, Any]) -> None:
    """A command's JSON result, with the repository's warnings inside rather than on stderr."""
    print_json(doc | {"warnings": [*doc.get("warnings", []), *repo.warnings]})


@contextmanager
def progress_bars(enabled: bool) -> Iterator[Callable[[str, int, int], None] | None]:
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


def size(n: Any) -> str:
    if not isinstance(n, int):
        return ""
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return str(n)


@app.command()
def init(
    repo: RepoOpt,
    kms_key_id: KmsOpt = None,
    retention_days: Annotated[int | None, typer.Option(
        "--retention-days", min=1, help="S3 Object Lock retention for new objects (default: the bucket's).")] = None,
    from_repo: Annotated[str | None, typer.Option(
        "--from-repo", help="Make this repository a replica of that one: it shares its master key and chunker, so "
                            "`copy` moves packs as they are and resumes where it stopped. Its password: "
                            "--from-password-file / LAMBDA_ARK_FROM_PASSWORD, else the same.")] = None,
    from_password_file: FromPasswordFileOpt = None,
    from_password_command: FromPasswordCommandOpt = None,
    s3_endpoint: S3EndpointOpt = None,
    create_bucket: Annotated[bool, typer.Option(
        "--create-bucket", help="Create the S3 bucket too: Block Public Access, default encryption (with "
        "--kms-key-id's key when given), versioning, a TLS-only policy, Object Lock with --retention-days.")] = False,
    json_out: JsonOpt = False,
    password_file: PasswordFileOpt = None,
    password_command: PasswordCommandOpt = None,
) -> None:
    """Create an encrypted repository (password from LAMBDA_ARK_PASSWORD, a file, a command, or a prompt; or KMS).

    Example: lambda-ark init --repo s3://my-backups/ark --kms-key-id alias/lambda-ark

    A replica in another region, on site or at the edge (then `lambda-ark copy --from-repo …`):
    lambda-ark init --repo s3://dr-backups-eu/ark --from-repo s3://my-backups/ark

    A new bucket set up for backups (write-once for 30 days):
    lambda-ark init --repo s3://acme-ark/prod --create-bucket --kms-key-id alias/ark --retention-days 30
    """
    if create_bucket and not repo.startswith("s3://"):
        raise UsageError(f"--create-bucket: {repo} is not an AWS S3 repository (s3://bucket/prefix)")
    source = Repository.open(from_repo, password=from_password(), transfer=transfer()) if from_repo else None
    password = env_password() if kms_key_id else read_password(confirm=True)
    if not password and not kms_key_id:
        raise UsageError("no password: set LAMBDA_ARK_PASSWORD, --password-file or --password-command, "
                         "or use --kms-key-id")
    bucket = None
    if create_bucket:
        from ..aws import connect
        from ..repository.backends.s3_bucket import create_repository_bucket

        bucket = create_repository_bucket(connect(), repo, kms_key_id=kms_key_id,
                                          object_lock=retention_days is not None)
    r = Repository.init(repo, password=password, kms_key_id=kms_key_id, retention_days=retention_days,
                        transfer=transfer(), copy_of=source)
    # The log's first event: who made the repository, and of what
    if (problem := record(r, Draft(command="init", scope={"replica_of": source.url} if source else {},
                                   counts={"retention_days": retention_days} if retention_days else {}))):
        typer.echo(f"warning: {problem}", err=True)
    if json_out:
        print_json({"url": r.url, "id": r.config.id, "version": r.config.version, "keys": r.list_keys(),
                    "replica_of": source.url if source else None,
                    "bucket": bucket.__dict__ if bucket else None})
    else:
        if bucket:
            typer.echo(f"bucket {bucket.bucket} ({bucket.region}): {', '.join(bucket.done)}")
        of = f", a replica of {source.url}" if source else ""
        typer.echo(f"created repository {r.config.id[:8]} (format {r.config.version}) at {r.url}{of}")


@key_app.command("add")
def key_add(repo: RepoOpt, kms_key_id: KmsOpt = None, json_out: JsonOpt = False,
            password_file: PasswordFileOpt = None, password_command: PasswordCommandOpt = None) -> None:
    """Add a key: a new password (LAMBDA_ARK_NEW_PASSWORD, LAMBDA_ARK_NEW_PASSWORD_FILE or prompt) or a KMS key.

    Example: lambda-ark key add --repo /backups/ark --kms-key-id arn:aws:kms:eu-west-1:111122223333:key/…
    """
    r = open_repo(repo)
    new_password = None if kms_key_id else _new_password()
    with audited(r, "key add", {"kms_key_id": kms_key_id}) as event:
        key_id = r.add_key(password=new_password, kms_key_id=kms_key_id)
        event.scope["key"] = key_id
    if json_out:
        print_json({"added": key_id})
    else:
        typer.echo(f"added key {key_id[:8]}")


def _new_password() -> str:
    if (pw := os.environ.get("LAMBDA_ARK_NEW_PASSWORD")) is not None:
        return pw
    if (path := os.environ.get("LAMBDA_ARK_NEW_PASSWORD_FILE")) is not None:
        try:
            return Path(path).expanduser().read_text().rstrip("\r\n")
        except OSError as exc:
            raise UsageError(f"cannot read LAMBDA_ARK_NEW_PASSWORD_FILE {path}: {exc.strerror}") from exc
    if sys.stdin.isatty():
        return str(typer.prompt("new password", hide_input=True, confirmation_prompt=True))
    raise UsageError("no new password: set LAMBDA_ARK_NEW_PASSWORD or use --kms-key-id")


@key_app.command("list")
def key_list(repo: RepoOpt, json_out: JsonOpt = False,
             password_file: PasswordFileOpt = None, password_command: PasswordCommandOpt = None) -> None:
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
    console().print(table)


@key_app.command("remove")
def key_remove(repo: RepoOpt, key_id: Annotated[str, typer.Argument(help="Key id or unique prefix.")],
               password_file: PasswordFileOpt = None, password_command: PasswordCommandOpt = None) -> None:
    """Remove a key (never the last one).

    Example: lambda-ark key remove --repo /backups/ark 3f2a9c1b
    """
    r = open_repo(repo)
    with audited(r, "key remove", {"key": key_id}) as event:
        event.scope["key"] = removed = r.remove_key(key_id)
    typer.echo(f"removed key {removed[:8]}")


def _count(summary: dict[str, Any], key: str, old_key: str) -> str:
    """Backup counts: `captured` / `unchanged` since they were named so, `changed` / `carried_forward` before."""
    value = summary.get(key, summary.get(old_key))
    return "" if value is None else str(value)


@app.command()
def snapshots(repo: RepoOpt, tag: Annotated[list[str] | None, typer.Option("--tag", help="Only with tag.")] = None,
              group_by: Annotated[str | None, typer.Option(
                  "--group-by", help="Show snapshots in series: scope (what a backup covered: account, regions, "
                  "shard), tags, host, or a comma list; each group names what its scope covers.")] = None,
              json_out: JsonOpt = False,
              password_file: PasswordFileOpt = None, password_command: PasswordCommandOpt = None) -> None:
    """List snapshots, oldest first (--json: a list; warnings then go to stderr).

    Example: lambda-ark snapshots --repo /backups/ark --json

    A sharded job's newest snapshot of every account, region and shard (what restore
    --latest-per-scope restores):

    \b
        lambda-ark snapshots --repo s3://acme-ark/prod --tag job:critical --group-by scope
    """
    fields = parse_group_by(group_by) if group_by is not None else None
    r = open_repo(repo)
    infos = [s for s in r.snapshots() if set(tag or []) <= set(s.tags)]
    if fields is not None:
        _grouped(r, infos, fields, json_out)
        return
    warn(r)  # the listing stays a JSON list, so what was skipped is said on stderr
    if json_out:
        print_json([s.model_dump(mode="json") for s in infos])
        return
    console().print(_snapshot_table(infos))
    typer.echo(f"{len(infos)} snapshots")


def _snapshot_table(infos: list[Any]) -> Table:
    table = Table("ID", "Time (UTC)", "Host", "Tags", "Functions", "Captured", "Unchanged", "Added")
    for s in infos:
        table.add_row(s.id[:8], f"{s.time.astimezone(UTC):%Y-%m-%d %H:%M:%S}", s.host, ",".join(s.tags),
                      str(s.summary.get("functions", "")), _count(s.summary, "captured", "changed"),
                      _count(s.summary, "unchanged", "carried_forward"), size(s.summary.get("bytes_added")))
    return table


def _grouped(r: Repository, infos: list[Any], fields: tuple[str, ...], json_out: bool) -> None:
    """One table per series; a scope is named by what its newest snapshot covers (one read per group)."""
    groups = scopes.group(infos, fields)
    docs = []
    for key, members in sorted(groups.items(), key=lambda kv: (kv[1][-1].time, kv[1][-1].id)):
        covers = scopes.describe(r.load_snapshot(members[-1].id)) if "scope" in fields else ""
        docs.append({"group": {k: (list(v) if isinstance(v, tuple) else v) for k, v in key},
                     "covers": covers, "latest": members[-1].id,
                     "snapshots": [m.model_dump(mode="json") for m in members]})
        if not json_out:
            label = ", ".join(f"{k} {','.join(v) if isinstance(v, tuple) else (v[:16] or '-')}" for k, v in key)
            typer.echo(f"{label}" + (f": {covers}" if covers else ""))
            console().print(_snapshot_table(members))
    if json_out:
        emit_json(r, {"groups": docs})
        return
    warn(r)
    typer.echo(f"{len(infos)} snapshots in {len(groups)} groups")


@app.command()
def show(repo: RepoOpt, snapshot: Annotated[str, typer.Argument(help="Id, unique prefix, or 'latest'.")],
         json_out: JsonOpt = False,
         password_file: PasswordFileOpt = None, password_command: PasswordCommandOpt = None) -> None:
    """Show a snapshot's functions (names, regions, fingerprints, recorded kinds; never their settings),
    then, per function, the invokers its resource policy lets in that no kind captured and the
    dependents (state machines, other functions) that name it; then the event-source resources it
    holds data of (backup --data).

    Example: lambda-ark show --repo /backups/ark latest
    """
    r = open_repo(repo)
    snap = r.load_snapshot(snapshot)
    rows = function_rows(snap)
    data = [res.row() for res in DataSection.model_validate(snap.body.get("data") or {}).resources]
    if json_out:
        emit_json(r, snap.info().model_dump(mode="json") | {"functions": rows, "data": data,
                                                            "files": len(snap.files)})
        return
    warn(r)
    typer.echo(f"snapshot {snap.id[:8]} at {snap.time.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC on {snap.host}"
               + (f" tags {','.join(snap.tags)}" if snap.tags else ""))
    table = Table("Account", "Region", "Function", "Fingerprint", "Recorded")
    for row in rows:
        table.add_row(row["account"], row["region"], row["name"], row["fingerprint"][:12], ",".join(row["items"]))
    console().print(table)
    for row in rows:  # what the table cannot say: invokers nobody captured, and who depends on it
        lines = [*row["not_captured"], *(f"referenced by {describe_dependent(e)}" for e in row["referenced_by"])]
        if lines:
            typer.echo(f"{row['name']} ({row['region']}, {row['account']}):")
            for line in lines:
                typer.echo(f"  {line}")
    if data:  # backup --data: the event sources and what of them is held
        held = Table("Source", "Account", "Region", "Resource", "Holds", "Captured")
        for d in data:
            held.add_row(d["source"], d["account"], d["region"], d["name"], d["contents"], d["captured_at"][:19])
        console().print(held)
    typer.echo(f"{len(rows)} functions, {len(data)} event-source resources, {len(snap.files)} stored files"
               if data else f"{len(rows)} functions, {len(snap.files)} stored files")


@app.command()
def diff(repo: RepoOpt, a: Annotated[str, typer.Argument(help="Older snapshot.")],
         b: Annotated[str, typer.Argument(help="Newer snapshot.")], json_out: JsonOpt = False,
         password_file: PasswordFileOpt = None, password_command: PasswordCommandOpt = None) -> None:
    """Functions added, removed and changed between two snapshots, and which fields changed (names, never values).

    Example: lambda-ark diff --repo /backups/ark 1a2b3c4d latest
    """
    r = open_repo(repo)
    result = diff_snapshots(r.load_snapshot(a), r.load_snapshot(b))
    if json_out:
        emit_json(r, result)
        return
    warn(r)
    for key in result["added"]:
        typer.echo(f"+ {key}")
    for key in result["removed"]:
        typer.echo(f"- {key}")
    for change in result["changed"]:
        typer.echo(f"M {change['key']}  ({', '.join(change['kinds']) or 'fingerprint'})")
        for name in change["fields"]:
            typer.echo(f"    {name}")
    typer.echo(f"{len(result['added'])} added, {len(result['removed'])} removed, "
               f"{len(result['changed'])} changed, {result['unchanged']} unchanged")
