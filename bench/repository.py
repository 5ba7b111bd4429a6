"""Storage engine figures: backup/restore throughput and stored bytes over 30 releases.

    .venv/bin/python bench/repository.py [--releases 30] [--throughput-packages N]

Packages come from the installed environment (site-packages), zipped the way Lambda deploy
packages are (deflate). The release series models a real project: each release changes a few
modules (new content and timestamp) and keeps the rest byte-identical. Prints figures, asserts
nothing.
"""

from __future__ import annotations

import argparse
import io
import random
import sys
import tempfile
import time
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pydantic

from lambda_ark.repository import Repository, Snapshot

SITE = Path(pydantic.__file__).parent.parent
RELEASE_PACKAGES = ["pydantic", "pydantic_core", "rich", "yaml", "typer", "click", "annotated_types"]
THROUGHPUT_PACKAGES = ["botocore", "moto", "networkx", "pygments", "cryptography", "mypy", "setuptools"]


def read_tree(names: list[str]) -> dict[str, tuple[bytes, tuple[int, ...]]]:
    files: dict[str, tuple[bytes, tuple[int, ...]]] = {}
    for name in names:
        root = SITE / name
        if not root.is_dir():
            continue
        for path in sorted(root.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                mtime = time.localtime(path.stat().st_mtime)[:6]
                files[str(path.relative_to(SITE))] = (path.read_bytes(), (max(1980, mtime[0]), *mtime[1:]))
    return files


def zip_tree(files: dict[str, tuple[bytes, tuple[int, ...]]]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, (data, stamp) in files.items():
            info = zipfile.ZipInfo(name, date_time=stamp)  # type: ignore[arg-type]
            info.compress_type = zipfile.ZIP_DEFLATED  # ZipInfo defaults to stored
            zf.writestr(info, data)
    return buf.getvalue()


def release_series(n: int, changes_per_release: int = 4) -> list[bytes]:
    files = read_tree(RELEASE_PACKAGES)
    files["handler.py"] = (b"def handler(event, context):\n    return {'release': 0}\n", (2024, 1, 1, 0, 0, 0))
    py = sorted(k for k in files if k.endswith(".py"))
    rnd = random.Random(7)
    out = []
    for r in range(n):
        if r:
            stamp = (2024, 1 + r // 28, 1 + r % 28, 12, 0, 0)
            files["handler.py"] = (f"def handler(event, context):\n    return {{'release': {r}}}\n".encode(), stamp)
            for name in rnd.sample(py, changes_per_release):
                data, _ = files[name]
                files[name] = (data + f"\n# release {r}: fix {rnd.getrandbits(32):08x}\n".encode(), stamp)
        out.append(zip_tree(files))
    return out


def stored_bytes(repo: Repository) -> int:
    return sum(o.size for prefix in ("data/", "index/", "snapshots/") for o in repo.backend.list(prefix))


def throughput(tmp: Path, packages: list[str]) -> None:
    zips = [z for z in (zip_tree(read_tree([p])) for p in packages) if len(z) > 22]
    total = sum(len(z) for z in zips)
    repo = Repository.init(str(tmp / "throughput"), password="bench")
    t0 = time.perf_counter()
    with repo.writer() as w:
        refs = {str(i): w.put_file(z) for i, z in enumerate(zips)}
        w.commit(Snapshot(time=datetime.now(UTC), host="bench", files=refs))
    backup = time.perf_counter() - t0
    t0 = time.perf_counter()
    fresh = Repository.open(repo.url, password="bench")
    snap = fresh.load_snapshot("latest")
    for key, ref in snap.files.items():
        assert fresh.read_file(ref) == zips[int(key)]
    restore = time.perf_counter() - t0
    mb = total / 1e6
    print(f"throughput: {len(zips)} zips, {mb:.1f} MB (local folder repository, 1 thread)")
    print(f"  backup   {mb / backup:7.1f} MB/s  ({backup:.2f} s), stored {stored_bytes(repo) / 1e6:.1f} MB")
    print(f"  restore  {mb / restore:7.1f} MB/s  ({restore:.2f} s), byte-identical")


def releases(tmp: Path, n: int) -> None:
    zips = release_series(n)
    repo = Repository.init(str(tmp / "releases"), password="bench")
    added = []
    for i, z in enumerate(zips):
        with repo.writer() as w:
            ref = w.put_file(z)
            w.commit(Snapshot(time=datetime.now(UTC), host="bench", files={"code": ref}, body={"release": i}))
            added.append(w.bytes_added)
    assert repo.read_file(repo.load_snapshot("latest").files["code"]) == zips[-1]
    one, naive, stored = len(zips[0]), sum(len(z) for z in zips), stored_bytes(repo)
    members = len(zipfile.ZipFile(io.BytesIO(zips[0])).infolist())
    print(
        f"releases: {n} releases of a {one / 1e6:.2f} MB package ({members}"
        f" members: {', '.join(RELEASE_PACKAGES)}), 4 modules + handler changed per release"
    )
    print(f"  first release stored     {added[0] / 1e6:8.2f} MB")
    print(f"  each later release adds  {sum(added[1:]) / max(1, n - 1) / 1e3:8.1f} KB on average")
    print(f"  naive (every zip kept)   {naive / 1e6:8.2f} MB = {naive / one:.1f}x one copy")
    print(
        f"  repository               {stored / 1e6:8.2f} MB = {stored / one:.2f}x one copy "
        f"(target < 1.5x), {naive / stored:.1f}x smaller than naive"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--releases", type=int, default=30)
    parser.add_argument("--throughput-packages", type=int, default=len(THROUGHPUT_PACKAGES))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        throughput(Path(tmp), THROUGHPUT_PACKAGES[: args.throughput_packages])
        releases(Path(tmp), args.releases)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
