from __future__ import annotations

import pytest

from lambda_ark.errors import UsageError
from lambda_ark.selection import (
    in_shard,
    name_matches,
    parse_region_map,
    parse_shard,
    parse_tags,
    validate_globs,
)


@pytest.mark.parametrize("glob", ["", "orders[", "a b", "x/y", "café"])
def test_malformed_globs_are_usage_errors(glob: str) -> None:
    with pytest.raises(UsageError, match="malformed function glob"):
        validate_globs([glob])


def test_globs_match_names() -> None:
    globs = validate_globs(["orders-*", "pay?"])
    assert [n for n in ["orders-1", "pays", "payments", "search"] if name_matches(n, globs)] == ["orders-1", "pays"]
    assert name_matches("anything", [])


@pytest.mark.parametrize("tag", ["novalue", "=v", ""])
def test_malformed_tags(tag: str) -> None:
    with pytest.raises(UsageError, match="malformed tag"):
        parse_tags([tag])


def test_tags_parse() -> None:
    assert parse_tags(["team=orders", "env = prod", "empty="]) == {"team": "orders", "env": "prod", "empty": ""}


@pytest.mark.parametrize("text", ["3/3", "1", "a/b", "0/0"])
def test_malformed_shards(text: str) -> None:
    with pytest.raises(UsageError):
        parse_shard(text)


def test_shards_partition_an_estate() -> None:
    arns = [f"arn:aws:lambda:us-east-1:123456789012:function:f{i}" for i in range(300)]
    shards = [parse_shard(f"{i}/3") for i in range(3)]
    owners = [[s for s in shards if in_shard(a, s)] for a in arns]
    assert all(len(o) == 1 for o in owners)  # each function in exactly one shard
    assert all(sum(1 for o in owners if o[0] == s) > 50 for s in shards)  # and none is empty


def test_region_map() -> None:
    assert parse_region_map("eu-west-1=us-west-2, us-east-1=us-east-2") == {
        "eu-west-1": "us-west-2",
        "us-east-1": "us-east-2",
    }
    with pytest.raises(UsageError):
        parse_region_map("eu-west-1")


def test_arn_map() -> None:
    from lambda_ark.selection import parse_arn_map

    assert parse_arn_map(["arn:aws:s3:::a=arn:aws:s3:::b", "subnet-1=subnet-2"]) == {
        "arn:aws:s3:::a": "arn:aws:s3:::b",
        "subnet-1": "subnet-2",
    }
    for bad in ("arn:aws:s3:::a", "a=", "arn:aws:s3:::a=b", "a b=c"):
        with pytest.raises(UsageError, match="malformed map entry"):
            parse_arn_map([bad])
