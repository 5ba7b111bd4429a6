"""Lambda@Edge: a function in us-east-1 whose published version a CloudFront distribution runs, next
to a CloudFront Function on the same cache behaviour.

The function had two releases; the first version was cleaned up after the second went live, so the
snapshot holds only version 2. Restoring the function republishes that as version 1, and the
distribution must follow the new number.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

from ..aws import Aws
from ..kinds.cloudfront import HOME

FUNCTION = "edge-rewrite"
CF_FUNCTION = "security-headers"
CF_CODE = b"function handler(event) { var r = event.response; r.headers['x-frame-options'] = {value: 'DENY'};" \
          b" return r; }"


@dataclass
class Edge:
    function: str
    version_arn: str  # the numbered version the distribution runs
    distribution_id: str
    cf_function_arn: str


def _package(release: int) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("index.js", f"// release {release}\nexports.handler = async (e) => e.Records[0].cf.request;\n")
    return buf.getvalue()


def build(aws: Aws, role: str) -> Edge:
    lam = aws.client("lambda", HOME)
    lam.create_function(FunctionName=FUNCTION, Runtime="nodejs20.x", Role=role, Handler="index.handler",
                        Code={"ZipFile": _package(1)}, Timeout=5, MemorySize=128, Description="origin rewrite",
                        Publish=True)
    lam.get_waiter("function_updated_v2").wait(FunctionName=FUNCTION)
    lam.update_function_code(FunctionName=FUNCTION, ZipFile=_package(2))
    lam.get_waiter("function_updated_v2").wait(FunctionName=FUNCTION)
    version_arn = lam.publish_version(FunctionName=FUNCTION, Description="release 2")["FunctionArn"]
    lam.delete_function(FunctionName=FUNCTION, Qualifier="1")  # the old release, cleaned up

    cf = aws.client("cloudfront", HOME)
    cf_arn = cf.create_function(Name=CF_FUNCTION, FunctionCode=CF_CODE,
                                FunctionConfig={"Comment": "security headers", "Runtime": "cloudfront-js-2.0"},
                                )["FunctionSummary"]["FunctionMetadata"]["FunctionARN"]
    default = {
        "TargetOriginId": "site", "ViewerProtocolPolicy": "redirect-to-https",
        "ForwardedValues": {"QueryString": False, "Cookies": {"Forward": "none"}}, "MinTTL": 0,
        "LambdaFunctionAssociations": {"Quantity": 1, "Items": [
            {"LambdaFunctionARN": version_arn, "EventType": "origin-request", "IncludeBody": False}]},
        "FunctionAssociations": {"Quantity": 1, "Items": [{"FunctionARN": cf_arn, "EventType": "viewer-response"}]},
    }
    config = {
        "CallerReference": "lambda-ark-demo-site", "Comment": "demo site", "Enabled": True,
        "Origins": {"Quantity": 1, "Items": [{"Id": "site", "DomainName": "lambda-ark-demo-site.s3.amazonaws.com",
                                              "S3OriginConfig": {"OriginAccessIdentity": ""}}]},
        "DefaultCacheBehavior": default,
    }
    dist = cf.create_distribution(DistributionConfig=config)["Distribution"]["Id"]
    return Edge(FUNCTION, version_arn, str(dist), str(cf_arn))


def associations(aws: Aws, distribution_id: str) -> tuple[list[str], list[str]]:
    """(Lambda@Edge version ARNs, CloudFront Function ARNs) on the default cache behaviour, read live."""
    config = aws.client("cloudfront", HOME).get_distribution_config(Id=distribution_id)["DistributionConfig"]
    default = config["DefaultCacheBehavior"]
    lambdas = (default.get("LambdaFunctionAssociations") or {}).get("Items") or []
    functions = (default.get("FunctionAssociations") or {}).get("Items") or []
    return [a["LambdaFunctionARN"] for a in lambdas], [f["FunctionARN"] for f in functions]
