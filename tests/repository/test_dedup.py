"""A new release with one member changed costs a few chunks, not a new copy."""

from __future__ import annotations

import os

from lambda_ark.repository import Repository

from .conftest import make_zip, package, snapshot


def _release(repo: Repository, data: bytes) -> int:
    with repo.writer() as w:
        ref = w.put_file(data)
        w.commit(snapshot({"code": ref}))
        added = w.bytes_added
    assert repo.read_file(ref) == data
    return added


def test_one_member_changed_adds_under_5_percent(local_repo: Repository) -> None:
    first = make_zip(package(release=0, n=150, big=3_800_000))
    second = make_zip(package(release=1, changed=(42,), n=150, big=3_800_000))
    assert len(first) > 5_000_000 and first != second
    full = _release(local_repo, first)
    delta = _release(local_repo, second)
    assert full > 0.9 * len(first) * 0.3  # the first release really stored the package (compressed)
    assert delta < 0.05 * len(second), (delta, len(second))


def test_same_file_again_adds_only_the_manifest(local_repo: Repository) -> None:
    data = make_zip(package(n=40))
    _release(local_repo, data)
    assert _release(local_repo, data) < 4096


def test_deflated_members_are_not_recompressed(local_repo: Repository) -> None:
    # members of random bytes: deflate stores them; the chunks must stay about their size
    data = make_zip({f"r{i}": os.urandom(50_000) for i in range(20)})
    added = _release(local_repo, data)
    assert len(data) <= added < len(data) * 1.05
