"""Restore identity is (account, region, name): same-named functions of two regions never merge.

Also: an empty selection is an error, `restore --yes` plans once and applies that plan, and
environment values naming ARNs move only where the target has the resource. Backups here select by
a unique name glob, so the regions may be shared with other tests.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.faulty_proxy import FaultyProxy

from lambda_ark import embedded
from lambda_ark.aws import Aws
from lambda_ark.backup import BackupOptions, run_backup
from lambda_ark.demo.estate import package, role_arn
from lambda_ark.errors import LambdaArkError
from lambda_ark.repository import Repository
from lambda_ark.restore.apply import RestoreOptions, run_restore

from .conftest import PASSWORD, run_cli

EAST, WEST, TARGET_E, TARGET_W = "mx-central-1", "ap-southeast-6", "ap-southeast-7", "ap-south-2"


def _function(aws: Aws, region: str, name: str, releases: int, **extra: object) -> list[str]:
    """A function with `releases` published versions (distinct code each) and alias `live` -> 1.

    Returns each version's CodeSha256, in order."""
    lam = aws.client("lambda", region)
    shas = []
    for release in range(1, releases + 1):
        code = package(f"{name}@{region}", release, extra_modules=1)
        if release == 1:
            lam.create_function(FunctionName=name, Runtime="python3.12", Role=role_arn(aws), Handler="h.h",
                                Code={"ZipFile": code}, **extra)
        else:
            lam.update_function_code(FunctionName=name, ZipFile=code)
        lam.get_waiter("function_updated_v2").wait(FunctionName=name)
        shas.append(lam.publish_version(FunctionName=name)["CodeSha256"])
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    return shas


def _alias_sha(aws: Aws, region: str, name: str) -> str:
    lam = aws.client("lambda", region)
    version = lam.get_alias(FunctionName=name, Name="live")["FunctionVersion"]
    return str(lam.get_function(FunctionName=name, Qualifier=version)["Configuration"]["CodeSha256"])


@pytest.fixture
def twins(aws: Aws, tmp_path: Path) -> Iterator[tuple[str, Repository, dict[str, list[str]]]]:
    """`<prefix>-orders` in two regions, with different code and version counts, backed up."""
    prefix = f"id{uuid.uuid4().hex[:6]}"
    name = f"{prefix}-orders"
    shas = {EAST: _function(aws, EAST, name, 3), WEST: _function(aws, WEST, name, 2)}
    repo = Repository.init(str(tmp_path / "repo"), password=PASSWORD, aws=aws)
    result = run_backup(aws, repo, BackupOptions(regions=[EAST, WEST], functions=[f"{prefix}-*"]))
    assert (result.functions, result.errors) == (2, [])
    yield name, repo, shas
    for region in (EAST, WEST, TARGET_E, TARGET_W):
        lam = aws.client("lambda", region)
        for fn in lam.list_functions()["Functions"]:
            if fn["FunctionName"].startswith(prefix):
                lam.delete_function(FunctionName=fn["FunctionName"])


def test_each_region_restores_to_its_own_target_with_aliases_on_the_right_versions(
    aws: Aws, twins: tuple[str, Repository, dict[str, list[str]]]
) -> None:
    name, repo, shas = twins
    # the targets already hold a version 1 of other code, so every number moves, differently per region
    _function(aws, TARGET_E, name, 1)
    aws.client("lambda", TARGET_E).delete_alias(FunctionName=name, Name="live")
    options = RestoreOptions(region_map={EAST: TARGET_E, WEST: TARGET_W})
    result = run_restore(aws, repo, repo.load_snapshot("latest"), options, dry_run=False)
    assert result.failed == [], result.failed
    for source, target in ((EAST, TARGET_E), (WEST, TARGET_W)):
        assert _alias_sha(aws, target, name) == shas[source][0]  # live -> the source's own version 1
        versions = aws.client("lambda", target).list_versions_by_function(FunctionName=name)["Versions"]
        published = [v["CodeSha256"] for v in versions if v["Version"] != "$LATEST"]
        assert published[-len(shas[source]):] == shas[source]
    again = run_restore(aws, repo, repo.load_snapshot("latest"), options, dry_run=True)
    assert {c.action for c in again.changes} == {"unchanged"}


def test_two_regions_into_one_is_refused_before_any_change_unless_names_are_made_unique(
    aws: Aws, endpoint: embedded.Endpoint, twins: tuple[str, Repository, dict[str, list[str]]]
) -> None:
    name, repo, shas = twins
    args = ("restore", "latest", "--repo", repo.url, "--to-region", TARGET_W, "--yes")
    out = run_cli(*args, endpoint=endpoint.url)
    assert out.returncode == 2, out.stderr
    (line,) = out.stderr.splitlines()
    assert f"{name} in {TARGET_W}" in line and f"{EAST}/{name}" in line and f"{WEST}/{name}" in line
    assert not [f for f in aws.client("lambda", TARGET_W).list_functions()["Functions"]
                if f["FunctionName"].startswith(name)]

    out = run_cli(*args, "--name-template", "{name}-{region}", "--json", endpoint=endpoint.url)
    assert out.returncode == 0, out.stderr
    for source in (EAST, WEST):
        assert _alias_sha(aws, TARGET_W, f"{name}-{source}") == shas[source][0]


def test_a_selection_that_matches_nothing_is_an_error(
    endpoint: embedded.Endpoint, twins: tuple[str, Repository, dict[str, list[str]]]
) -> None:
    _, repo, _ = twins
    out = run_cli("restore", "latest", "--repo", repo.url, "--function", "nope-*", "--yes", endpoint=endpoint.url)
    assert out.returncode == 1
    (line,) = out.stderr.splitlines()
    assert "no function matching --function 'nope-*'" in line
    with pytest.raises(LambdaArkError, match="no function matching"):
        run_restore(Aws.__new__(Aws), repo, repo.load_snapshot("latest"), RestoreOptions(regions=["us-east-1"]),
                    dry_run=True)


def test_restore_yes_plans_once_and_applies_that_plan(
    aws: Aws, endpoint: embedded.Endpoint, twins: tuple[str, Repository, dict[str, list[str]]]
) -> None:
    name, repo, _ = twins
    proxy = FaultyProxy(upstream=endpoint.url)
    url = proxy.start()
    try:
        out = run_cli("restore", "latest", "--repo", repo.url, "--region", EAST, "--to-region", TARGET_E,
                      "--json", "--yes", endpoint=url)
    finally:
        proxy.stop()
    assert out.returncode == 0, out.stderr
    done = json.loads(out.stdout)
    assert done["dry_run"] is False and done["counts"]["create"] >= 5  # function, 3 versions, alias
    # planning reads each alias once; a second planning pass would read them again
    alias_reads = [r for r in proxy.seen if r.startswith("GET ") and f"/functions/{name}/aliases/live" in r]
    assert len(alias_reads) == 1, alias_reads


def test_environment_arns_move_only_where_the_target_has_the_resource(aws: Aws, tmp_path: Path) -> None:
    prefix = f"env{uuid.uuid4().hex[:6]}"
    account = aws.account_id()
    src, dst = "il-central-1", "af-south-1"
    queue, table = f"{prefix}-q", f"{prefix}-t"
    env = {
        "QUEUE": f"arn:aws:sqs:{src}:{account}:{queue}",
        "TABLE": f"arn:aws:dynamodb:{src}:{account}:table/{table}",
        "BOTH": f"arn:aws:sqs:{src}:{account}:{queue},arn:aws:dynamodb:{src}:{account}:table/{table}",
        "PLAIN": "not-an-arn",
    }
    aws.client("lambda", src).create_function(
        FunctionName=f"{prefix}-fn", Runtime="python3.12", Role=role_arn(aws), Handler="h.h",
        Code={"ZipFile": package(prefix)}, Environment={"Variables": env})
    repo = Repository.init(str(tmp_path / "repo"), password=PASSWORD, aws=aws)
    assert run_backup(aws, repo, BackupOptions(regions=[src], functions=[f"{prefix}-*"])).errors == []
    aws.client("sqs", dst).create_queue(QueueName=queue)  # the target has the queue, not the table
    result = run_restore(aws, repo, repo.load_snapshot("latest"), RestoreOptions(to_region=dst), dry_run=False)
    assert result.failed == []
    got = aws.client("lambda", dst).get_function_configuration(FunctionName=f"{prefix}-fn")["Environment"]
    assert got["Variables"] == {
        "QUEUE": f"arn:aws:sqs:{dst}:{account}:{queue}",
        "TABLE": env["TABLE"],
        "BOTH": f"arn:aws:sqs:{dst}:{account}:{queue},arn:aws:dynamodb:{src}:{account}:table/{table}",
        "PLAIN": "not-an-arn",
    }
    warned = [w for w in result.warnings if "environment variable" in w]
    assert {w.split()[2] for w in warned} == {"TABLE", "BOTH"}
    assert all(table not in w and "arn:" not in w for w in warned)  # the variable's name, never its value
