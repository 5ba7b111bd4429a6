"""Every recorded attribute change is caught by the next incremental backup.

Random sequences of changes over every function-scoped and trigger kind, an incremental backup after
each batch, and the snapshot must equal a `--full` capture of the live estate, kind by kind. On the
faithful endpoint: aliases, tags, concurrency, URLs, invoke configs, mappings and permissions do not
move `RevisionId`, so only the change feed can tell the backup about them.
"""

from __future__ import annotations

import io
import json
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import botocore.exceptions
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from lambda_ark.aws import Aws
from lambda_ark.backup import BackupOptions, run_backup
from lambda_ark.repository import Repository

from .conftest import PASSWORD
from .isolated import Account, own_account

REGION = "us-east-1"  # CloudFront's home: every kind is in play (the account is the example's own)
NAMES = ("f0", "f1")


def _zip(text: str, path: str = "index.py") -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(zipfile.ZipInfo(path, date_time=(2024, 1, 1, 0, 0, 0)), text)
    return buf.getvalue()


@dataclass
class Estate:
    acct: Account
    arns: dict[str, str]
    queue: str
    topic: str
    bucket: str
    rule: str
    rest_api: str
    rest_resource: str
    http_api: str
    signing: str
    distribution: str
    layer: str

    def client(self, service: str) -> Any:
        return self.acct.aws.client(service, REGION)


def build(acct: Account) -> Estate:
    lam = acct.aws.client("lambda", REGION)
    role = acct.role_arn  # the account's own "fn": the role the role kind records
    arns = {}
    for name in NAMES:
        arns[name] = lam.create_function(FunctionName=name, Runtime="python3.12", Role=role, Handler="index.h",
                                         Code={"ZipFile": _zip(name)}, Publish=name == "f0")["FunctionArn"]
    lam.create_alias(FunctionName="f0", Name="live", FunctionVersion="1")
    sqs = acct.aws.client("sqs", REGION)
    queue_url = sqs.create_queue(QueueName="source")["QueueUrl"]
    queue = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    topic = acct.aws.client("sns", REGION).create_topic(Name="topic")["TopicArn"]
    bucket = f"bucket-{acct.id}"
    acct.aws.client("s3", REGION).create_bucket(Bucket=bucket)
    acct.aws.client("events", REGION).put_rule(Name="rule", ScheduleExpression="rate(1 hour)")
    apigw = acct.aws.client("apigateway", REGION)
    rest_api = apigw.create_rest_api(name="rest")["id"]
    rest_resource = apigw.get_resources(restApiId=rest_api)["items"][0]["id"]
    apigw.put_method(restApiId=rest_api, resourceId=rest_resource, httpMethod="GET", authorizationType="NONE")
    http_api = acct.aws.client("apigatewayv2", REGION).create_api(Name="http", ProtocolType="HTTP")["ApiId"]
    signing = lam.create_code_signing_config(AllowedPublishers={"SigningProfileVersionArns": [
        f"arn:aws:signer:{REGION}:{acct.id}:/signing-profiles/p/AbCd1234"]})["CodeSigningConfig"]["CodeSigningConfigArn"]
    layer = lam.publish_layer_version(LayerName="lib", Content={"ZipFile": _zip("X = 1", "python/lib.py")})
    config = {
        "CallerReference": "edge", "Comment": "edge", "Enabled": True,
        "Origins": {"Quantity": 1, "Items": [{"Id": "o", "DomainName": "example.s3.amazonaws.com",
                                              "S3OriginConfig": {"OriginAccessIdentity": ""}}]},
        "DefaultCacheBehavior": {"TargetOriginId": "o", "ViewerProtocolPolicy": "allow-all",
                                 "ForwardedValues": {"QueryString": False, "Cookies": {"Forward": "none"}},
                                 "MinTTL": 0, "LambdaFunctionAssociations": {"Quantity": 0}},
    }
    distribution = acct.aws.client("cloudfront", REGION).create_distribution(DistributionConfig=config)
    return Estate(acct, arns, queue, topic, bucket, "rule", rest_api, rest_resource, http_api, signing,
                  distribution["Distribution"]["Id"], layer["LayerVersionArn"])


def _quietly(call: Callable[[], Any]) -> None:
    """A change that does not apply in the estate's current state (nothing to delete) is no change."""
    try:
        call()
    except botocore.exceptions.ClientError:
        pass


def _settled(e: Estate, name: str) -> None:
    e.client("lambda").get_waiter("function_updated_v2").wait(FunctionName=name)


# Each change: (estate, function name, a number that picks what exactly) -> made on the live estate.
def config(e: Estate, f: str, n: int) -> None:
    e.client("lambda").update_function_configuration(FunctionName=f, Description=f"d{n}")
    _settled(e, f)


def code(e: Estate, f: str, n: int) -> None:
    e.client("lambda").update_function_code(FunctionName=f, ZipFile=_zip(f"{f} {n}"))
    _settled(e, f)


def publish(e: Estate, f: str, n: int) -> None:
    config(e, f, n + 1000)
    e.client("lambda").publish_version(FunctionName=f)


def layers(e: Estate, f: str, n: int) -> None:
    e.client("lambda").update_function_configuration(FunctionName=f, Layers=[e.layer] if n % 2 else [])
    _settled(e, f)


def alias(e: Estate, f: str, n: int) -> None:
    """n % 3: 0 deletes "beta", 1 creates it (or moves it if it exists), 2 moves "live" (f0) or "beta"."""
    lam = e.client("lambda")
    versions = [v["Version"] for v in lam.list_versions_by_function(FunctionName=f)["Versions"]]
    target = versions[n % len(versions)]
    if n % 3 == 0:
        _quietly(lambda: lam.delete_alias(FunctionName=f, Name="beta"))
        return
    name = "live" if n % 3 == 2 and f == "f0" else "beta"
    try:
        lam.create_alias(FunctionName=f, Name=name, FunctionVersion=target)
    except lam.exceptions.ResourceConflictException:
        lam.update_alias(FunctionName=f, Name=name, FunctionVersion=target, Description=f"n{n}")


def tags(e: Estate, f: str, n: int) -> None:
    lam = e.client("lambda")
    if n % 2:
        lam.tag_resource(Resource=e.arns[f], Tags={"k": str(n)})
    else:
        lam.untag_resource(Resource=e.arns[f], TagKeys=["k"])


def reserved(e: Estate, f: str, n: int) -> None:
    lam = e.client("lambda")
    if n % 2:
        lam.put_function_concurrency(FunctionName=f, ReservedConcurrentExecutions=n % 7 + 1)
    else:
        lam.delete_function_concurrency(FunctionName=f)


def provisioned(e: Estate, f: str, n: int) -> None:
    lam = e.client("lambda")
    if n % 2:
        lam.put_provisioned_concurrency_config(FunctionName="f0", Qualifier="live",
                                               ProvisionedConcurrentExecutions=n % 3 + 1)
    else:
        _quietly(lambda: lam.delete_provisioned_concurrency_config(FunctionName="f0", Qualifier="live"))


def url(e: Estate, f: str, n: int) -> None:
    lam = e.client("lambda")
    auth = "NONE" if n % 2 else "AWS_IAM"
    if n % 3 == 0:
        _quietly(lambda: lam.delete_function_url_config(FunctionName=f))
    else:
        try:
            lam.create_function_url_config(FunctionName=f, AuthType=auth)
        except lam.exceptions.ResourceConflictException:
            lam.update_function_url_config(FunctionName=f, AuthType=auth)


def invoke_config(e: Estate, f: str, n: int) -> None:
    lam = e.client("lambda")
    if n % 3 == 0:
        _quietly(lambda: lam.delete_function_event_invoke_config(FunctionName=f))
    else:
        lam.put_function_event_invoke_config(FunctionName=f, MaximumRetryAttempts=n % 3)


def permission(e: Estate, f: str, n: int) -> None:
    lam = e.client("lambda")
    policy = _policy(lam, f)
    if policy and n % 2 == 0:
        lam.remove_permission(FunctionName=f, StatementId=policy[0]["Sid"])
    else:
        _quietly(lambda: lam.add_permission(FunctionName=f, StatementId=f"p{n}", Action="lambda:InvokeFunction",
                                            Principal="sns.amazonaws.com", SourceArn=e.topic))


def _policy(lam: Any, f: str) -> list[dict[str, Any]]:
    try:
        return list(json.loads(lam.get_policy(FunctionName=f)["Policy"])["Statement"])
    except lam.exceptions.ResourceNotFoundException:
        return []


def recursion(e: Estate, f: str, n: int) -> None:
    e.client("lambda").put_function_recursion_config(FunctionName=f, RecursiveLoop="Allow" if n % 2 else "Terminate")


def runtime(e: Estate, f: str, n: int) -> None:
    e.client("lambda").put_runtime_management_config(FunctionName=f,
                                                     UpdateRuntimeOn="FunctionUpdate" if n % 2 else "Auto")


def code_signing(e: Estate, f: str, n: int) -> None:
    lam = e.client("lambda")
    if n % 2:
        lam.put_function_code_signing_config(FunctionName=f, CodeSigningConfigArn=e.signing)
    else:
        lam.delete_function_code_signing_config(FunctionName=f)


def mapping(e: Estate, f: str, n: int) -> None:
    lam = e.client("lambda")
    found = lam.list_event_source_mappings(FunctionName=f)["EventSourceMappings"]
    if not found:
        lam.create_event_source_mapping(FunctionName=f, EventSourceArn=e.queue, BatchSize=n % 9 + 1)
    elif n % 3 == 0:
        lam.delete_event_source_mapping(UUID=found[0]["UUID"])
    elif n % 3 == 1:
        lam.update_event_source_mapping(UUID=found[0]["UUID"], BatchSize=n % 9 + 1)
    else:
        lam.tag_resource(Resource=found[0]["EventSourceMappingArn"], Tags={"t": str(n)})


def s3(e: Estate, f: str, n: int) -> None:
    entries = [{"Id": "n", "LambdaFunctionArn": e.arns[f], "Events": ["s3:ObjectCreated:*"]}] if n % 2 else []
    e.client("s3").put_bucket_notification_configuration(
        Bucket=e.bucket, NotificationConfiguration={"LambdaFunctionConfigurations": entries})


def sns(e: Estate, f: str, n: int) -> None:
    client = e.client("sns")
    subs = client.list_subscriptions_by_topic(TopicArn=e.topic)["Subscriptions"]
    if subs and n % 2 == 0:
        client.unsubscribe(SubscriptionArn=subs[0]["SubscriptionArn"])
    else:
        client.subscribe(TopicArn=e.topic, Protocol="lambda", Endpoint=e.arns[f])


def eventbridge(e: Estate, f: str, n: int) -> None:
    events = e.client("events")
    if n % 2:
        events.put_targets(Rule=e.rule, Targets=[{"Id": "t", "Arn": e.arns[f]}])
    else:
        events.remove_targets(Rule=e.rule, Ids=["t"])


def scheduler(e: Estate, f: str, n: int) -> None:
    client = e.client("scheduler")
    target = {"Arn": e.arns[f], "RoleArn": e.acct.role_arn}
    if n % 3 == 0:
        _quietly(lambda: client.delete_schedule(Name="s"))
        return
    args = {"Name": "s", "ScheduleExpression": f"rate({n % 5 + 1} hours)", "FlexibleTimeWindow": {"Mode": "OFF"},
            "Target": target}
    try:
        client.create_schedule(**args)
    except client.exceptions.ConflictException:
        client.update_schedule(**args)


def rest_api(e: Estate, f: str, n: int) -> None:
    apigw = e.client("apigateway")
    where = {"restApiId": e.rest_api, "resourceId": e.rest_resource, "httpMethod": "GET"}
    if n % 2:
        uri = f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{e.arns[f]}/invocations"
        apigw.put_integration(**where, type="AWS_PROXY", integrationHttpMethod="POST", uri=uri)
    else:
        _quietly(lambda: apigw.delete_integration(**where))


def http_api(e: Estate, f: str, n: int) -> None:
    v2 = e.client("apigatewayv2")
    routes = v2.get_routes(ApiId=e.http_api)["Items"]
    if routes and n % 2 == 0:
        v2.delete_route(ApiId=e.http_api, RouteId=routes[0]["RouteId"])
    else:
        integration = v2.create_integration(ApiId=e.http_api, IntegrationType="AWS_PROXY",
                                            IntegrationUri=e.arns[f], PayloadFormatVersion="2.0")["IntegrationId"]
        v2.create_route(ApiId=e.http_api, RouteKey=f"GET /r{n}", Target=f"integrations/{integration}")


def cloudfront(e: Estate, f: str, n: int) -> None:
    cf = e.client("cloudfront")
    got = cf.get_distribution_config(Id=e.distribution)
    config = got["DistributionConfig"]
    items = [{"LambdaFunctionARN": f"{e.arns['f0']}:1", "EventType": ("viewer-request", "origin-request")[n % 2]}]
    config["DefaultCacheBehavior"]["LambdaFunctionAssociations"] = (
        {"Quantity": 1, "Items": items} if n % 3 else {"Quantity": 0})
    cf.update_distribution(Id=e.distribution, IfMatch=got["ETag"], DistributionConfig=config)


def role(e: Estate, f: str, n: int) -> None:
    document = {"Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": f"s3:GetObject{'Acl' if n % 2 else ''}", "Resource": "*"}]}
    e.acct.aws.client("iam").put_role_policy(RoleName="fn", PolicyName="p", PolicyDocument=json.dumps(document))


CHANGES: dict[str, Callable[[Estate, str, int], None]] = {
    c.__name__: c
    for c in (config, code, publish, layers, alias, tags, reserved, provisioned, url, invoke_config, permission,
              recursion, runtime, code_signing, mapping, s3, sns, eventbridge, scheduler, rest_api, http_api,
              cloudfront, role)
}
change = st.tuples(st.sampled_from(sorted(CHANGES)), st.sampled_from(NAMES), st.integers(0, 10_000))


def _next_second() -> None:
    """CloudTrail stamps events to the second: a backup whose lookup starts in a later second than a
    batch's changes leaves them out of the next batch's window, so a change the feed misses cannot
    hide behind an earlier batch's change of the same kind."""
    time.sleep(1.02 - (time.time() % 1))


def _records(repo: Repository) -> dict[str, dict[str, Any]]:
    return {r["name"]: r["items"] for r in repo.load_snapshot("latest").body["functions"]}


# Changes whose kinds overlap no other's in the same batch, so a change the feed missed cannot hide
# behind another that reads the same kind again (a RevisionId-moving change reads everything of its
# function: those go to the other function).
ONE_KIND_EACH = ["tags", "reserved", "url", "invoke_config", "permission", "recursion", "runtime", "code_signing",
                 "mapping", "role", "s3", "sns", "eventbridge", "scheduler", "rest_api", "http_api", "cloudfront"]
SET, UNDO = 1, 6  # each change sets something with an odd number and undoes it with a multiple of 6
EVERY_KIND = [
    [(name, "f0", SET) for name in ONE_KIND_EACH] + [("config", "f1", SET)],
    [("alias", "f0", 1), ("publish", "f1", SET)],  # creates "beta"
    [("provisioned", "f0", SET), ("layers", "f1", SET), ("code", "f1", SET)],
    [(name, "f0", UNDO) for name in ONE_KIND_EACH] + [("alias", "f1", 1)],
    [(name, "f1", SET) for name in ONE_KIND_EACH] + [("layers", "f0", UNDO)],
    [("alias", "f0", 2), ("code", "f1", 2)],  # moves "live"
    [("alias", "f0", 3), ("mapping", "f1", 4), ("url", "f1", 2)],  # deletes "beta"; updates a mapping, a URL
    [("provisioned", "f0", UNDO), ("mapping", "f1", 5), ("alias", "f1", 3)],  # tags the mapping
]


@settings(max_examples=2, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(batches=st.lists(st.lists(change, min_size=1, max_size=4), min_size=1, max_size=2))
@example(batches=EVERY_KIND)  # every time: every kind of change, each where nothing else reads its kind
def test_an_incremental_snapshot_equals_a_full_capture_of_the_live_estate(
    aws: Aws, tmp_path_factory: Any, batches: list[list[tuple[str, str, int]]]
) -> None:
    acct = own_account(aws)
    e = build(acct)
    where = Path(tmp_path_factory.mktemp("feed"))
    incremental = Repository.init(str(where / "incremental"), password=PASSWORD, aws=aws)
    full = Repository.init(str(where / "full"), password=PASSWORD, aws=aws)
    # --feed-delay 0: the endpoint shows events at once, so every window starts where the last ended
    options = BackupOptions(regions=[REGION], include_roles=True, feed_delay=timedelta(0))
    _next_second()
    assert run_backup(acct.aws, incremental, options).ok
    for i, batch in enumerate(batches):
        for name, fn, n in batch:
            CHANGES[name](e, fn, n)
        _next_second()
        result = run_backup(acct.aws, incremental, options)
        assert result.ok, result.errors
        assert result.change_feed == "cloudtrail"
        assert run_backup(acct.aws, full, BackupOptions(regions=[REGION], include_roles=True, full=True)).ok
        got, want = _records(incremental), _records(full)
        assert sorted(got) == sorted(want)
        for function in want:
            for kind in sorted(set(got[function]) | set(want[function])):
                assert got[function].get(kind) == want[function].get(kind), (
                    f"{kind} of {function} after batch {i} of {batches}")
