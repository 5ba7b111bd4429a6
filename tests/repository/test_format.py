"""Format 2 (pack headers, objects bound to their names) and format 1 repositories side by side."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from lambda_ark.errors import IntegrityError
from lambda_ark.repository import Repository, check
from lambda_ark.repository.index import load_index, pack_name
from lambda_ark.repository.models import RepoConfig
from lambda_ark.repository.packfile import read_header

from .conftest import PASSWORD, make_zip, package, snapshot

DATA = Path(__file__).parent / "data"


@pytest.fixture
def v1_repo(tmp_path: Path) -> Repository:
    """A repository written by lambda-ark before format 2 (tests/repository/data, made by its code)."""
    shutil.copytree(DATA / "v1-repo", tmp_path / "v1")
    return Repository.open(str(tmp_path / "v1"), password=PASSWORD)


def _v1_code(release: int) -> bytes:
    return (DATA / f"v1-code-{release}.zip").read_bytes()


def _two_backups(repo: Repository) -> list[str]:
    ids = []
    for release in range(2):
        with repo.writer() as w:
            ids.append(w.commit(snapshot({"code": w.put_file(make_zip(package(release, changed=(release,), n=20)))})))
    return ids


def test_format_1_repository_stays_readable_and_writable(v1_repo: Repository) -> None:
    assert v1_repo.config.version == 1 and not v1_repo.bound_names
    snaps = v1_repo.snapshots()
    assert [s.host for s in snaps] == ["old", "old"]
    for release, info in enumerate(snaps):
        assert v1_repo.read_file(v1_repo.load_snapshot(info.id).files["code"]) == _v1_code(release)
    with v1_repo.writer() as w:
        w.commit(snapshot({"code": w.put_file(make_zip(package(7, n=10)))}))
    # what this version adds to a format-1 repository is still sealed the format-1 way
    for obj in v1_repo.backend.list("index/"):
        v1_repo.key.open(v1_repo.backend.get(obj.name), "index", obj.name)
    v1_repo.key.open(v1_repo.backend.get("config"), "config", "config")
    assert check(v1_repo, read_data=True).ok
    assert Repository.open(v1_repo.url, password=PASSWORD).warnings == []


def test_new_repository_is_format_2_with_pack_headers(local_repo: Repository) -> None:
    _two_backups(local_repo)
    assert local_repo.config.version == 2
    with pytest.raises(IntegrityError):
        local_repo.key.open(local_repo.backend.get("config"), "config", "config")  # bound to its name
    index = load_index(local_repo.backend, local_repo.key)
    sizes = {o.name: o.size for o in local_repo.backend.list("data/")}
    assert len(index.packs) == len(sizes) > 1
    for pack, entries in index.packs.items():
        name = pack_name(pack)
        assert read_header(local_repo.backend, local_repo.key, name, sizes[name]) == entries


def test_index_file_copied_over_another_is_refused(local_repo: Repository) -> None:
    ids = _two_backups(local_repo)
    first, second = sorted(Path(local_repo.url, "index").iterdir())[:2]
    shutil.copy(first, second)
    opened = Repository.open(local_repo.url, password=PASSWORD)
    opened.index()
    assert any(second.name in w and "skipped" in w for w in opened.warnings), opened.warnings
    result = check(opened)
    assert any(f"index/{second.name}" in e for e in result.errors), result.errors
    assert ids  # the repository still opens; what the swapped file listed now looks unindexed


def test_a_corrupt_index_file_never_blocks_intact_data(local_repo: Repository) -> None:
    data = make_zip(package(3, n=20))
    with local_repo.writer() as w:
        snap_id = w.commit(snapshot({"code": w.put_file(data)}))
    before = set(Path(local_repo.url, "index").iterdir())
    with local_repo.writer() as w:  # another run, other data: its index files list none of the above
        w.commit(snapshot({"code": w.put_file(make_zip(package(4, changed=tuple(range(20)), n=20)))}))
    truncated = sorted(set(Path(local_repo.url, "index").iterdir()) - before)[0]
    truncated.write_bytes(truncated.read_bytes()[:-7])
    local_repo.backend.put("index/" + "0" * 64, b"not an index at all")
    opened = Repository.open(local_repo.url, password=PASSWORD)
    assert opened.read_file(opened.load_snapshot(snap_id).files["code"]) == data
    assert sorted(w.split(":")[0] for w in opened.warnings) == sorted(["index/" + "0" * 64, f"index/{truncated.name}"])


def test_old_config_cannot_stand_in_for_a_format_2_one(local_repo: Repository) -> None:
    config = RepoConfig.model_validate_json(local_repo.key.open(local_repo.backend.get("config"), "config:config", "c"))
    local_repo.backend.put("config", local_repo.key.seal(config.model_dump_json().encode(), "config"))
    with pytest.raises(IntegrityError, match="sealed as format 1"):
        Repository.open(local_repo.url, password=PASSWORD)
