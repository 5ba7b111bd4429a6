"""A backup killed with SIGKILL mid-upload leaves no snapshot, a clean check, and reusable packs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from lambda_ark.repository import Repository, check

from . import _killed_writer
from .conftest import PASSWORD, snapshot

PACKS_BEFORE_KILL = 12


def test_killed_backup_is_invisible_and_resumable(tmp_path: Path) -> None:
    url = str(tmp_path / "repo")
    repo = Repository.init(url, password=PASSWORD, pack_size=512 * 1024)
    child = subprocess.Popen(
        [sys.executable, _killed_writer.__file__, url, PASSWORD],
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    index_dir = Path(url, "index")
    try:
        for _ in range(3000):  # poll for progress (not a timing assertion: we wait for an event)
            if child.poll() is not None or (index_dir.is_dir() and len(list(index_dir.iterdir())) >= PACKS_BEFORE_KILL):
                break
            time.sleep(0.02)
        assert child.poll() is None, "the writer exited on its own"
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.kill()
        child.wait()
    assert child.returncode == -signal.SIGKILL

    assert repo.snapshots() == []
    result = check(repo, read_data=True)
    assert result.ok, result.errors
    uploaded = len(list(index_dir.iterdir()))
    assert uploaded >= PACKS_BEFORE_KILL

    # The next run writes the files the killed one had certainly finished, plus new ones.
    n = PACKS_BEFORE_KILL * 2  # 2 files of ~200 KB per 512 KB pack
    new = 10
    with repo.writer() as w:
        refs = {str(i): w.put_file(_killed_writer.payload(i)) for i in range(n)}
        refs |= {f"new{j}": w.put_file(_killed_writer.payload(10**6 + j)) for j in range(new)}
        w.commit(snapshot(refs))
        added = w.bytes_added
    total = 200_000 * (n + new)
    assert added < 0.5 * total, (added, total)  # most of it was reused
    assert added >= 200_000 * new  # and the new files really were stored
    assert [s.id for s in repo.snapshots()] != []
    assert repo.read_file(refs["0"]) == _killed_writer.payload(0)
    assert check(repo, read_data=True).ok
