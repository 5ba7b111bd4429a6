"""forget removes snapshots by policy; prune removes only what nothing references."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from lambda_ark.aws import Aws
from lambda_ark.errors import IntegrityError
from lambda_ark.repository import Repository, Rules, check, forget, prune, repair_index
from lambda_ark.repository.index import load_index

from .conftest import PASSWORD, CliResult, make_bucket, make_zip, package, snapshot

T0 = datetime(2024, 3, 1, 12, tzinfo=UTC)


def _releases(repo: Repository, n: int, tags: list[str] | None = None) -> list[tuple[str, bytes]]:
    out = []
    for r in range(n):
        data = make_zip(package(release=r, changed=tuple(range(r * 3, r * 3 + 3)), n=30))
        with repo.writer() as w:
            ref = w.put_file(data)
            out.append((w.commit(snapshot({"code": ref}, time=T0 + timedelta(days=r), tags=tags or [])), data))
    return out


def _stored(repo: Repository) -> int:
    return sum(o.size for o in repo.backend.list("data/"))


def test_forget_then_prune_frees_space_and_keeps_the_rest(local_repo: Repository) -> None:
    made = _releases(local_repo, 5)
    before = _stored(local_repo)
    dry = forget(local_repo, Rules(last=2), dry_run=True, now=T0 + timedelta(days=5))
    assert len(dry.remove) == 3 and len(local_repo.snapshots()) == 5
    result = forget(local_repo, Rules(last=2), now=T0 + timedelta(days=5))
    assert sorted(result.removed) == sorted(i for i, _ in made[:3])
    dry_prune = prune(local_repo, dry_run=True)
    assert _stored(local_repo) == before and dry_prune.bytes_freed > 0
    pruned = prune(local_repo)
    assert pruned.packs_deleted + pruned.packs_repacked > 0
    assert _stored(local_repo) < before
    for snap_id, data in made[3:]:
        assert local_repo.read_file(local_repo.load_snapshot(snap_id).files["code"]) == data
    assert check(local_repo, read_data=True).ok
    assert len(list(local_repo.backend.list("index/"))) <= 1 + pruned.packs_repacked


def test_prune_keeps_everything_referenced(local_repo: Repository) -> None:
    made = _releases(local_repo, 3)
    with local_repo.writer() as w:  # unreferenced: uploaded but never committed
        w.put_file(make_zip(package(release=9, changed=tuple(range(30)), n=30)))
    pruned = prune(local_repo)
    assert pruned.packs_deleted + pruned.packs_repacked > 0
    assert prune(local_repo).bytes_freed == 0  # idempotent
    for snap_id, data in made:
        assert local_repo.read_file(local_repo.load_snapshot(snap_id).files["code"]) == data
    assert check(local_repo, read_data=True).ok


def test_prune_removes_unindexed_packs(local_repo: Repository) -> None:
    _releases(local_repo, 1)
    local_repo.backend.put("data/ee/" + "e" * 64, b"left by a run killed before its index")
    assert any("not in the index" in w for w in check(local_repo).warnings)
    assert prune(local_repo).orphans_deleted == 1
    assert check(local_repo).warnings == []


def test_forget_groups_by_tags(local_repo: Repository) -> None:
    _releases(local_repo, 3, tags=["prod"])
    _releases(local_repo, 2, tags=["dev"])
    result = forget(local_repo, Rules(last=1), now=T0 + timedelta(days=9))
    assert len(result.removed) == 3
    assert sorted(s.tags[0] for s in local_repo.snapshots()) == ["dev", "prod"]
    only = forget(local_repo, Rules(last=1), tags=["dev"], dry_run=True)
    assert [s.tags for s in only.keep] == [["dev"]] and not only.remove


def test_forget_cli(local_repo: Repository, cli: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch) -> None:
    _releases(local_repo, 4)
    monkeypatch.setenv("LAMBDA_ARK_PASSWORD", PASSWORD)
    res = cli("forget", "--repo", local_repo.url, "--keep-last", "1", "--keep-within", "2d", "--dry-run", "--json")
    out = json.loads(res.out)
    assert res.code == 0 and len(out["remove"]) == 3 and out["removed"] == []  # T0 is long ago
    res = cli("forget", "--repo", local_repo.url, "--keep-last", "2", "--prune")
    assert res.code == 0 and "deleted" in res.out
    assert len(local_repo.snapshots()) == 2
    assert cli("forget", "--repo", local_repo.url).code == 2  # no rule: refused


def test_object_lock_is_respected(aws: Aws) -> None:
    bucket = make_bucket(aws, object_lock=True)
    repo = Repository.init(f"s3://{bucket}/ark", password=PASSWORD, aws=aws, retention_days=7,
                           pack_size=64 * 1024)
    made = _releases(repo, 2)
    head = aws.client("s3").head_object(Bucket=bucket, Key=f"ark/snapshots/{made[0][0]}")
    assert head["ObjectLockMode"] == "GOVERNANCE"
    result = forget(repo, Rules(last=1))
    assert list(result.retained) == [made[0][0]] and result.removed == []
    with repo.writer() as w:  # unreferenced data, but written under retention
        w.put_file(make_zip(package(release=7, changed=tuple(range(30)), n=30)))
    packs_before = {o.name for o in repo.backend.list("data/")}
    pruned = prune(repo)
    assert pruned.packs_deleted > 0
    assert len([n for n in pruned.retained if n.startswith("data/")]) == pruned.packs_deleted
    assert {o.name for o in repo.backend.list("data/")} == packs_before  # nothing locked was deleted
    index = load_index(repo.backend, repo.key)
    assert all(repo.backend.exists(f"data/{p[:2]}/{p}") for p in index.packs)
    assert check(repo, read_data=True).ok


def test_forget_groups_by_scope_and_named_ids(local_repo: Repository) -> None:
    made = []
    for i, (scope, tags) in enumerate([("s1", []), ("s1", ["partial"]), ("s2", []), ("s2", []), (None, [])]):
        with local_repo.writer() as w:
            made.append(w.commit(snapshot(time=T0 + timedelta(days=i), tags=tags,
                                          summary={"scope": scope} if scope else {})))
    dry = forget(local_repo, Rules(last=1), dry_run=True, now=T0 + timedelta(days=9))
    assert sorted(s.id for s in dry.keep) == sorted([made[1], made[3], made[4]])  # a partial run stays in its series
    gone = forget(local_repo, None, ids=[made[3][:10], made[0]])
    assert sorted(gone.removed) == sorted([made[3], made[0]]) and gone.keep == []
    assert sorted(local_repo.snapshot_ids()) == sorted([made[1], made[2], made[4]])
    one = forget(local_repo, Rules(last=1), group_by=(), dry_run=True)
    assert [s.id for s in one.keep] == [made[4]]


def test_forget_by_id_removes_an_unreadable_snapshot(local_repo: Repository) -> None:
    with local_repo.writer() as w:
        keep, broken = w.commit(snapshot(time=T0)), w.commit(snapshot(time=T0 + timedelta(days=1)))
    local_repo.backend.put(f"snapshots/{broken}", b"garbage that does not decrypt")
    result = forget(local_repo, None, ids=[broken[:12]])
    assert result.unreadable == [broken] and result.removed == [broken]
    assert local_repo.snapshot_ids() == [keep]


def test_prune_refuses_while_an_index_file_is_unreadable(local_repo: Repository) -> None:
    made = _releases(local_repo, 1)
    local_repo.backend.put("index/" + "a" * 64, b"half an index file")
    with pytest.raises(IntegrityError, match="prune refused: run `lambda-ark repair index` first"):
        prune(local_repo)
    repair_index(local_repo)
    prune(local_repo)
    assert local_repo.read_file(local_repo.load_snapshot(made[0][0]).files["code"]) == made[0][1]
