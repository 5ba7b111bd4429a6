"""S3 bucket policies are enforced: an explicit Deny refuses the request (403 AccessDenied).

AWS: every request to a bucket is evaluated against its bucket policy; a matching Deny statement
refuses it, whoever asks (the bucket owner's root may still Get/Put/DeleteBucketPolicy, so nobody is
locked out for good). Conditions see the request context: `aws:SecureTransport` (false over plain
HTTP), `aws:SourceIp` (the client address), `aws:PrincipalArn` (an IAM user's ARN, an assumed
role's *role* ARN, or the account's root), `aws:PrincipalAccount`, `aws:SourceVpce` (only through a
VPC endpoint). A key missing from the context fails positive operators and satisfies negated ones
(`StringNotEquals`, `NotIpAddress`, `ArnNotLike`); `…IfExists` is satisfied by a missing key.

moto 5.2.5: checks the policy only on object requests, without the principal or any condition
value, so a Deny with conditions applies to everyone or no one; bucket requests are never checked.

Here: moto's check is replaced by this evaluation on every bucket and object request. Allow
statements are not needed to get in (the embedded endpoint's identities may do anything, as a
same-account identity with an administrator policy may on AWS); only Deny is enforced. Requests
never arrive through a VPC endpoint here, so `aws:SourceVpce` is always missing; the endpoint speaks
plain HTTP, so `aws:SecureTransport` is false (an HTTPS listener on the same app makes it true).
Unknown condition operators make a Deny apply (never kinder than AWS).
"""

from __future__ import annotations

import ipaddress
import json
import re
from typing import Any

from moto.s3.exceptions import BucketAccessDeniedError, S3ClientError
from moto.s3.models import FakeBucket
from moto.s3.responses import S3Response

# moto's action names (self.data["Action"]) that are not IAM action names
_IAM_ACTION = {
    "HeadBucket": "ListBucket",
    "ListObjects": "ListBucket",
    "ListObjectsV2": "ListBucket",
    "ListObjectVersions": "ListBucketVersions",
    "ListMultipartUploads": "ListBucketMultipartUploads",
    "GetObjectLockConfiguration": "GetBucketObjectLockConfiguration",
    "PutObjectLockConfiguration": "PutBucketObjectLockConfiguration",
    "GetBucketCors": "GetBucketCORS",
    "PutBucketCors": "PutBucketCORS",
    "DeleteBucketCors": "PutBucketCORS",
}
_OWNER_ALWAYS = {"s3:GetBucketPolicy", "s3:PutBucketPolicy", "s3:DeleteBucketPolicy"}


def _values(v: Any) -> list[str]:
    return [str(x) for x in (v if isinstance(v, list) else [v])]


def _like(pattern: str, value: str, case: bool = True) -> bool:
    regex = "^" + re.escape(pattern).replace(r"\*", ".*").replace(r"\?", ".") + "$"
    return re.match(regex, value, 0 if case else re.IGNORECASE) is not None


def _ip_in(cidr: str, ip: str) -> bool:
    try:
        return ipaddress.ip_address(ip) in ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return False


def _test(op: str, wanted: list[str], actual: str) -> bool | None:
    """One condition operator on a present key; None for an operator this evaluator does not know."""
    base = op.removesuffix("IfExists")
    positive = {
        "StringEquals": lambda: actual in wanted,
        "StringEqualsIgnoreCase": lambda: actual.lower() in (w.lower() for w in wanted),
        "StringLike": lambda: any(_like(w, actual) for w in wanted),
        "ArnEquals": lambda: actual in wanted,
        "ArnLike": lambda: any(_like(w, actual) for w in wanted),
        "Bool": lambda: actual.lower() in (w.lower() for w in wanted),
        "IpAddress": lambda: any(_ip_in(w, actual) for w in wanted),
    }
    negated = {"StringNotEquals": "StringEquals", "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
               "StringNotLike": "StringLike", "ArnNotEquals": "ArnEquals", "ArnNotLike": "ArnLike",
               "NotIpAddress": "IpAddress"}
    if base in positive:
        return bool(positive[base]())
    if base in negated:
        return not positive[negated[base]]()
    return None


def conditions_hold(conditions: dict[str, Any], context: dict[str, str], deny: bool) -> bool:
    for op, keys in conditions.items():
        if op == "Null":
            for key, want in keys.items():
                if (key not in context) != (str(want).lower() == "true"):
                    return False
            continue
        for key, wanted in keys.items():
            actual = next((v for k, v in context.items() if k.lower() == key.lower()), None)
            if actual is None:
                held = op.endswith("IfExists") or op.removesuffix("IfExists").startswith(("StringNot", "ArnNot", "Not"))
            else:
                result = _test(op, _values(wanted), actual)
                held = deny if result is None else result  # unknown operator: a Deny applies
            if not held:
                return False
    return True


def _matches(patterns: Any, value: str, case: bool = True) -> bool:
    return any(_like(p, value, case) for p in _values(patterns))


def _principal_matches(spec: Any, principal: str, account: str) -> bool:
    if spec == "*":
        return True
    if not isinstance(spec, dict):
        return False
    aws = _values(spec.get("AWS", []))
    return "*" in aws or principal in aws or account in aws or f"arn:aws:iam::{account}:root" in aws


def denied(policy: dict[str, Any], action: str, resource: str, context: dict[str, str]) -> str | None:
    """The Sid (or "statement N") of the first Deny statement that applies, else None."""
    statements = policy.get("Statement", [])
    for n, st in enumerate(statements if isinstance(statements, list) else [statements]):
        if st.get("Effect") != "Deny":
            continue
        principal, account = context.get("aws:PrincipalArn", ""), context.get("aws:PrincipalAccount", "")
        if "Principal" in st and not _principal_matches(st["Principal"], principal, account):
            continue
        if "NotPrincipal" in st and _principal_matches(st["NotPrincipal"], principal, account):
            continue
        if "Action" in st and not _matches(st["Action"], action, case=False):
            continue
        if "NotAction" in st and _matches(st["NotAction"], action, case=False):
            continue
        if "Resource" in st and not _matches(st["Resource"], resource):
            continue
        if "NotResource" in st and _matches(st["NotResource"], resource):
            continue
        if conditions_hold(st.get("Condition", {}), context, deny=True):
            return str(st.get("Sid") or f"statement {n}")
    return None


def principal_of(access_key: str, account: str) -> str:
    """aws:PrincipalArn for an access key: an IAM user's ARN, an assumed role's role ARN, else root."""
    from moto.iam.models import iam_backends
    from moto.sts.models import sts_backends

    for role in sts_backends[account]["aws"].assumed_roles:
        if role.access_key_id == access_key:
            return str(role.role_arn)
    for user in iam_backends[account]["aws"].users.values():
        if any(k.access_key_id == access_key for k in user.access_keys):
            return str(user.arn)
    return f"arn:aws:iam::{account}:root"


def _context(self: S3Response) -> dict[str, str]:
    auth = self.headers.get("Authorization", "") or ""
    key = auth.split("Credential=", 1)[1].split("/", 1)[0] if "Credential=" in auth else ""
    request = self.request
    environ = getattr(request, "environ", {}) or {}
    context = {
        "aws:SecureTransport": "true" if environ.get("wsgi.url_scheme") == "https" else "false",
        "aws:PrincipalAccount": self.current_account,
        "aws:PrincipalArn": principal_of(key, self.current_account),
    }
    if ip := environ.get("REMOTE_ADDR") or getattr(request, "remote_addr", None):
        context["aws:SourceIp"] = str(ip)
    return context


def _check(self: S3Response, bucket_name: str | None, key_name: str | None) -> None:
    if not bucket_name:
        return
    try:
        bucket = self.backend.get_bucket(bucket_name)
    except S3ClientError:
        return  # moto answers NoSuchBucket as AWS does
    if not bucket.policy:
        return
    action = "s3:" + _IAM_ACTION.get(str(self.data.get("Action", "")), str(self.data.get("Action", "")))
    context = _context(self)
    if action in _OWNER_ALWAYS and context["aws:PrincipalArn"] == f"arn:aws:iam::{bucket.account_id}:root":
        return
    resource = f"arn:aws:s3:::{bucket_name}" + (f"/{key_name}" if key_name else "")
    policy = json.loads(bucket.policy.decode() if isinstance(bucket.policy, bytes) else bucket.policy)
    if denied(policy, action, resource, context):
        raise BucketAccessDeniedError(bucket=bucket_name)


def apply() -> None:
    original = S3Response._authenticate_and_authorize_s3_action

    def authorize(self: S3Response, bucket_name: str | None = None, key_name: str | None = None) -> None:
        original(self, bucket_name=bucket_name, key_name=key_name)
        _check(self, bucket_name or getattr(self, "bucket_name", None), key_name)

    S3Response._authenticate_and_authorize_s3_action = authorize  # type: ignore[method-assign,assignment]

    from moto.iam.access_control import PermissionResult

    # moto's own check (object requests only, blind to principals and condition values) gives way.
    FakeBucket.get_permission = lambda self, action, resource: PermissionResult.NEUTRAL  # type: ignore[method-assign]
