"""CloudFront cache behaviours round-trip Lambda@Edge and CloudFront Functions associations."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import botocore.exceptions
import pytest

EDGE_V3 = "arn:aws:lambda:us-east-1:123456789012:function:edge:3"
EDGE_V4 = "arn:aws:lambda:us-east-1:123456789012:function:edge:4"


def behaviour(edge_arn: str, function_arn: str, **extra: Any) -> dict[str, Any]:
    return {
        "TargetOriginId": "origin",
        "ViewerProtocolPolicy": "redirect-to-https",
        "ForwardedValues": {"QueryString": False, "Cookies": {"Forward": "none"}},
        "MinTTL": 0,
        "LambdaFunctionAssociations": {"Quantity": 1, "Items": [
            {"LambdaFunctionARN": edge_arn, "EventType": "origin-request", "IncludeBody": True},
        ]},
        "FunctionAssociations": {"Quantity": 1, "Items": [
            {"FunctionARN": function_arn, "EventType": "viewer-request"},
        ]},
        **extra,
    }


def distribution_config(reference: str, edge_arn: str, function_arn: str) -> dict[str, Any]:
    return {
        "CallerReference": reference,
        "Comment": "",
        "Enabled": True,
        "Origins": {"Quantity": 1, "Items": [
            {"Id": "origin", "DomainName": "bucket.s3.amazonaws.com", "S3OriginConfig": {"OriginAccessIdentity": ""}},
        ]},
        "DefaultCacheBehavior": behaviour(edge_arn, function_arn),
        "CacheBehaviors": {"Quantity": 1, "Items": [behaviour(edge_arn, function_arn, PathPattern="/api/*")]},
    }


def associations(config: dict[str, Any]) -> list[tuple[str, str, str]]:
    found = []
    behaviours = [config["DefaultCacheBehavior"], *config["CacheBehaviors"].get("Items", [])]
    for b in behaviours:
        for item in b["LambdaFunctionAssociations"].get("Items", []):
            found.append((b.get("PathPattern", "*"), item["EventType"], item["LambdaFunctionARN"]))
        for item in b["FunctionAssociations"].get("Items", []):
            found.append((b.get("PathPattern", "*"), item["EventType"], item["FunctionARN"]))
    return sorted(found)


def test_associations_round_trip_and_update_with_etag(client: Callable[..., Any],
                                                       unique: Callable[[str], str]) -> None:
    cf = client("cloudfront")
    fn = cf.create_function(Name=unique("cff"), FunctionConfig={"Comment": "", "Runtime": "cloudfront-js-2.0"},
                            FunctionCode=b"function handler(event) { return event.request; }")
    fn_arn = fn["FunctionSummary"]["FunctionMetadata"]["FunctionARN"]
    created = cf.create_distribution(DistributionConfig=distribution_config(unique("ref"), EDGE_V3, fn_arn))
    dist_id = created["Distribution"]["Id"]
    expected = sorted([("*", "origin-request", EDGE_V3), ("*", "viewer-request", fn_arn),
                       ("/api/*", "origin-request", EDGE_V3), ("/api/*", "viewer-request", fn_arn)])
    assert associations(created["Distribution"]["DistributionConfig"]) == expected
    assert associations(cf.get_distribution(Id=dist_id)["Distribution"]["DistributionConfig"]) == expected

    current = cf.get_distribution_config(Id=dist_id)
    assert associations(current["DistributionConfig"]) == expected
    config = current["DistributionConfig"]
    config["DefaultCacheBehavior"]["LambdaFunctionAssociations"]["Items"][0]["LambdaFunctionARN"] = EDGE_V4
    updated = cf.update_distribution(Id=dist_id, IfMatch=current["ETag"], DistributionConfig=config)
    assert updated["ETag"] != current["ETag"]
    after = cf.get_distribution_config(Id=dist_id)
    assert ("*", "origin-request", EDGE_V4) in associations(after["DistributionConfig"])
    assert ("/api/*", "origin-request", EDGE_V3) in associations(after["DistributionConfig"])

    # The ETag we updated with is now stale.
    with pytest.raises(botocore.exceptions.ClientError) as info:
        cf.update_distribution(Id=dist_id, IfMatch=current["ETag"], DistributionConfig=config)
    assert info.value.response["Error"]["Code"] == "PreconditionFailed"


def test_cloudfront_functions_exist(client: Callable[..., Any], unique: Callable[[str], str]) -> None:
    cf = client("cloudfront")
    name = unique("cff-list")
    code = b"function handler(event) { return event.request; }"
    cf.create_function(Name=name, FunctionConfig={"Comment": "c", "Runtime": "cloudfront-js-2.0"}, FunctionCode=code)
    assert cf.describe_function(Name=name)["FunctionSummary"]["FunctionConfig"]["Runtime"] == "cloudfront-js-2.0"
    assert cf.get_function(Name=name)["FunctionCode"].read() == code
    names = [f["Name"] for f in cf.list_functions()["FunctionList"]["Items"]]
    assert name in names
