"""`export_iac`: a snapshot as infrastructure as code, written to a folder (and its code uploaded).

    DIR/<region>.yaml                 CloudFormation or SAM, one template per region
    DIR/<region>/main.tf.json         Terraform (AWS provider), one module per region
    DIR/code/<sha256>.zip             the packages, once each, beside the templates
(`<account>-<region>` instead of `<region>` when the snapshot spans several accounts.) Re-running
into the same folder rewrites the templates and writes only packages that are not there yet.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..aws import Aws, call
from ..errors import AwsError, LambdaArkError, UsageError
from ..kinds.common import maybe
from ..repository import Repository, Snapshot
from . import cloudformation, terraform
from .template import Template, build

IAC_FORMATS = ("cloudformation", "sam", "terraform")
Progress = Callable[[str], None]


@dataclass
class ExportResult:
    format: str
    out: str
    snapshot: str
    templates: list[str] = field(default_factory=list)  # paths written, relative to `out`
    packages: int = 0  # code packages the templates use
    packages_written: int = 0  # of those, written this run (the rest were there already)
    uploaded: list[str] = field(default_factory=list)  # s3:// URLs put this run
    notes: list[str] = field(default_factory=list)  # what could not be exported, and why

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def export_iac(repo: Repository, snapshot: Snapshot, fmt: str, out: Path, *, functions: list[str] | None = None,
               upload: str | None = None, aws: Aws | None = None, progress: Progress | None = None) -> ExportResult:
    if fmt not in IAC_FORMATS:
        raise UsageError(f"unknown format {fmt!r}: use one of {', '.join(IAC_FORMATS)} or git")
    location = parse_s3_url(upload) if upload else None
    if location is not None and aws is None:
        raise UsageError("--upload needs AWS access")
    templates = build(snapshot, functions)
    if not templates:
        raise LambdaArkError(f"snapshot {snapshot.id[:8]} has no function matching --function "
                             + " ".join(repr(f) for f in functions or []))
    result = ExportResult(fmt, str(out), snapshot.id)
    code = out / cloudformation.CODE_DIR
    code.mkdir(parents=True, exist_ok=True)

    def asset_name(key: str) -> str:
        return f"{snapshot.files[key].sha256}.zip"

    def read_text(key: str) -> str:
        return repo.read_file(snapshot.files[key]).decode("utf-8", errors="replace")

    keys = sorted({k for t in templates for k in t.packages()})
    for key in keys:
        path = code / asset_name(key)
        if not (path.exists() and path.stat().st_size == snapshot.files[key].size):
            _write(path, repo.read_file(snapshot.files[key]))
            result.packages_written += 1
    result.packages = len(keys)
    if location is not None and aws is not None:
        result.uploaded = _upload(aws, location, [code / asset_name(k) for k in keys], progress)
    several = len({t.account for t in templates}) > 1
    for t in templates:
        name = f"{t.account}-{t.region}" if several else t.region
        if fmt == "terraform":
            rel = f"{name}/main.tf.json"
            text = terraform.dump(terraform.document(t, snapshot.id, asset_name, read_text, code_path="../code"))
        else:
            rel = f"{name}.yaml"
            doc = cloudformation.document(t, snapshot.id, asset_name, read_text, sam=fmt == "sam",
                                          code_location=location)
            text = cloudformation.dump(doc)
        _write(out / rel, text.encode())
        result.templates.append(rel)
        result.notes += [f"{t.region}: {n}" for n in t.notes]
        if progress:
            progress(f"wrote {rel} ({len(t.functions)} functions, {len(t.resources)} resources)")
    return result


def parse_s3_url(url: str) -> tuple[str, str]:
    """s3://bucket/prefix -> (bucket, "prefix/")."""
    if not url.startswith("s3://") or not url[5:].split("/", 1)[0]:
        raise UsageError(f"--upload {url!r}: expected s3://bucket or s3://bucket/prefix")
    bucket, _, prefix = url[5:].partition("/")
    prefix = prefix.strip("/")
    return bucket, f"{prefix}/" if prefix else ""


def _upload(aws: Aws, location: tuple[str, str], paths: list[Path], progress: Progress | None) -> list[str]:
    """Put each package under the prefix unless an object of the same size and SHA-256 is there."""
    bucket, prefix = location
    s3 = aws.client("s3")
    done = []
    for path in paths:
        key = prefix + path.name
        data = path.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        head = maybe(s3, "head_object", Bucket=bucket, Key=key)
        if head is not None and head.get("ContentLength") == len(data) and \
                (head.get("Metadata") or {}).get("sha256") == digest:
            continue
        try:
            call(s3, "put_object", Bucket=bucket, Key=key, Body=data, Metadata={"sha256": digest})
        except AwsError as exc:
            raise AwsError(f"uploading {path.name} to s3://{bucket}/{key}: {exc}") from exc
        done.append(f"s3://{bucket}/{key}")
        if progress:
            progress(f"uploaded s3://{bucket}/{key}")
    return done


def _write(path: Path, data: bytes) -> None:
    """Write beside, then rename: a run killed halfway never leaves a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = path.with_name(f".{path.name}.partial")
    scratch.write_bytes(data)
    scratch.replace(path)


__all__ = ["IAC_FORMATS", "ExportResult", "Template", "export_iac", "parse_s3_url"]
