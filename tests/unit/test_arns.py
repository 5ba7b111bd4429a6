"""The one ARN mapper, as a table: every ARN shape restore rewrites."""

from __future__ import annotations

import pytest

from lambda_ark.errors import UsageError
from lambda_ark.restore.arns import ArnMapper, FunctionId, render_name, split_arns

A, B = "111111111111", "222222222222"
ORDERS = FunctionId(A, "eu-west-1", "orders")


@pytest.fixture
def mapper() -> ArnMapper:
    return ArnMapper(
        region_map={"eu-west-1": "us-west-2"},
        account_map={A: B},
        name_template="dr-{name}",
        sources={ORDERS},
        versions={ORDERS: {"3": "1", "4": "2"}},
        explicit={f"arn:aws:lambda:eu-west-1:{A}:layer:shared:7": f"arn:aws:lambda:us-west-2:{B}:layer:shared:1"},
    )


@pytest.mark.parametrize(
    ("src", "want"),
    [
        (f"arn:aws:lambda:eu-west-1:{A}:function:orders", f"arn:aws:lambda:us-west-2:{B}:function:dr-orders"),
        (f"arn:aws:lambda:eu-west-1:{A}:function:orders:3", f"arn:aws:lambda:us-west-2:{B}:function:dr-orders:1"),
        (f"arn:aws:lambda:eu-west-1:{A}:function:orders:live", f"arn:aws:lambda:us-west-2:{B}:function:dr-orders:live"),
        (f"arn:aws:lambda:eu-west-1:{A}:function:orders:$LATEST",
         f"arn:aws:lambda:us-west-2:{B}:function:dr-orders:$LATEST"),
        # a function outside the restore keeps its name, only moves
        (f"arn:aws:lambda:eu-west-1:{A}:function:other:3", f"arn:aws:lambda:us-west-2:{B}:function:other:3"),
        # the same name in another region is another function: not renamed, its versions not renumbered
        (f"arn:aws:lambda:us-east-1:{A}:function:orders:3", f"arn:aws:lambda:us-east-1:{B}:function:orders:3"),
        # a region not in the map stays where it is
        (f"arn:aws:sqs:us-east-1:{A}:q", f"arn:aws:sqs:us-east-1:{B}:q"),
        # S3 and IAM ARNs have no region (and S3 no account)
        ("arn:aws:s3:::my-bucket", "arn:aws:s3:::my-bucket"),
        (f"arn:aws:iam::{A}:role/exec", f"arn:aws:iam::{B}:role/exec"),
        (f"arn:aws:iam::{A}:role/a,b", f"arn:aws:iam::{B}:role/a,b"),  # IAM names may hold commas
        (f"arn:aws:lambda:eu-west-1:{A}:layer:shared:7", f"arn:aws:lambda:us-west-2:{B}:layer:shared:1"),
        (
            f"arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:{A}:function:orders:4/invocations",
            f"arn:aws:apigateway:us-west-2:lambda:path/2015-03-31/functions/arn:aws:lambda:us-west-2:{B}:function:dr-orders:2/invocations",
        ),
        (f"arn:aws:kinesis:eu-west-1:{A}:stream/clicks", f"arn:aws:kinesis:us-west-2:{B}:stream/clicks"),
        # comma-joined lists (policy conditions, environment values): each ARN on its own
        (
            f"arn:aws:sqs:eu-west-1:{A}:q1,arn:aws:lambda:eu-west-1:{A}:function:orders:3",
            f"arn:aws:sqs:us-west-2:{B}:q1,arn:aws:lambda:us-west-2:{B}:function:dr-orders:1",
        ),
        (
            f"arn:aws:lambda:eu-west-1:{A}:function:orders,arn:aws:lambda:eu-west-1:{A}:function:orders:4",
            f"arn:aws:lambda:us-west-2:{B}:function:dr-orders,arn:aws:lambda:us-west-2:{B}:function:dr-orders:2",
        ),
        # other partitions keep theirs; only region and account move
        (f"arn:aws-cn:sqs:eu-west-1:{A}:q", f"arn:aws-cn:sqs:us-west-2:{B}:q"),
        (f"arn:aws-us-gov:lambda:eu-west-1:{A}:function:orders:3",
         f"arn:aws-us-gov:lambda:us-west-2:{B}:function:dr-orders:1"),
        ("not an arn", "not an arn"),
    ],
)
def test_arn(mapper: ArnMapper, src: str, want: str) -> None:
    assert mapper.map_text(src) == want


def test_arns_inside_documents_are_mapped(mapper: ArnMapper) -> None:
    doc = {"Condition": {"ArnLike": {"AWS:SourceArn": f"arn:aws:events:eu-west-1:{A}:rule/r"}}, "n": 3, "l": ["x"]}
    assert mapper.map_obj(doc) == {
        "Condition": {"ArnLike": {"AWS:SourceArn": f"arn:aws:events:us-west-2:{B}:rule/r"}},
        "n": 3,
        "l": ["x"],
    }


def test_two_regions_with_the_same_name_keep_their_own_versions_and_names() -> None:
    east, west = FunctionId(A, "us-east-1", "orders"), FunctionId(A, "eu-west-1", "orders")
    m = ArnMapper(
        region_map={"us-east-1": "us-east-2", "eu-west-1": "us-east-2"},
        name_template="{name}-{region}",
        sources={east, west},
        versions={east: {"1": "5"}, west: {"1": "9"}},
    )
    assert m.map_text(f"arn:aws:lambda:us-east-1:{A}:function:orders:1") == (
        f"arn:aws:lambda:us-east-2:{A}:function:orders-us-east-1:5"
    )
    assert m.map_text(f"arn:aws:lambda:eu-west-1:{A}:function:orders:1") == (
        f"arn:aws:lambda:us-east-2:{A}:function:orders-eu-west-1:9"
    )
    assert m.target(east) != m.target(west)


def test_split_arns_finds_each_of_a_list() -> None:
    text = f"arn:aws:sqs:eu-west-1:{A}:q1,arn:aws-cn:sns:cn-north-1:{A}:t, arn:aws:iam::{A}:role/a,b"
    assert split_arns(text) == [
        f"arn:aws:sqs:eu-west-1:{A}:q1", f"arn:aws-cn:sns:cn-north-1:{A}:t", f"arn:aws:iam::{A}:role/a,b"]


@pytest.mark.parametrize(
    ("template", "want"),
    [("{name}", "orders"), ("{name}-{region}", "orders-eu-west-1"), ("dr_{account}_{name}", f"dr_{A}_orders")],
)
def test_name_templates(template: str, want: str) -> None:
    assert render_name(template, ORDERS) == want


@pytest.mark.parametrize("template", ["{nme}", "{name}/x", "{name}" * 20, "{0}"])
def test_bad_name_templates_are_usage_errors(template: str) -> None:
    with pytest.raises(UsageError):
        render_name(template, ORDERS)


def test_identity_mapper_changes_nothing() -> None:
    arn = f"arn:aws:lambda:eu-west-1:{A}:function:orders:3"
    assert ArnMapper().arn(arn) == arn
    assert ArnMapper(sources={ORDERS}).is_identity()


def test_image_uris_move_to_the_target_registry(mapper: ArnMapper) -> None:
    digest = "sha256:" + "a" * 64
    assert mapper.image_uri(f"{A}.dkr.ecr.eu-west-1.amazonaws.com/app@{digest}") == (
        f"{B}.dkr.ecr.us-west-2.amazonaws.com/app@{digest}"
    )
    assert mapper.image_uri("public.ecr.aws/lambda/python:3.12") == "public.ecr.aws/lambda/python:3.12"


def test_explicit_entries_also_replace_whole_ids() -> None:
    m = ArnMapper(region_map={"eu-west-1": "us-west-2"}, explicit={"subnet-1": "subnet-9", "sg-1": "sg-9"})
    vpc = {"SubnetIds": ["subnet-1", "subnet-2"], "SecurityGroupIds": ["sg-1"]}
    assert m.map_obj(vpc) == {"SubnetIds": ["subnet-9", "subnet-2"], "SecurityGroupIds": ["sg-9"]}
    assert m.map_text("subnet-1 in a sentence") == "subnet-1 in a sentence"  # whole values only


def test_map_text_where_keeps_what_is_refused(mapper: ArnMapper) -> None:
    text = f"arn:aws:sqs:eu-west-1:{A}:q1,arn:aws:dynamodb:eu-west-1:{A}:table/t"
    kept = mapper.map_text_where(text, lambda old, new: ":sqs:" in old)
    assert kept == f"arn:aws:sqs:us-west-2:{B}:q1,arn:aws:dynamodb:eu-west-1:{A}:table/t"
