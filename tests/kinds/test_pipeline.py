"""The trigger kinds inside the real backup and restore walk: capture data survives the snapshot
(JSON), versions republished by the core kinds are followed, and a second restore changes nothing."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kindtest import ACCOUNT, ROLE

from lambda_ark.aws import Aws
from lambda_ark.backup import BackupOptions, run_backup
from lambda_ark.repository import Repository
from lambda_ark.restore.apply import RestoreOptions, run_restore

SRC, DST = "ca-central-1", "sa-east-1"  # regions no other test uses: backup scans whole regions


def _wire_source(aws: Aws, uid: Callable[[str], str], make_function: Callable[..., dict[str, Any]]) -> dict[str, str]:
    names = {k: uid(k) for k in ("fn", "topic", "rule", "bucket", "sched", "api")}
    fn = make_function(SRC, names["fn"], publish=True)
    arn = fn["FunctionArn"]
    lam = aws.client("lambda", SRC)
    lam.create_alias(FunctionName=names["fn"], Name="live", FunctionVersion="1")
    topic = aws.client("sns", SRC).create_topic(Name=names["topic"])["TopicArn"]
    aws.client("sns", SRC).subscribe(TopicArn=topic, Protocol="lambda", Endpoint=f"{arn}:live")
    events = aws.client("events", SRC)
    events.put_rule(Name=names["rule"], ScheduleExpression="rate(1 hour)")
    events.put_targets(Rule=names["rule"], Targets=[{"Id": "v1", "Arn": f"{arn}:1"}])
    aws.client("s3", SRC).create_bucket(Bucket=names["bucket"], CreateBucketConfiguration={"LocationConstraint": SRC})
    aws.client("s3", SRC).put_bucket_notification_configuration(Bucket=names["bucket"], NotificationConfiguration={
        "LambdaFunctionConfigurations": [{"Id": "n", "LambdaFunctionArn": arn, "Events": ["s3:ObjectCreated:*"]}]})
    aws.client("scheduler", SRC).create_schedule(
        Name=names["sched"], ScheduleExpression="rate(1 day)", FlexibleTimeWindow={"Mode": "OFF"},
        Target={"Arn": f"{arn}:live", "RoleArn": ROLE})
    v2 = aws.client("apigatewayv2", SRC)
    api = v2.create_api(Name=names["api"], ProtocolType="HTTP")["ApiId"]
    integration = v2.create_integration(ApiId=api, IntegrationType="AWS_PROXY", IntegrationUri=arn,
                                        PayloadFormatVersion="2.0")["IntegrationId"]
    v2.create_route(ApiId=api, RouteKey="GET /", Target=f"integrations/{integration}")
    source_arn = f"arn:aws:execute-api:{SRC}:{ACCOUNT}:{api}/*/GET/"
    lam.add_permission(FunctionName=names["fn"], StatementId="http-api", Action="lambda:InvokeFunction",
                       Principal="apigateway.amazonaws.com", SourceArn=source_arn)
    v2.create_stage(ApiId=api, StageName="$default", AutoDeploy=True)
    return names


def test_backup_then_restore_into_another_region(
    aws: Aws, tmp_path: Path, uid: Callable[[str], str], make_function: Callable[..., dict[str, Any]],
) -> None:
    names = _wire_source(aws, uid, make_function)
    repo = Repository.init(str(tmp_path / "repo"), password="pw", aws=aws)
    backup = run_backup(aws, repo, BackupOptions(regions=[SRC], include_roles=True))
    assert backup.errors == []
    (record,) = [r for r in repo.load_snapshot("latest").body["functions"] if r["name"] == names["fn"]]
    assert {"s3_notifications", "apigatewayv2", "eventbridge", "scheduler", "sns", "role"} <= set(record["items"])

    # the target: the topic exists; a bucket there stands for the source one; a function of the same
    # name already has a version 1 of other code, so the snapshot's version 1 is republished as 2
    aws.client("sns", DST).create_topic(Name=names["topic"])
    bucket_b = uid("bucket-b")
    aws.client("s3", DST).create_bucket(Bucket=bucket_b, CreateBucketConfiguration={"LocationConstraint": DST})
    lam = aws.client("lambda", DST)
    make_function(DST, names["fn"], publish=True, body="return None")  # other code, whatever the zip's clock
    lam.update_function_configuration(FunctionName=names["fn"], Description="other")
    lam.get_waiter("function_updated_v2").wait(FunctionName=names["fn"])

    snapshot = repo.load_snapshot("latest")
    options = RestoreOptions(functions=[names["fn"]], to_region=DST,
                             arn_map={f"arn:aws:s3:::{names['bucket']}": f"arn:aws:s3:::{bucket_b}"})
    plan = run_restore(aws, repo, snapshot, options, dry_run=True)
    assert plan.failed == []
    applied = run_restore(aws, repo, snapshot, options, dry_run=False)
    assert applied.failed == [], applied.failed
    fn_b = f"arn:aws:lambda:{DST}:{ACCOUNT}:function:{names['fn']}"

    (target,) = aws.client("events", DST).list_targets_by_rule(Rule=names["rule"])["Targets"]
    assert target["Arn"] == f"{fn_b}:2"  # version 1 came back as 2; the rule followed
    subs = aws.client("sns", DST).list_subscriptions_by_topic(TopicArn=f"arn:aws:sns:{DST}:{ACCOUNT}:{names['topic']}")
    assert [s["Endpoint"] for s in subs["Subscriptions"]] == [f"{fn_b}:live"]
    conf = aws.client("s3", DST).get_bucket_notification_configuration(Bucket=bucket_b)
    assert [c["LambdaFunctionArn"] for c in conf["LambdaFunctionConfigurations"]] == [fn_b]
    schedule = aws.client("scheduler", DST).get_schedule(Name=names["sched"])
    assert schedule["Target"]["Arn"] == f"{fn_b}:live"
    (api,) = [a for a in aws.client("apigatewayv2", DST).get_apis()["Items"] if a["Name"] == names["api"]]
    policy = json.loads(lam.get_policy(FunctionName=names["fn"])["Policy"])
    (grant,) = [s for s in policy["Statement"] if s["Sid"] == "http-api"]  # the source's, for the new API id
    new_source = f"arn:aws:execute-api:{DST}:{ACCOUNT}:{api['ApiId']}/*/GET/"
    assert grant["Condition"]["ArnLike"]["AWS:SourceArn"] == new_source

    again = run_restore(aws, repo, snapshot, options, dry_run=False)
    others = [c for c in again.changes if c.action != "unchanged"]
    # the source statement naming the old API id is left to the API kind, which granted the new id
    assert [(c.kind, c.action, c.target.split()[1]) for c in others] == [("policy", "skipped", "http-api")], others
