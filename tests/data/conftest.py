"""An account of its own with a function wired to a bucket (notification) and a table (stream mapping)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from tests.accounts import Account, own_account
from tests.e2e.isolated import make_functions
from tests.faulty_proxy import FaultyProxy

from lambda_ark.aws import Aws
from lambda_ark.backup import BackupOptions, BackupResult, run_backup
from lambda_ark.data.models import DataSection, Resource
from lambda_ark.repository import Repository

PASSWORD = "correct horse battery staple"
REGION = "eu-west-2"


@dataclass
class Wired:
    account: Account
    region: str
    function: str
    bucket: str
    table: str

    @property
    def aws(self) -> Aws:
        return self.account.aws

    def s3(self, region: str | None = None) -> object:
        return self.aws.client("s3", region or self.region)

    def backup(self, repo: Repository, *sources: str, via: Aws | None = None, **kw: object) -> BackupResult:
        options = BackupOptions(regions=[self.region], data=frozenset(sources or ("s3", "dynamodb")),
                                change_feed=False, **kw)  # type: ignore[arg-type]
        return run_backup(via or self.aws, repo, options)


def wire(aws: Aws, region: str, objects: dict[str, bytes], items: int) -> Wired:
    acct = own_account(aws)
    own = acct.aws
    fn, bucket, table = "consumer", f"data-{acct.id}-{region}", "orders"
    make_functions(own, region, [fn])
    lam = own.client("lambda", region)
    s3 = own.client("s3", region)
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": "team", "Value": "data"}]})
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    fn_arn = f"arn:aws:lambda:{region}:{acct.id}:function:{fn}"
    lam.add_permission(FunctionName=fn, StatementId="s3", Action="lambda:InvokeFunction",
                       Principal="s3.amazonaws.com", SourceArn=f"arn:aws:s3:::{bucket}", SourceAccount=acct.id)
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={
        "LambdaFunctionConfigurations": [{"Id": "up", "LambdaFunctionArn": fn_arn, "Events": ["s3:ObjectCreated:*"]}]})
    for key, body in objects.items():
        s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType="text/plain", Metadata={"origin": key},
                      Tagging="kind=test")
    ddb = own.client("dynamodb", region)
    desc = ddb.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                              {"AttributeName": "sk", "AttributeType": "N"}],
        BillingMode="PAY_PER_REQUEST", StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
        Tags=[{"Key": "team", "Value": "data"}],
    )["TableDescription"]
    put_items(ddb, table, range(items))
    lam.create_event_source_mapping(FunctionName=fn, EventSourceArn=desc["LatestStreamArn"],
                                    StartingPosition="TRIM_HORIZON")
    return Wired(acct, region, fn, bucket, table)


def put_items(ddb: object, table: str, numbers: range) -> None:
    for i in numbers:
        ddb.put_item(TableName=table, Item={  # type: ignore[attr-defined]
            "pk": {"S": f"customer-{i % 7}"}, "sk": {"N": str(i)}, "blob": {"B": bytes([i % 256]) * 3},
            "tags": {"SS": ["a", f"t{i}"]}, "nested": {"M": {"n": {"N": str(i * 2)}, "l": {"L": [{"S": "x"}]}}}})


@pytest.fixture
def repo(tmp_path: Path, aws: Aws) -> Repository:
    return Repository.init(str(tmp_path / "repo"), password=PASSWORD, aws=aws)


@pytest.fixture
def proxy(endpoint: object) -> Iterator[FaultyProxy]:
    p = FaultyProxy(upstream=endpoint.url)  # type: ignore[attr-defined]
    p.start()
    yield p
    p.stop()


def through(proxy: FaultyProxy, aws: Aws, monkeypatch: pytest.MonkeyPatch, attempts: int = 3) -> Aws:
    """The same credentials, talking through the proxy (few retries, so persistent faults end quickly)."""
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", str(attempts))
    return Aws(session=aws.session, endpoint_url=f"http://127.0.0.1:{proxy._server.server_address[1]}")


def data_section(repo: Repository, snapshot_id: str) -> DataSection:
    return DataSection.model_validate(repo.load_snapshot(snapshot_id).body["data"])


def resource(section: DataSection, source: str) -> Resource:
    (found,) = [r for r in section.resources if r.source == source]
    return found
