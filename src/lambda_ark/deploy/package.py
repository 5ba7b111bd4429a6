"""The package `deploy` uploads: lambda-ark and its dependencies built for Lambda's Python runtime, as
a zip — or, when that would exceed what Lambda takes from a zip, a container image description.

    build_package(out_dir, policy_file, architecture) -> Package

The zip holds the `lambda_ark` package without `lambda_ark.embedded` (the embedded endpoint is a test
double: it stays out of what runs in AWS), the policy file as `lambda-ark-policy.yaml`, and the
runtime dependencies of this lambda-ark (its distribution's requirements without extras) installed
by pip for the runtime's platform and Python version (wheels only: nothing is compiled here).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from ..errors import LambdaArkError
from .template import POLICY_IN_PACKAGE, RUNTIME

ZIP_LIMIT = 250 * 1024 * 1024  # Lambda: a function's unzipped code and layers, at most 250 MB
PLATFORMS = {"x86_64": "manylinux2014_x86_64", "arm64": "manylinux2014_aarch64"}
PYTHON_VERSION = RUNTIME.removeprefix("python")  # "3.12"
_SKIP = ("embedded", "__pycache__")


@dataclass
class Package:
    zip_path: Path | None  # None when only an image fits
    sha256: str = ""
    unzipped_bytes: int = 0
    dockerfile: Path | None = None  # written when the zip would be too large
    warnings: list[str] = field(default_factory=list)


def requirements() -> list[str]:
    """This lambda-ark's runtime requirements (no extras: neither moto nor the test tools)."""
    try:
        reqs = metadata.requires("lambda-ark") or []
    except metadata.PackageNotFoundError as exc:
        raise LambdaArkError("lambda-ark is not installed as a distribution: cannot tell its dependencies") from exc
    return sorted(r.split(";")[0].strip() for r in reqs if "extra ==" not in r)


def _install(target: Path, architecture: str) -> None:
    cmd = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile",
           "--target", str(target), "--platform", PLATFORMS[architecture], "--implementation", "cp",
           "--python-version", PYTHON_VERSION, "--only-binary=:all:", *requirements()]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)  # noqa: S603 - our own pip
    if done.returncode != 0:
        tail = "\n".join(line for line in done.stderr.splitlines() if not line.startswith("WARNING"))[-2000:]
        raise LambdaArkError(f"cannot install lambda-ark's dependencies for {RUNTIME} ({architecture}): {tail}")


def _source_files(root: Path) -> list[tuple[Path, str]]:
    out = []
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root.parent)
        if path.is_file() and not any(part in _SKIP for part in rel.parts) and path.suffix != ".pyc":
            out.append((path, rel.as_posix()))
    return out


def build_package(out_dir: Path, policy_file: Path, architecture: str = "x86_64") -> Package:
    """The package in `out_dir` (lambda-ark.zip, or a Dockerfile when the zip would be too large)."""
    if architecture not in PLATFORMS:
        raise LambdaArkError(f"architecture {architecture!r}: use {' or '.join(PLATFORMS)}")
    import lambda_ark

    source = Path(lambda_ark.__file__).resolve().parent
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="lambda-ark-package-") as tmp:
        deps = Path(tmp) / "deps"
        _install(deps, architecture)
        files = [(p, p.relative_to(deps).as_posix()) for p in sorted(deps.rglob("*"))
                 if p.is_file() and "__pycache__" not in p.parts and p.relative_to(deps).parts[0] != "bin"]
        files += _source_files(source)
        files.append((policy_file, POLICY_IN_PACKAGE))
        size = sum(p.stat().st_size for p, _ in files)
        if size > ZIP_LIMIT:
            return _image(out_dir, policy_file, size)
        zip_path = out_dir / "lambda-ark.zip"
        partial = zip_path.with_suffix(".zip.partial")
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as z:
            for path, name in files:
                info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))  # the same bytes for the same code
                info.external_attr = 0o644 << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                z.writestr(info, path.read_bytes())
        os.replace(partial, zip_path)
    digest = hashlib.sha256(zip_path.read_bytes()).hexdigest()
    return Package(zip_path=zip_path, sha256=digest, unzipped_bytes=size)


def _image(out_dir: Path, policy_file: Path, size: int) -> Package:
    """A container image description: Lambda takes images up to 10 GB."""
    shutil.copyfile(policy_file, out_dir / POLICY_IN_PACKAGE)
    dockerfile = out_dir / "Dockerfile"
    dockerfile.write_text(
        f"FROM public.ecr.aws/lambda/python:{PYTHON_VERSION}\n"
        f"RUN pip install --no-cache-dir 'lambda-ark=={metadata.version('lambda-ark')}'\n"
        f"COPY {POLICY_IN_PACKAGE} ${{LAMBDA_TASK_ROOT}}/{POLICY_IN_PACKAGE}\n"
        'CMD ["lambda_ark.aws_lambda.handler"]\n')
    return Package(zip_path=None, unzipped_bytes=size, dockerfile=dockerfile, warnings=[
        f"the zip would hold {size // 2**20} MiB, more than Lambda's 250 MB: build and push {dockerfile} "
        "to ECR, then deploy again with --image-uri"])
