"""CloudFront: Lambda@Edge associations follow the republished version; CloudFront Functions too."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kindtest import ACCOUNT, actions, applied, planned, record_of

from lambda_ark.aws import Aws
from lambda_ark.kinds import cloudfront as kind
from lambda_ark.restore.arns import ArnMapper, FunctionId

HOME = "us-east-1"
CF_CODE = b"function handler(event) { return event.request; }"


def _behaviour(lambdas: list[dict[str, Any]], functions: list[dict[str, Any]],
               path: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "TargetOriginId": "origin", "ViewerProtocolPolicy": "allow-all",
        "ForwardedValues": {"QueryString": False, "Cookies": {"Forward": "none"}}, "MinTTL": 0,
        "LambdaFunctionAssociations": {"Quantity": len(lambdas), "Items": lambdas},
        "FunctionAssociations": {"Quantity": len(functions), "Items": functions},
    }
    return {**out, "PathPattern": path} if path else out


def _distribution(aws: Aws, ref: str, default: dict[str, Any], api: dict[str, Any]) -> str:
    config = {
        "CallerReference": ref, "Comment": ref, "Enabled": True,
        "Origins": {"Quantity": 1, "Items": [{"Id": "origin", "DomainName": "example-bucket.s3.amazonaws.com",
                                              "S3OriginConfig": {"OriginAccessIdentity": ""}}]},
        "DefaultCacheBehavior": default,
        "CacheBehaviors": {"Quantity": 1, "Items": [api]},
    }
    return str(aws.client("cloudfront", HOME).create_distribution(DistributionConfig=config)["Distribution"]["Id"])


def _strip(aws: Aws, dist: str) -> None:
    """Remove every association, as if the distribution had been rebuilt without them."""
    cf = aws.client("cloudfront", HOME)
    got = cf.get_distribution_config(Id=dist)
    config = got["DistributionConfig"]
    for b in [config["DefaultCacheBehavior"], *config["CacheBehaviors"]["Items"]]:
        b["LambdaFunctionAssociations"] = {"Quantity": 0}
        b["FunctionAssociations"] = {"Quantity": 0}
    cf.update_distribution(Id=dist, IfMatch=got["ETag"], DistributionConfig=config)


def test_round_trip_to_a_republished_version(
    aws: Aws, uid: Callable[[str], str], make_function: Callable[..., dict[str, Any]],
    region_ctx: Callable[..., Any], restore_ctx: Callable[..., Any],
) -> None:
    name, cf_name = uid("edge"), uid("cff")
    fn = make_function(HOME, name, publish=True)
    v1 = f"{fn['FunctionArn']}:1"
    cf = aws.client("cloudfront", HOME)
    cf_arn = cf.create_function(Name=cf_name, FunctionConfig={"Comment": "rewrite", "Runtime": "cloudfront-js-2.0"},
                                FunctionCode=CF_CODE)["FunctionSummary"]["FunctionMetadata"]["FunctionARN"]
    dist = _distribution(
        aws, uid("ref"),
        _behaviour([{"LambdaFunctionARN": v1, "EventType": "origin-request", "IncludeBody": True}],
                   [{"FunctionARN": cf_arn, "EventType": "viewer-request"}]),
        _behaviour([{"LambdaFunctionARN": v1, "EventType": "viewer-response", "IncludeBody": False}], [], "/api/*"))

    ctx = region_ctx(HOME)
    data = kind.capture(ctx, kind.discover(ctx), fn)
    assert data is not None
    assert [(a["path"], a["event_type"], a["include_body"], a["version_arn"]) for a in data["associations"]] == [
        ("*", "origin-request", True, v1), ("/api/*", "viewer-response", False, v1)]
    assert [(f["path"], f["function_arn"]) for f in data["function_associations"]] == [("*", cf_arn)]
    stored = data["cloudfront_functions"][cf_arn]
    assert stored["config"]["Runtime"] == "cloudfront-js-2.0" and ctx.cache["files"][stored["file"]] == CF_CODE

    # the function comes back renamed, and republishing gives its old version 1 the number 2
    _strip(aws, dist)
    aws.client("lambda", HOME).delete_function(FunctionName=name)
    make_function(HOME, f"r-{name}", publish=True)
    lam = aws.client("lambda", HOME)
    lam.update_function_configuration(FunctionName=f"r-{name}", Description="again")
    lam.get_waiter("function_updated_v2").wait(FunctionName=f"r-{name}")
    assert lam.publish_version(FunctionName=f"r-{name}")["Version"] == "2"
    mapper = ArnMapper(name_template="r-{name}", sources={FunctionId(ACCOUNT, HOME, name)},
                       versions={FunctionId(ACCOUNT, HOME, name): {"1": "2"}})
    record = record_of(fn, HOME)
    etag = cf.get_distribution_config(Id=dist)["ETag"]
    assert actions(planned(kind, restore_ctx(mapper), record, data)) == ["create"] * 3
    assert cf.get_distribution_config(Id=dist)["ETag"] == etag  # a dry run writes nothing

    assert actions(applied(kind, restore_ctx(mapper), record, data)) == ["create"] * 3
    config = cf.get_distribution_config(Id=dist)["DistributionConfig"]
    new = f"arn:aws:lambda:{HOME}:{ACCOUNT}:function:r-{name}:2"
    assert config["DefaultCacheBehavior"]["LambdaFunctionAssociations"]["Items"] == [
        {"LambdaFunctionARN": new, "EventType": "origin-request", "IncludeBody": True}]
    assert config["DefaultCacheBehavior"]["FunctionAssociations"]["Items"] == [
        {"FunctionARN": cf_arn, "EventType": "viewer-request"}]
    (api,) = config["CacheBehaviors"]["Items"]
    assert api["LambdaFunctionAssociations"]["Items"][0]["LambdaFunctionARN"] == new
    assert actions(applied(kind, restore_ctx(mapper), record, data)) == ["unchanged"] * 3


def test_missing_distribution_and_wrong_region_fail(
    aws: Aws, uid: Callable[[str], str], make_function: Callable[..., dict[str, Any]], restore_ctx: Callable[..., Any],
) -> None:
    fn = make_function(HOME, uid("edgefail"), publish=True)
    v1 = f"{fn['FunctionArn']}:1"
    dist = _distribution(aws, uid("ref"), _behaviour([], []), _behaviour([], [], "/x/*"))
    arn = f"arn:aws:cloudfront::{ACCOUNT}:distribution/"
    data = {"associations": [
        {"distribution_id": "EGONE0000000", "distribution_arn": arn + "EGONE0000000", "path": "*",
         "event_type": "origin-request", "include_body": False, "version_arn": v1},
        {"distribution_id": dist, "distribution_arn": arn + dist, "path": "/x/*",
         "event_type": "origin-request", "include_body": False, "version_arn": v1}]}
    mapper = ArnMapper(region_map={HOME: "eu-west-1"})  # Lambda@Edge cannot follow a function elsewhere
    changes = applied(kind, restore_ctx(mapper), record_of(fn, HOME), data)
    assert actions(changes) == ["failed", "failed"]
    details = sorted(c.detail for c in changes)
    assert details[0].endswith(f"Lambda@Edge functions must be in {HOME}")
    assert details[1] == "distribution EGONE0000000 does not exist"


def test_replica_is_recorded_and_skipped(region_ctx: Callable[..., Any], restore_ctx: Callable[..., Any]) -> None:
    ctx = region_ctx("eu-west-1")
    replica = {"FunctionName": "us-east-1.edge",
               "FunctionArn": f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:us-east-1.edge"}
    data = kind.capture(ctx, kind.discover(ctx), replica)
    assert data == {"replica_of": f"arn:aws:lambda:{HOME}:{ACCOUNT}:function:edge"}
    (change,) = applied(kind, restore_ctx(ArnMapper()), record_of(replica, "eu-west-1"), data)
    assert change.action == "skipped" and "replica" in change.detail
    assert kind.to_iac({}, data).resources == {}
