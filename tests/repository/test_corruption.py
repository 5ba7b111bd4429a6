"""Damage is found and named: a flipped byte, a truncated pack, an edited manifest."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from lambda_ark.errors import IntegrityError
from lambda_ark.repository import Repository, check
from lambda_ark.repository.index import load_index

from .conftest import PASSWORD, CliResult, make_zip, package, snapshot


@pytest.fixture
def filled(local_repo: Repository) -> tuple[Repository, list[str]]:
    ids = []
    for release in range(2):
        with local_repo.writer() as w:
            ref = w.put_file(make_zip(package(release=release, changed=(1, 2, 3), n=40)))
            ids.append(w.commit(snapshot({"code": ref})))
    return local_repo, ids


def _packs(repo: Repository) -> list[Path]:
    return sorted(Path(repo.url, "data").rglob("*"), key=lambda p: p.stat().st_size if p.is_file() else 0)[-3:]


def test_clean_repository_checks_ok(filled: tuple[Repository, list[str]]) -> None:
    repo, _ = filled
    result = check(repo, read_data=True)
    assert result.ok and result.packs_read == result.packs >= 3, result.errors


def test_damage_is_named(filled: tuple[Repository, list[str]], cli: Callable[..., CliResult],
                         monkeypatch: pytest.MonkeyPatch) -> None:
    repo, ids = filled
    flipped, truncated, _ = _packs(repo)
    raw = bytearray(flipped.read_bytes())
    raw[len(raw) // 2] ^= 0x01
    flipped.write_bytes(bytes(raw))
    truncated.write_bytes(truncated.read_bytes()[:-100])
    manifest = Path(repo.url, "snapshots", ids[0])
    raw = bytearray(manifest.read_bytes())
    raw[-20] ^= 0xFF
    manifest.write_bytes(bytes(raw))
    before = {p: p.read_bytes() for p in Path(repo.url).rglob("*") if p.is_file()}

    monkeypatch.setenv("LAMBDA_ARK_PASSWORD", PASSWORD)
    res = cli("check", "--repo", repo.url, "--read-data")
    assert res.code == 1
    assert flipped.name in res.err and "does not match its name" in res.err
    assert f"{flipped.name} chunk" in res.err and "authentication failed" in res.err
    assert truncated.name in res.err and "truncated" in res.err
    assert f"snapshots/{ids[0]}" in res.err
    after = {p: p.read_bytes() for p in Path(repo.url).rglob("*") if p.is_file() and "locks" not in p.parts}
    assert after == {p: b for p, b in before.items() if "locks" not in p.parts}  # nothing touched


def test_structure_check_finds_missing_pack(filled: tuple[Repository, list[str]]) -> None:
    repo, _ = filled
    gone = _packs(repo)[-1]
    gone.unlink()
    result = check(repo)
    assert not result.ok
    assert any(gone.name in e and "missing" in e for e in result.errors)


def test_read_file_names_bad_pack(filled: tuple[Repository, list[str]]) -> None:
    repo, ids = filled
    for pack in _packs(repo):
        raw = bytearray(pack.read_bytes())
        raw[40] ^= 0x01  # inside the first chunk of each pack
        pack.write_bytes(bytes(raw))
    fresh = Repository.open(repo.url, password=PASSWORD)
    snap = fresh.load_snapshot(ids[1]) if _readable(fresh, ids[1]) else None
    with pytest.raises(IntegrityError, match=r"data/[0-9a-f]{2}/[0-9a-f]{64}"):
        if snap is None:
            fresh.load_snapshot(ids[1])
        else:
            fresh.read_file(snap.files["code"])


def _readable(repo: Repository, snap_id: str) -> bool:
    try:
        repo.load_snapshot(snap_id)
    except IntegrityError:
        return False
    return True


def test_subset(filled: tuple[Repository, list[str]]) -> None:
    repo, _ = filled
    some = check(repo, subset="50%")
    assert some.ok and 0 < some.packs_read < some.packs
    groups = [check(repo, subset=f"{i}/3").packs_read for i in (1, 2, 3)]
    assert sum(groups) == some.packs


def test_check_lists_every_problem_and_json_stays_valid(filled: tuple[Repository, list[str]],
                                                        cli: Callable[..., CliResult],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    repo, ids = filled
    with repo.writer() as w:  # a third snapshot whose tree and code live in packs of their own
        third = w.commit(snapshot({"code": w.put_file(make_zip(package(release=5, changed=tuple(range(40)), n=40)))}))
    pack = _packs_of(repo, third)[0]
    gone = Path(repo.url, "data", pack[:2], pack)
    gone.unlink()
    files = load_index(repo.backend, repo.key).files
    damaged_index = Path(repo.url, sorted(name for name, packs in files.items() if pack not in packs)[0])
    damaged_index.write_bytes(damaged_index.read_bytes()[:-3])
    manifest = Path(repo.url, "snapshots", ids[0])
    manifest.write_bytes(manifest.read_bytes()[:-5])
    monkeypatch.setenv("LAMBDA_ARK_PASSWORD", PASSWORD)
    for args in ((), ("--read-data",)):
        res = cli("check", "--repo", repo.url, "--json", *args)
        assert res.code == 1, res.err
        out = json.loads(res.out)  # stdout is one JSON document, errors or not
        assert out["ok"] is False and len(out["errors"]) >= 3
        text = "\n".join(out["errors"])
        assert f"index/{damaged_index.name}" in text
        assert gone.name in text and "missing" in text
        assert f"snapshots/{ids[0]}" in text
        assert f"snapshots/{third}" in text  # the walk went on past the damage
        assert out["snapshots"] == 3
    res = cli("check", "--repo", repo.url, "--read-data")
    assert res.code == 1 and f"{len(out['errors'])} errors" in res.out
    assert res.err.count("error: ") >= 3


def _packs_of(repo: Repository, snap_id: str) -> list[str]:
    """Packs holding the chunks of `snap_id`'s tree (read through a fresh, intact index)."""
    fresh = Repository.open(repo.url, password=PASSWORD)
    index = fresh.index()
    head = fresh._header(snap_id)
    return sorted({index.lookup(c)[0].pack for c in head.tree.chunks})
