"""The one ARN mapper, as a table: every ARN shape restore rewrites."""

from __future__ import annotations

import pytest

from lambda_ark.restore.arns import ArnMapper

A, B = "111111111111", "222222222222"


@pytest.fixture
def mapper() -> ArnMapper:
    return ArnMapper(
        region_map={"eu-west-1": "us-west-2"},
        account_map={A: B},
        name_prefix="dr-",
        renamed_functions={"orders"},
        versions={"orders": {"3": "1", "4": "2"}},
        explicit={f"arn:aws:lambda:eu-west-1:{A}:layer:shared:7": f"arn:aws:lambda:us-west-2:{B}:layer:shared:1"},
    )


@pytest.mark.parametrize(
    ("src", "want"),
    [
        (f"arn:aws:lambda:eu-west-1:{A}:function:orders", f"arn:aws:lambda:us-west-2:{B}:function:dr-orders"),
        (f"arn:aws:lambda:eu-west-1:{A}:function:orders:3", f"arn:aws:lambda:us-west-2:{B}:function:dr-orders:1"),
        (f"arn:aws:lambda:eu-west-1:{A}:function:orders:live", f"arn:aws:lambda:us-west-2:{B}:function:dr-orders:live"),
        # a function outside the restore keeps its name, only moves
        (f"arn:aws:lambda:eu-west-1:{A}:function:other:3", f"arn:aws:lambda:us-west-2:{B}:function:other:3"),
        # a region not in the map stays where it is
        (f"arn:aws:sqs:us-east-1:{A}:q", f"arn:aws:sqs:us-east-1:{B}:q"),
        # S3 and IAM ARNs have no region (and S3 no account)
        ("arn:aws:s3:::my-bucket", "arn:aws:s3:::my-bucket"),
        (f"arn:aws:iam::{A}:role/exec", f"arn:aws:iam::{B}:role/exec"),
        (f"arn:aws:lambda:eu-west-1:{A}:layer:shared:7", f"arn:aws:lambda:us-west-2:{B}:layer:shared:1"),
        (
            f"arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:{A}:function:orders:4/invocations",
            f"arn:aws:apigateway:us-west-2:lambda:path/2015-03-31/functions/arn:aws:lambda:us-west-2:{B}:function:dr-orders:2/invocations",
        ),
        (f"arn:aws:kinesis:eu-west-1:{A}:stream/clicks", f"arn:aws:kinesis:us-west-2:{B}:stream/clicks"),
        ("not an arn", "not an arn"),
    ],
)
def test_arn(mapper: ArnMapper, src: str, want: str) -> None:
    assert mapper.arn(src) == want


def test_arns_inside_documents_are_mapped(mapper: ArnMapper) -> None:
    doc = {"Condition": {"ArnLike": {"AWS:SourceArn": f"arn:aws:events:eu-west-1:{A}:rule/r"}}, "n": 3, "l": ["x"]}
    assert mapper.map_obj(doc) == {
        "Condition": {"ArnLike": {"AWS:SourceArn": f"arn:aws:events:us-west-2:{B}:rule/r"}},
        "n": 3,
        "l": ["x"],
    }


def test_identity_mapper_changes_nothing() -> None:
    arn = f"arn:aws:lambda:eu-west-1:{A}:function:orders:3"
    assert ArnMapper().arn(arn) == arn


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
