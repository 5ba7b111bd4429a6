"""repair index rebuilds the index from pack headers; migrate gives format-1 packs their headers."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from lambda_ark.errors import IntegrityError
from lambda_ark.repository import Repository, check, migrate, repair_index, repair_snapshots
from lambda_ark.snapshot_repair import drop_lost_files

from .conftest import PASSWORD, make_zip, package, snapshot
from .test_format import DATA


def _backups(repo: Repository, n: int = 3) -> dict[str, bytes]:
    made = {}
    for release in range(n):
        data = make_zip(package(release, changed=(release, release + 1), n=25))
        with repo.writer() as w:
            made[w.commit(snapshot({"code": w.put_file(data)}))] = data
    return made


def _restores(repo: Repository, made: dict[str, bytes]) -> None:
    fresh = Repository.open(repo.url, password=PASSWORD)
    for snap_id, data in made.items():
        assert fresh.read_file(fresh.load_snapshot(snap_id).files["code"]) == data
    assert fresh.warnings == []
    assert check(fresh, read_data=True).ok


def test_repair_index_after_every_index_file_is_lost(local_repo: Repository) -> None:
    made = _backups(local_repo)
    files = sorted(Path(local_repo.url, "index").iterdir())
    assert len(files) > 2
    for i, path in enumerate(files):  # some deleted, some truncated, one overwritten by another
        if i % 3 == 0:
            path.unlink()
        elif i % 3 == 1:
            path.write_bytes(path.read_bytes()[:20])
        else:
            shutil.copy(files[1], path)
    left = {f"index/{p.name}" for p in files if p.exists()}
    with pytest.raises(IntegrityError, match="not in the index"):
        _restores(local_repo, made)
    result = repair_index(local_repo)
    assert result.from_headers == result.packs > 2 and result.errors == [] and result.from_index == 0
    assert set(result.removed) == left
    assert [o.name for o in local_repo.backend.list("index/")] == result.written
    _restores(local_repo, made)


def test_repair_index_keeps_format_1_entries_and_names_what_it_cannot_rebuild(tmp_path: Path) -> None:
    shutil.copytree(DATA / "v1-repo", tmp_path / "v1")
    repo = Repository.open(str(tmp_path / "v1"), password=PASSWORD)
    lost = sorted(Path(repo.url, "index").iterdir())[0]
    lost.write_bytes(b"\x00" * 10)
    result = repair_index(repo)
    assert (result.packs, result.from_headers, result.from_index) == (2, 0, 1)
    assert len(result.errors) == 1 and "no index file lists it" in result.errors[0]
    assert any(lost.name in w for w in result.warnings)


def test_migrate_then_repair_rebuilds_a_format_1_repository(tmp_path: Path) -> None:
    shutil.copytree(DATA / "v1-repo", tmp_path / "v1")
    repo = Repository.open(str(tmp_path / "v1"), password=PASSWORD)
    made = {s.id: (DATA / f"v1-code-{i}.zip").read_bytes() for i, s in enumerate(repo.snapshots())}
    old_packs = {o.name for o in repo.backend.list("data/")}
    result = migrate(repo)
    assert (result.from_version, result.to_version, result.packs_rewritten) == (1, 2, 2)
    assert result.errors == [] and result.warnings == []
    assert repo.config.version == 2 and not old_packs & {o.name for o in repo.backend.list("data/")}
    assert Repository.open(repo.url, password=PASSWORD).config.version == 2
    assert migrate(repo).packs_rewritten == 0  # nothing left to do
    _restores(repo, made)
    for path in Path(repo.url, "index").iterdir():
        path.unlink()
    assert repair_index(repo).from_headers == 2
    _restores(repo, made)


def test_migrate_finishes_what_an_interrupted_run_left(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copytree(DATA / "v1-repo", tmp_path / "v1")
    repo = Repository.open(str(tmp_path / "v1"), password=PASSWORD)
    made = {s.id: (DATA / f"v1-code-{i}.zip").read_bytes() for i, s in enumerate(repo.snapshots())}
    def crash(*args: object, **kwargs: object) -> list[str]:
        raise KeyboardInterrupt  # killed after repacking, before the new index
    monkeypatch.setattr(sys.modules["lambda_ark.repository.migrate"], "save_index_files", crash)
    with pytest.raises(KeyboardInterrupt):
        migrate(repo)
    monkeypatch.undo()
    half = Repository.open(repo.url, password=PASSWORD)
    assert half.config.version == 1
    _restores(half, made)
    assert migrate(half).to_version == 2
    _restores(half, made)


def _record(name: str, items: dict[str, object]) -> dict[str, object]:
    return {"account": "111122223333", "region": "eu-west-1", "name": name, "fingerprint": "f",
            "arn": f"arn:aws:lambda:eu-west-1:111122223333:function:{name}", "items": items}


def _new_packs(repo: Repository, before: set[str]) -> list[Path]:
    return [Path(repo.url, o.name) for o in repo.backend.list("data/") if o.name not in before]


def _packs(repo: Repository) -> set[str]:
    return {o.name for o in repo.backend.list("data/")}


@pytest.fixture
def damaged(local_repo: Repository) -> tuple[Repository, str, str, dict[str, bytes]]:
    """One snapshot whose versions file sits in a corrupted pack and billing's code in a deleted one,
    and an intact older snapshot."""
    data = {k: make_zip(package(i, changed=tuple(range(8)), n=8)) for i, k in enumerate(["code-o", "v1", "code-b"])}
    refs = {}
    for key, blob in data.items():  # each file in packs of its own
        before = _packs(local_repo)
        with local_repo.writer() as w:
            refs[key] = w.put_file(blob)
        if key == "v1":
            for path in _new_packs(local_repo, before):
                raw = bytearray(path.read_bytes())
                raw[100] ^= 0x01
                path.write_bytes(bytes(raw))
        if key == "code-b":
            billing_packs = _new_packs(local_repo, before)
    body = {"functions": [_record("orders", {"function": {"file": "code-o"}, "versions": [{"file": "v1"}]}),
                          _record("billing", {"function": {"file": "code-b"}})], "notes": []}
    with local_repo.writer() as w:
        intact = w.commit(snapshot({"code-o": refs["code-o"]}, body={"functions": [body["functions"][0]]}))
        bad = w.commit(snapshot(refs, body=body, tags=["prod"]))
    for path in billing_packs:
        path.unlink()
    return local_repo, intact, bad, data


def test_repair_snapshots_drops_only_what_is_lost(damaged: tuple[Repository, str, str, dict[str, bytes]]) -> None:
    repo, intact, bad, data = damaged
    dry = repair_snapshots(repo, drop_lost_files, dry_run=True)
    assert [(r.id, r.lost_files, r.new_id) for r in dry.repaired] == [(bad, ["code-b", "v1"], None)]
    assert sorted(repo.snapshot_ids()) == sorted([intact, bad])  # a dry run changes nothing
    result = repair_snapshots(repo, drop_lost_files)
    assert result.errors == [] and result.checked == 2
    (done,) = result.repaired
    assert done.removed and done.new_id and sorted(repo.snapshot_ids()) == sorted([intact, done.new_id])
    fixed = repo.load_snapshot(done.new_id)
    assert fixed.tags == ["prod", "repaired"] and set(fixed.files) == {"code-o"}
    assert [f["name"] for f in fixed.body["functions"]] == ["orders"]
    assert list(fixed.body["functions"][0]["items"]) == ["function"]
    assert fixed.summary["repaired"]["from"] == bad and fixed.summary["repaired"]["dropped_files"] == ["code-b", "v1"]
    assert len(fixed.body["notes"]) == 2 == len(fixed.summary["repaired"]["notes"])
    assert repo.read_file(fixed.files["code-o"]) == data["code-o"]
    assert repair_snapshots(repo, drop_lost_files).repaired == []  # nothing left to repair


def test_repair_snapshots_names_what_it_cannot_salvage(local_repo: Repository) -> None:
    with local_repo.writer() as w:
        snap_id = w.commit(snapshot())
    path = Path(local_repo.url, "snapshots", snap_id)
    path.write_bytes(path.read_bytes()[:-1])
    result = repair_snapshots(local_repo)
    assert result.repaired == [] and len(result.errors) == 1 and f"forget {snap_id[:8]}" in result.errors[0]
    assert local_repo.snapshot_ids() == [snap_id]  # left for the user to forget
