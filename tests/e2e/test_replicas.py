"""Replicas end to end, as a user runs them: init --from-repo, copy to every replica, replicas status,
then a restore while the primary (S3, behind a link that goes away) is unreachable: it reads from
the replica that holds the snapshot, says so, and a Lambda@Edge function still comes back in
us-east-1 with its distribution re-pointed at the republished version.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.accounts import own_account
from tests.link_proxy import LinkProxy
from tests.repository.conftest import make_bucket

from lambda_ark.aws import Aws
from lambda_ark.backup import BackupOptions, run_backup
from lambda_ark.demo import edge as edge_mod
from lambda_ark.embedded import Endpoint
from lambda_ark.kinds.cloudfront import HOME
from lambda_ark.repository import Repository
from lambda_ark.repository.backends.transport import Transfer

from .conftest import PASSWORD, run_cli


@pytest.fixture
def link(endpoint: Endpoint) -> Iterator[LinkProxy]:
    proxy = LinkProxy(endpoint.url)
    proxy.start()
    yield proxy
    proxy.stop()


def test_restore_reads_from_a_replica_when_the_primary_is_gone(aws: Aws, endpoint: Endpoint, link: LinkProxy,
                                                               tmp_path: Path) -> None:
    acct = own_account(aws)
    edge = edge_mod.build(acct.aws, acct.role_arn)
    primary = f"s3://{make_bucket(aws, 'eu-west-1')}/ark"
    Repository.init(primary, password=PASSWORD, aws=aws, transfer=Transfer(s3_endpoint=link.url))
    repo = Repository.open(primary, password=PASSWORD, aws=aws, transfer=Transfer(s3_endpoint=link.url))
    backed = run_backup(acct.aws, repo, BackupOptions(regions=[HOME]))
    assert backed.ok and backed.functions == 1

    env = {**acct.env, "LAMBDA_ARK_S3_ENDPOINT": link.url}
    edge_site, dr = str(tmp_path / "edge-site"), str(tmp_path / "dr")

    def cli(*args: str) -> tuple[int, str, str]:
        done = run_cli(*args, endpoint=endpoint.url, **env)
        return done.returncode, done.stdout, done.stderr

    code, out, err = cli("init", "--repo", edge_site, "--from-repo", primary)
    assert code == 0 and f"a replica of {primary}" in out, err
    Repository.init(dr, password=PASSWORD)  # an independent repository: copied file by file
    code, out, err = cli("copy", "--repo", primary, "--to-repo", edge_site, "--to-repo", dr, "--limit-upload", "100000")
    assert code == 0 and f"copied {backed.snapshot_id[:8]}" in out, err

    code, out, err = cli("replicas", "--repo", primary, "--repo", edge_site, "--repo", dr, "--json")
    statuses = json.loads(out)["replicas"]
    assert code == 0, err
    assert [s["reachable"] for s in statuses] == [True, True, True]
    assert [s["lag"]["snapshots"] for s in statuses] == [0, 0, 0]
    assert statuses[0]["region"] == "eu-west-1" and statuses[0]["latency_ms"] is not None

    # disaster: the edge function is lost, and so is the link to the primary
    acct.aws.client("lambda", HOME).delete_function(FunctionName=edge.function)
    link.down = True

    code, out, err = cli("restore", "latest", "-r", primary, "-r", edge_site, "-r", dr, "--prefer", "local",
                         "--function", edge.function, "--yes")
    assert code == 0, err
    assert f"skipped {primary}: unreachable" in err
    assert f"reading snapshot {backed.snapshot_id[:8]} from " in err and "(local): latency" in err
    assert "done:" in out and " from " in out

    lam = acct.aws.client("lambda", HOME)
    versions = [v["FunctionArn"] for v in lam.list_versions_by_function(FunctionName=edge.function)["Versions"]
                if v["Version"] != "$LATEST"]
    lambdas, functions = edge_mod.associations(acct.aws, edge.distribution_id)
    assert lambdas == versions and versions[0].endswith(f"{edge.function}:1")  # republished, re-pointed
    assert functions == [edge.cf_function_arn]

    # and once more, as JSON: nothing to do, the replica named in the result
    code, out, err = cli("restore", "latest", "-r", primary, "-r", dr, "--function", edge.function, "--yes",
                         "--json")
    doc = json.loads(out)
    assert code == 0 and doc["replica"]["used"]["url"] == dr and doc["replica"]["snapshot"] == backed.snapshot_id
    assert set(doc["counts"]) == {"unchanged"}
