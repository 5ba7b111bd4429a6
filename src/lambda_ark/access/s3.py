"""Reading and writing a repository bucket's policy and CORS rules (the I/O around rules.py)."""

from __future__ import annotations

import json
from typing import Any

import botocore.exceptions

from ..aws import Aws, as_aws_error, error_code
from ..errors import UsageError
from ..repository.backends.s3 import parse_url
from .rules import Plan, Zones, cors_rules, merge, statements

_NO_POLICY = {"NoSuchBucketPolicy"}
_NO_CORS = {"NoSuchCORSConfiguration"}


class Bucket:
    """One repository bucket: where it is and an S3 client for it."""

    def __init__(self, aws: Aws, url: str, s3_endpoint: str | None = None) -> None:
        endpoint, self.bucket, self.prefix = parse_url(url)
        self.endpoint = endpoint or s3_endpoint or aws.endpoint_url
        self.url = url
        self.aws = aws
        probe = aws.session.client("s3", endpoint_url=self.endpoint, region_name=aws.session.region_name)
        try:
            region = probe.get_bucket_location(Bucket=self.bucket).get("LocationConstraint") or "us-east-1"
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
            raise as_aws_error(probe, "get_bucket_location", exc) from exc
        self.s3 = aws.session.client("s3", endpoint_url=self.endpoint, region_name=region)

    def _call(self, op: str, missing: set[str] | None = None, **kwargs: Any) -> Any:
        try:
            return getattr(self.s3, op)(Bucket=self.bucket, **kwargs)
        except botocore.exceptions.ClientError as exc:
            if missing and error_code(exc) in missing:
                return None
            raise as_aws_error(self.s3, op, exc) from exc
        except botocore.exceptions.BotoCoreError as exc:
            raise as_aws_error(self.s3, op, exc) from exc

    def policy(self) -> dict[str, Any] | None:
        resp = self._call("get_bucket_policy", _NO_POLICY)
        return json.loads(resp["Policy"]) if resp else None

    def cors(self) -> list[dict[str, Any]]:
        resp = self._call("get_bucket_cors", _NO_CORS)
        return list(resp.get("CORSRules", [])) if resp else []

    @property
    def tls(self) -> bool:
        return not str(self.endpoint or "https://").startswith("http://")


def caller_arn(aws: Aws) -> str:
    """The caller as aws:PrincipalArn sees it: an assumed role's session becomes the role."""
    arn = str(aws.client("sts").get_caller_identity()["Arn"])
    if ":assumed-role/" in arn:
        account = arn.split(":")[4]
        return f"arn:aws:iam::{account}:role/{arn.split(':assumed-role/', 1)[1].split('/')[0]}"
    return arn


def plan_access(bucket: Bucket, zones: Zones, caller: str | None, force: bool = False) -> Plan:
    """What applying `zones` would change; refuses (UsageError) what would lock the caller out,
    unless `force`."""
    zones.validate()
    policy = bucket.policy()
    plan = Plan(bucket.bucket, policy, merge(policy, statements(bucket.bucket, bucket.prefix, zones)),
                bucket.cors(), cors_rules(bucket.cors(), zones.cors_origins))
    problems = []
    if not bucket.tls:
        problems.append(f"{bucket.url} is reached over plain HTTP ({bucket.endpoint}): the TLS rule would deny "
                        "every request that way")
    if caller and zones.principals and not _covers(caller, (*zones.principals, zones.break_glass)):
        problems.append(f"you ({caller}) are not among the allowed principals: after this you could only "
                        "manage the bucket policy as the account's root")
    if problems and not force:
        raise UsageError("; ".join(problems) + " (--force applies it anyway)")
    plan.warnings += problems
    if zones.vpces or zones.cidrs:
        plan.warnings.append("requests from outside the listed VPC endpoints and address ranges will be denied, "
                             "this machine's included unless it is inside them")
    return plan


def _covers(caller: str, allowed: tuple[str, ...]) -> bool:
    from fnmatch import fnmatchcase

    return any(fnmatchcase(caller, a) for a in allowed)


def apply_access(bucket: Bucket, plan: Plan) -> None:
    """Write the planned CORS rules, then the policy (only what changed): the policy last, since once
    it stands it may deny this very caller the CORS write (plain HTTP, or not among the principals)."""
    if plan.cors_changed:
        if plan.cors_after:
            bucket._call("put_bucket_cors", CORSConfiguration={"CORSRules": plan.cors_after})
        else:
            bucket._call("delete_bucket_cors")
    if plan.policy_changed:
        if plan.policy_after.get("Statement"):
            bucket._call("put_bucket_policy", Policy=json.dumps(plan.policy_after))
        else:
            bucket._call("delete_bucket_policy")
