"""Restore options -> the one ARN mapper: region maps, --to-region, --to-account, names, validation."""

from __future__ import annotations

import boto3
import pytest

from lambda_ark.aws import Aws
from lambda_ark.errors import UsageError
from lambda_ark.model import FunctionRecord
from lambda_ark.restore.arns import FunctionId
from lambda_ark.restore.plan import RestoreOptions, build_mapper

AWS = Aws(session=boto3.Session(region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"))
A = "111111111111"


def rec(region: str, name: str) -> FunctionRecord:
    return FunctionRecord(
        account=A, region=region, name=name, arn=f"arn:aws:lambda:{region}:{A}:function:{name}", fingerprint="f"
    )


RECORDS = [rec("eu-west-1", "a"), rec("us-east-1", "b")]


def test_region_map_moves_only_the_regions_it_names() -> None:
    m = build_mapper(AWS, RECORDS, RestoreOptions(region_map={"eu-west-1": "eu-central-1"}))
    assert (m.region("eu-west-1"), m.region("us-east-1")) == ("eu-central-1", "us-east-1")


def test_to_region_moves_every_source_region_and_region_map_overrides_it() -> None:
    m = build_mapper(AWS, RECORDS, RestoreOptions(to_region="us-west-2", region_map={"us-east-1": "us-east-2"}))
    assert (m.region("eu-west-1"), m.region("us-east-1")) == ("us-west-2", "us-east-2")


def test_to_account_and_names() -> None:
    m = build_mapper(AWS, RECORDS, RestoreOptions(to_account="222222222222", name_suffix="-dr"))
    assert m.arn(RECORDS[0].arn) == "arn:aws:lambda:eu-west-1:222222222222:function:a-dr"
    assert m.function_name(FunctionId(A, "eu-west-1", "not-restored")) == "not-restored"


TWINS = [rec("eu-west-1", "orders"), rec("us-east-1", "orders"), rec("us-east-1", "other")]


def test_two_regions_into_one_with_the_same_name_is_refused_naming_them() -> None:
    with pytest.raises(UsageError) as info:
        build_mapper(AWS, TWINS, RestoreOptions(to_region="us-west-2"))
    text = str(info.value)
    assert "orders in us-west-2" in text and "eu-west-1/orders" in text and "us-east-1/orders" in text
    assert "--name-template" in text and "\n" not in text


def test_a_name_template_keeps_them_apart() -> None:
    m = build_mapper(AWS, TWINS, RestoreOptions(to_region="us-west-2", name_template="{name}-{region}"))
    targets = {m.target(FunctionId.of(r)) for r in TWINS}
    assert {t.name for t in targets} == {"orders-eu-west-1", "orders-us-east-1", "other-us-east-1"}
    assert {t.region for t in targets} == {"us-west-2"}


def test_each_region_to_its_own_target_needs_no_template() -> None:
    m = build_mapper(AWS, TWINS, RestoreOptions(region_map={"eu-west-1": "eu-central-1", "us-east-1": "us-east-2"}))
    assert {m.target(FunctionId.of(r)) for r in TWINS} == {
        FunctionId(A, "eu-central-1", "orders"), FunctionId(A, "us-east-2", "orders"),
        FunctionId(A, "us-east-2", "other")}


@pytest.mark.parametrize(
    "options",
    [
        RestoreOptions(to_region="mars-1"),
        RestoreOptions(region_map={"eu-west-1": "nowhere"}),
        RestoreOptions(regions=["atlantis-1"]),
        RestoreOptions(to_account="12345"),
        RestoreOptions(name_template="{name}-{zone}"),
        RestoreOptions(name_template="{name}", name_prefix="x-"),
        RestoreOptions(name_template="{name}.{region}"),
    ],
)
def test_bad_targets_are_usage_errors(options: RestoreOptions) -> None:
    with pytest.raises(UsageError):
        build_mapper(AWS, RECORDS, options)


def test_account_selects_the_records_of_that_account_only() -> None:
    from lambda_ark.model import BackupBody
    from lambda_ark.restore.plan import select_records, validate_options

    other = FunctionRecord(account="222222222222", region="eu-west-1", name="a",
                           arn="arn:aws:lambda:eu-west-1:222222222222:function:a", fingerprint="f")
    body = BackupBody(functions=[*RECORDS, other])
    assert select_records(body, RestoreOptions(accounts=["222222222222"])) == [other]
    assert select_records(body, RestoreOptions(accounts=[A], functions=["a"])) == [RECORDS[0]]
    assert len(select_records(body, RestoreOptions())) == 3
    with pytest.raises(UsageError, match="malformed account id '12345'"):
        validate_options(AWS, RestoreOptions(accounts=["12345"]))
