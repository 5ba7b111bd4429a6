"""The estate's code history as a git repository (dulwich): one commit per snapshot, in time order.

Each commit's tree holds, per function, `REGION/FUNCTION/` (`ACCOUNT/REGION/FUNCTION/` when the
snapshot spans several accounts):

    function.json            what the snapshot recorded (configuration, aliases, policy, triggers…),
                             environment values replaced by <redacted:sha256-prefix>
    code/…                   $LATEST's package, unpacked
    versions/N/version.json  each published version's description and configuration (redacted)
    versions/N/code/…        its package, unpacked

Each published version also gets a tag `FUNCTION/vN` (`REGION/FUNCTION/vN` when another function
of that name already holds it) on a commit whose tree is just that version (its `version.json` as
`function.json`, and `code/`), made on top of the snapshot commit that first recorded it: `git diff
orders/v1 orders/v2` shows a release, `git log -p` how every function changed. Commits carry the
snapshot's time and a `Lambda-Ark-Snapshot:` trailer; a re-run adds only snapshots newer than the
last one exported (an older one found later cannot be inserted into history: it is reported).
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import stat
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dulwich import porcelain
from dulwich.objects import Blob, Commit, ObjectID, Tree
from dulwich.refs import Ref
from dulwich.repo import Repo

from ..errors import UsageError
from ..model import BackupBody, FunctionRecord
from ..repository import Repository, Snapshot, SnapshotInfo

BRANCH = Ref(b"refs/heads/main")
TRAILER = "Lambda-Ark-Snapshot"
IDENTITY = b"lambda-ark <lambda-ark@localhost>"
Progress = Callable[[str], None]
Entry = tuple[int, ObjectID]  # a tree entry: mode, and the id of a blob or a tree
_TRAILER_RE = re.compile(rf"^{TRAILER}: ([0-9a-f]+)$", re.M)


@dataclass
class GitExportResult:
    out: str
    exported: list[str] = field(default_factory=list)  # snapshot ids committed this run, oldest first
    tags: list[str] = field(default_factory=list)  # tags added this run
    skipped: list[str] = field(default_factory=list)  # why a snapshot was not added
    head: str | None = None  # the branch's commit after the run

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def redact(value: str) -> str:
    return f"<redacted:{hashlib.sha256(value.encode()).hexdigest()[:12]}>"


def export_git(repo: Repository, out: Path, *, until: str | None = None,
               progress: Progress | None = None) -> GitExportResult:
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out} is a file, not a folder")
    if out.exists() and not (out / ".git").exists() and any(out.iterdir()):
        raise UsageError(f"--out {out} holds files but no git repository: give an empty folder, or one an "
                         "earlier `export --format git` wrote")
    git = Repo(str(out)) if (out / ".git").exists() else Repo.init(str(out), mkdir=not out.exists())
    result = GitExportResult(str(out))
    head = git.refs[BRANCH] if BRANCH in git.refs.keys() else None
    done = _history(git, head)
    infos = repo.snapshots()
    last = max(((i.time, i.id) for i in infos if i.id in done), default=None)
    if until is not None:
        cutoff = repo.resolve(until)
        infos = infos[: next(i for i, s in enumerate(infos) if s.id == cutoff) + 1]
    builder = _Builder(git, repo)
    for info in infos:
        if info.id in done:
            continue
        if last is not None and (info.time, info.id) < last:
            result.skipped.append(f"snapshot {info.id[:8]} ({info.time:%Y-%m-%d %H:%M:%S}) is older than the "
                                  "history already exported; git history cannot take it in between")
            continue
        snap = repo.load_snapshot(info.id)
        head = builder.commit(snap, head)
        result.exported.append(info.id)
        result.tags += builder.tag_versions(snap, head)
        last = (info.time, info.id)
        if progress:
            progress(f"committed snapshot {info.id[:8]} ({info.time:%Y-%m-%d %H:%M:%S})")
    if head is not None:  # the run is visible only now: the tags, then the branch
        for name, commit in builder.pending_tags.items():
            git.refs[Ref(f"refs/tags/{name}".encode())] = commit
        git.refs[BRANCH] = head
        git.refs.set_symbolic_ref(Ref(b"HEAD"), BRANCH)
        if result.exported:
            porcelain.reset(git, "hard", head)  # the working tree shows the newest snapshot
        result.head = head.decode()
    return result


def _history(git: Repo, head: ObjectID | None) -> set[str]:
    """Snapshot ids already committed on the branch (from the commits' trailers)."""
    done: set[str] = set()
    if head is not None:
        for entry in git.get_walker(include=[head]):
            m = _TRAILER_RE.search(entry.commit.message.decode(errors="replace"))
            if m:
                done.add(m.group(1))
    return done


class _Builder:
    def __init__(self, git: Repo, repo: Repository) -> None:
        self.git, self.repo = git, repo
        self.store = git.object_store
        self.code_trees: dict[str, ObjectID] = {}  # package (snapshot file key) -> tree of its unpacked files
        self.pending_tags: dict[str, ObjectID] = {}  # written with the branch, at the end of the run

    def blob(self, data: bytes) -> ObjectID:
        b = Blob.from_string(data)
        self.store.add_object(b)
        return b.id

    def tree(self, entries: dict[str, Entry]) -> ObjectID:
        t = Tree()
        for name, (mode, sha) in entries.items():
            t.add(name.encode(), mode, sha)
        self.store.add_object(t)
        return t.id

    def nested(self, files: dict[str, Entry]) -> ObjectID:
        """A tree from paths ('a/b/c.py') to (mode, sha) of blobs or trees."""
        top: dict[str, Entry] = {}
        subdirs: dict[str, dict[str, Entry]] = {}
        for path, entry in files.items():
            head, sep, rest = path.partition("/")
            if sep:
                subdirs.setdefault(head, {})[rest] = entry
            else:
                top[path] = entry
        for name, inner in subdirs.items():
            top[name] = (stat.S_IFDIR, self.nested(inner))
        return self.tree(top)

    def code_tree(self, snap: Snapshot, key: str) -> ObjectID:
        if key not in self.code_trees:
            data = self.repo.read_file(snap.files[key])
            files: dict[str, Entry] = {}
            try:
                with zipfile.ZipFile(io.BytesIO(data)) as zf:
                    for info in zf.infolist():
                        if info.is_dir() or ".." in Path(info.filename).parts:
                            continue
                        executable = (info.external_attr >> 16) & 0o111
                        mode = 0o100755 if executable else 0o100644
                        files[info.filename.lstrip("/")] = (mode, self.blob(zf.read(info)))
            except zipfile.BadZipFile:
                files["package.bin"] = (0o100644, self.blob(data))
            self.code_trees[key] = self.nested(files) if files else self.tree({})
        return self.code_trees[key]

    def function_files(self, snap: Snapshot, rec: FunctionRecord) -> dict[str, Entry]:
        items = json.loads(json.dumps(rec.items, default=str))
        fn = items.get("function") or {}
        _redact_config(fn.get("config"))
        versions = items.pop("versions", None) or []
        doc = {"name": rec.name, "account": rec.account, "region": rec.region, "arn": rec.arn, **items}
        files = {"function.json": (0o100644, self.blob(_json(doc)))}
        if fn.get("file") in snap.files:
            files["code"] = (stat.S_IFDIR, self.code_tree(snap, fn["file"]))
        for v in versions:
            files[f"versions/{v['version']}"] = (stat.S_IFDIR, self.version_tree(snap, v))
        return files

    def version_tree(self, snap: Snapshot, v: dict[str, Any]) -> ObjectID:
        _redact_config(v.get("config"))
        entries = {"version.json": (0o100644, self.blob(_json(v)))}
        if v.get("file") in snap.files:
            entries["code"] = (stat.S_IFDIR, self.code_tree(snap, v["file"]))
        return self.tree(entries)

    def commit(self, snap: Snapshot, parent: ObjectID | None) -> ObjectID:
        body = BackupBody.model_validate(snap.body)
        several = len({r.account for r in body.functions}) > 1
        files: dict[str, Entry] = {}
        for rec in body.functions:
            prefix = f"{rec.account}/{rec.region}/{rec.name}" if several else f"{rec.region}/{rec.name}"
            for path, entry in self.function_files(snap, rec).items():
                files[f"{prefix}/{path}"] = entry
        tree = self.nested(files) if files else self.tree({})
        message = (f"snapshot {snap.id[:8]}: {len(body.functions)} functions"
                   + (f" ({', '.join(snap.tags)})" if snap.tags else "")
                   + f"\n\n{TRAILER}: {snap.id}\n")
        return self._commit(tree, [parent] if parent else [], message, snap)

    def _commit(self, tree: ObjectID, parents: list[ObjectID], message: str, snap: Snapshot) -> ObjectID:
        c = Commit()
        c.tree, c.parents = tree, parents
        c.author = c.committer = IDENTITY
        c.author_time = c.commit_time = int(snap.time.timestamp())
        c.author_timezone = c.commit_timezone = 0
        c.encoding = b"UTF-8"
        c.message = message.encode()
        self.store.add_object(c)
        return c.id

    def tag_versions(self, snap: Snapshot, commit: ObjectID) -> list[str]:
        """`FUNCTION/vN` for each version not tagged yet, on a commit of that version alone."""
        added = []
        for rec in BackupBody.model_validate(snap.body).functions:
            for v in rec.items.get("versions") or []:
                who = f"{rec.account}/{rec.region}/{rec.name}"
                name = self._tag_name(rec, str(v["version"]), who, str(v.get("code_sha256", "")))
                if name is None:
                    continue
                tree = self.tree(_version_entries(self.store[self.version_tree(snap, json.loads(json.dumps(v)))]))
                message = (f"{rec.name} version {v['version']} ({rec.region})\n\n"
                           f"Function: {who}\nCode-Sha256: {v.get('code_sha256', '')}\n{TRAILER}: {snap.id}\n")
                self.pending_tags[name] = self._commit(tree, [commit], message, snap)
                added.append(name)
        return added

    def _tag_name(self, rec: FunctionRecord, version: str, who: str, code: str) -> str | None:
        """The tag for this version, or None when it is tagged already (by this same function)."""
        for name in (f"{rec.name}/v{version}", f"{rec.region}/{rec.name}/v{version}",
                     f"{rec.account}/{rec.region}/{rec.name}/v{version}"):
            ref = Ref(f"refs/tags/{name}".encode())
            if name in self.pending_tags:
                tagged = self.git[self.pending_tags[name]]
            elif ref in self.git.refs.keys():
                tagged = self.git[self.git.refs[ref]]
            else:
                return name
            message = tagged.message.decode(errors="replace") if isinstance(tagged, Commit) else ""
            if f"Function: {who}\n" in message and f"Code-Sha256: {code}\n" in message:
                return None  # the same version, seen in an earlier snapshot
        return None


def _version_entries(tree: Any) -> dict[str, Entry]:
    """A version's tree laid out like a function's: its version.json as function.json, code/."""
    out = {}
    for entry in tree.items():
        name = entry.path.decode()
        out["function.json" if name == "version.json" else name] = (entry.mode, entry.sha)
    return out


def _redact_config(config: dict[str, Any] | None) -> None:
    variables = ((config or {}).get("Environment") or {}).get("Variables")
    if variables:
        config["Environment"]["Variables"] = {k: redact(str(v)) for k, v in variables.items()}  # type: ignore[index]


def _json(doc: Any) -> bytes:
    return (json.dumps(doc, indent=2, sort_keys=True, default=str) + "\n").encode()


__all__ = ["GitExportResult", "SnapshotInfo", "export_git", "redact"]
