"""Back up an estate, lose it, restore it into another region, and check every attribute came back."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

from tests.accounts import ACCESS_ROLE, new_account_id

from lambda_ark.aws import Aws
from lambda_ark.backup import BackupOptions, run_backup
from lambda_ark.demo import estate
from lambda_ark.kinds.common import pages
from lambda_ark.repository import Repository
from lambda_ark.restore.apply import RestoreOptions, run_restore

SRC, DST = "eu-south-2", "eu-south-1"


def _delete_all(aws: Aws, region: str) -> None:
    lam = aws.client("lambda", region)
    for m in pages(lam, "list_event_source_mappings", "EventSourceMappings"):
        lam.delete_event_source_mapping(UUID=m["UUID"])
    for fn in pages(lam, "list_functions", "Functions"):
        lam.delete_function(FunctionName=fn["FunctionName"])


def _policy(lam: Any, name: str) -> dict[str, Any]:
    return {s["Sid"]: s for s in json.loads(lam.get_policy(FunctionName=name)["Policy"])["Statement"]}


def test_restore_into_another_region_rewires_everything(aws: Aws, repo: Repository) -> None:
    built = estate.build(aws, [SRC], per_region=8)
    names = built.functions[SRC]
    result = run_backup(aws, repo, BackupOptions(regions=[SRC]))
    assert (result.functions, result.errors) == (8, [])
    # every kind turns what it really captured into CloudFormation, and no secret leaks into it
    from lambda_ark.kinds import KINDS

    for rec in repo.load_snapshot("latest").body["functions"]:
        for kind in KINDS:
            if kind.NAME in rec["items"]:
                frag = kind.to_iac(rec, rec["items"][kind.NAME])
                assert all(r["Type"].startswith("AWS::Lambda::") for r in frag.resources.values()), kind.NAME
                assert "demo-secret" not in str(frag)

    _delete_all(aws, SRC)
    dst_sources = estate.event_sources(aws, DST)
    lam = aws.client("lambda", DST)
    # The target already has a function of the same name with two versions of other code, so the
    # snapshot's versions 1 and 2 must be republished as 3 and 4, and the alias must follow.
    lam.create_function(
        FunctionName=names[0],
        Runtime="python3.12",
        Role=estate.role_arn(aws),
        Handler="h.h",
        Code={"ZipFile": estate.package("other", 9)},
    )
    lam.publish_version(FunctionName=names[0])
    lam.update_function_configuration(FunctionName=names[0], MemorySize=1024)
    lam.get_waiter("function_updated_v2").wait(FunctionName=names[0])
    lam.publish_version(FunctionName=names[0])

    snapshot = repo.load_snapshot("latest")
    options = RestoreOptions(to_region=DST)
    plan = run_restore(aws, repo, snapshot, options, dry_run=True)
    assert plan.counts().get("create", 0) > 8 and not plan.failed
    assert not any(
        f.startswith(names[1]) for f in (f["FunctionName"] for f in pages(lam, "list_functions", "Functions"))
    )

    applied = run_restore(aws, repo, snapshot, options, dry_run=False)
    assert applied.failed == []
    again = run_restore(aws, repo, snapshot, options, dry_run=True)
    assert {c.action for c in again.changes} == {"unchanged"}, [c for c in again.changes if c.action != "unchanged"]

    body = snapshot.body
    for rec in body["functions"]:
        conf = lam.get_function_configuration(FunctionName=rec["name"])
        assert conf["CodeSha256"] == rec["items"]["function"]["code_sha256"]
        env = conf["Environment"]["Variables"]
        assert env["QUEUE_ARN"] == dst_sources["queue"]  # ARNs inside the environment follow the region
        assert env["API_TOKEN"].startswith("demo-secret-")  # secrets come back intact
        assert conf["Role"] == estate.role_arn(aws)

    alias = lam.get_alias(FunctionName=names[0], Name="live")
    assert alias["FunctionVersion"] == "4"
    assert alias["RoutingConfig"]["AdditionalVersionWeights"] == {"3": 0.1}

    mappings = {m["EventSourceArn"] for m in pages(lam, "list_event_source_mappings", "EventSourceMappings")}
    assert dst_sources["queue"] in mappings and dst_sources["stream"] in mappings
    assert dst_sources["table_stream"] in mappings  # the target table's own stream, not the source's label

    rule_arn = _policy(lam, names[1])["allow-events"]["Condition"]["ArnLike"]["AWS:SourceArn"]
    assert rule_arn.startswith(f"arn:aws:events:{DST}:")
    assert lam.get_function_concurrency(FunctionName=names[1])["ReservedConcurrentExecutions"] == 6
    dest = lam.get_function_event_invoke_config(FunctionName=names[3])["DestinationConfig"]["OnFailure"]["Destination"]
    assert dest == dst_sources["dlq"]
    assert lam.get_function_url_config(FunctionName=names[0])["AuthType"] == "NONE"
    layers = lam.get_function_configuration(FunctionName=names[0])["Layers"]
    assert layers and f":{DST}:" in layers[0]["Arn"]


def test_second_backup_captures_only_what_changed(aws: Aws, repo: Repository) -> None:
    region = "me-south-1"
    built = estate.build(aws, [region], per_region=6)
    # CloudTrail stamps events in whole seconds, so a change stamped with the second a backup first
    # reads in may have come after that read: the next backup reads such functions again (safely).
    # Start in the next second, so only the change made below is in doubt.
    time.sleep(1 - datetime.now(UTC).microsecond / 1e6)
    first = run_backup(aws, repo, BackupOptions(regions=[region]))
    assert first.captured == 6

    before = aws.calls["lambda.GetFunction"]
    second = run_backup(aws, repo, BackupOptions(regions=[region]))
    assert (second.captured, second.unchanged) == (0, 6)
    assert aws.calls["lambda.GetFunction"] == before  # nothing changed: no GetFunction at all
    assert second.bytes_added < first.bytes_added / 5

    name = built.functions[region][2]
    aws.client("lambda", region).update_function_configuration(FunctionName=name, Timeout=99)
    aws.client("lambda", region).get_waiter("function_updated_v2").wait(FunctionName=name)
    third = run_backup(aws, repo, BackupOptions(regions=[region]))
    assert (third.captured, third.unchanged) == (1, 5)
    rec = next(r for r in repo.load_snapshot("latest").body["functions"] if r["name"] == name)
    assert rec["items"]["function"]["config"]["Timeout"] == 99

    full = run_backup(aws, repo, BackupOptions(regions=[region], full=True))
    assert full.captured == 6


def test_backup_selects_by_glob_and_tag(aws: Aws, repo: Repository) -> None:
    region = "af-south-1"
    estate.build(aws, [region], per_region=8)
    by_glob = run_backup(aws, repo, BackupOptions(regions=[region], functions=["orders-*", "search-*"]))
    names = {r["name"].split("-")[0] for r in repo.load_snapshot(by_glob.snapshot_id).body["functions"]}
    assert names == {"orders", "search"} and by_glob.functions == 4
    before = dict(aws.calls)
    by_tag = run_backup(aws, repo, BackupOptions(regions=[region], tags={"team": "payments"}))
    assert by_tag.functions == 2
    # one tagging-API listing for the region, not a ListTags call per function
    assert (
        aws.calls["resourcegroupstaggingapi.GetResources"] - before.get("resourcegroupstaggingapi.GetResources", 0) == 1
    )
    # ListTags only for the one event source mapping among the two functions (its tags), not per function
    assert aws.calls["lambda.ListTags"] - before.get("lambda.ListTags", 0) == 1


def test_restore_beside_the_original_under_a_prefix(aws: Aws, repo: Repository) -> None:
    region = "il-central-1"
    built = estate.build(aws, [region], per_region=4)
    names = built.functions[region]
    run_backup(aws, repo, BackupOptions(regions=[region]))
    snapshot = repo.load_snapshot("latest")
    options = RestoreOptions(functions=[names[0], names[1]], name_prefix="drill-")
    applied = run_restore(aws, repo, snapshot, options, dry_run=False)
    assert applied.failed == []

    lam = aws.client("lambda", region)
    listed = {f["FunctionName"] for f in pages(lam, "list_functions", "Functions")}
    assert listed == set(names) | {"drill-" + names[0], "drill-" + names[1]}
    alias = lam.get_alias(FunctionName="drill-" + names[0], Name="live")
    assert alias["AliasArn"].endswith(f":function:drill-{names[0]}:live")
    by_fn = {m["FunctionArn"].split(":")[6] for m in pages(lam, "list_event_source_mappings", "EventSourceMappings")}
    assert {names[0], "drill-" + names[0], names[1], "drill-" + names[1]} <= by_fn  # originals keep theirs
    assert lam.get_function_configuration(FunctionName=names[0])["MemorySize"] == 512  # original untouched
    again = run_restore(aws, repo, snapshot, options, dry_run=True)
    assert {c.action for c in again.changes} == {"unchanged"}


def test_restore_into_another_account_recreates_the_role(aws: Aws, repo: Repository) -> None:
    region = "mx-central-1"
    built = estate.build(aws, [region], per_region=3)
    result = run_backup(aws, repo, BackupOptions(regions=[region], include_roles=True))
    assert result.errors == []
    other = new_account_id(aws)  # a member account: Organizations gave it a role the caller may assume
    target = aws.assume(f"arn:aws:iam::{other}:role/{ACCESS_ROLE}")
    assert target.account_id() == other
    estate.event_sources(target, region)
    snapshot = repo.load_snapshot("latest")
    options = RestoreOptions(to_account=other)
    applied = run_restore(target, repo, snapshot, options, dry_run=False)
    assert applied.failed == [], applied.failed
    assert any(c.kind == "role" and c.action == "create" for c in applied.changes)
    lam = target.client("lambda", region)
    for name in built.functions[region]:
        conf = lam.get_function_configuration(FunctionName=name)
        assert conf["FunctionArn"].split(":")[4] == other
        assert conf["Role"] == f"arn:aws:iam::{other}:role/{estate.ROLE_NAME}"
    again = run_restore(target, repo, snapshot, options, dry_run=True)
    assert {c.action for c in again.changes} == {"unchanged"}


def test_unchanged_functions_are_read_again_once_their_capture_is_old(aws: Aws, repo: Repository) -> None:
    from datetime import datetime, timedelta

    region = "ap-southeast-4"
    estate.build(aws, [region], per_region=3)
    run_backup(aws, repo, BackupOptions(regions=[region]))
    kept = run_backup(aws, repo, BackupOptions(regions=[region], recapture_after=None))
    assert (kept.captured, kept.unchanged) == (0, 3)
    carried = {r["name"]: r["captured_at"] for r in repo.load_snapshot("latest").body["functions"]}
    before = aws.calls["lambda.GetFunction"]
    due = run_backup(aws, repo, BackupOptions(regions=[region], recapture_after=timedelta(0)))
    assert (due.captured, aws.calls["lambda.GetFunction"] - before) == (3, 3)
    fresh = {r["name"]: r["captured_at"] for r in repo.load_snapshot("latest").body["functions"]}
    assert all(datetime.fromisoformat(fresh[n]) > datetime.fromisoformat(carried[n]) for n in carried)


def test_container_image_functions_are_restored_from_the_target_regions_registry(aws: Aws, repo: Repository) -> None:
    src, dst = "ap-southeast-5", "ap-southeast-6"
    lam = aws.client("lambda", src)
    uri = f"123456789012.dkr.ecr.{src}.amazonaws.com/app:1"
    lam.create_function(FunctionName="img", PackageType="Image", Role=estate.role_arn(aws), Code={"ImageUri": uri})
    lam.publish_version(FunctionName="img")
    result = run_backup(aws, repo, BackupOptions(regions=[src]))
    (rec,) = repo.load_snapshot("latest").body["functions"]
    assert result.errors == [] and "file" not in rec["items"]["function"]  # an image is recorded, not copied
    assert rec["items"]["function"]["image_uri"].startswith(f"123456789012.dkr.ecr.{src}.amazonaws.com/app")

    snapshot = repo.load_snapshot("latest")
    applied = run_restore(aws, repo, snapshot, RestoreOptions(to_region=dst), dry_run=False)
    assert applied.failed == []
    got = aws.client("lambda", dst).get_function(FunctionName="img")
    assert got["Code"]["ImageUri"].startswith(f"123456789012.dkr.ecr.{dst}.amazonaws.com/app")
    assert [
        v["Version"] for v in aws.client("lambda", dst).list_versions_by_function(FunctionName="img")["Versions"]
    ] == [
        "$LATEST",
        "1",
    ]
    again = run_restore(aws, repo, snapshot, RestoreOptions(to_region=dst), dry_run=True)
    assert {c.action for c in again.changes} == {"unchanged"}, again.changes


def test_vpc_functions_move_with_mapped_subnets_and_security_groups(aws: Aws, repo: Repository) -> None:
    src, dst = "ap-southeast-7", "ca-west-1"

    def network(region: str) -> tuple[str, str]:
        ec2 = aws.client("ec2", region)
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
        sg = ec2.create_security_group(GroupName="fn", Description="fn", VpcId=vpc)["GroupId"]
        return subnet, sg

    (subnet_a, sg_a), (subnet_b, sg_b) = network(src), network(dst)
    aws.client("lambda", src).create_function(
        FunctionName="in-vpc",
        Runtime="python3.12",
        Role=estate.role_arn(aws),
        Handler="handler.handler",
        Code={"ZipFile": estate.package("in-vpc")},
        VpcConfig={"SubnetIds": [subnet_a], "SecurityGroupIds": [sg_a]},
    )
    run_backup(aws, repo, BackupOptions(regions=[src]))
    snapshot = repo.load_snapshot("latest")
    options = RestoreOptions(to_region=dst, arn_map={subnet_a: subnet_b, sg_a: sg_b})
    assert run_restore(aws, repo, snapshot, options, dry_run=False).failed == []
    vpc = aws.client("lambda", dst).get_function_configuration(FunctionName="in-vpc")["VpcConfig"]
    assert (vpc["SubnetIds"], vpc["SecurityGroupIds"]) == ([subnet_b], [sg_b])
    assert {c.action for c in run_restore(aws, repo, snapshot, options, dry_run=True).changes} == {"unchanged"}


def test_shards_backed_up_in_turn_stay_incremental(aws: Aws, repo: Repository) -> None:
    region = "eu-central-1"
    lam = aws.client("lambda", region)
    role = estate.role_arn(aws)
    for i in range(12):
        lam.create_function(
            FunctionName=f"shard-{i:02d}",
            Runtime="python3.12",
            Role=role,
            Handler="handler.handler",
            Code={"ZipFile": estate.package(f"shard-{i}")},
        )
    shards = [BackupOptions(regions=[region], shard=(i, 2), functions=["shard-*"]) for i in range(2)]
    first = [run_backup(aws, repo, opts) for opts in shards]
    assert sum(r.functions for r in first) == 12 and all(r.functions for r in first)  # a partition of the estate
    again = [run_backup(aws, repo, opts) for opts in shards]
    assert [r.captured for r in again] == [0, 0]  # each compared with its own shard's last snapshot
    assert {tuple(s.tags) for s in repo.snapshots()} == {("shard-0-of-2",), ("shard-1-of-2",)}
