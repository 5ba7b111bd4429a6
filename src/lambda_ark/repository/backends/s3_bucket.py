"""The bucket `init --create-bucket` makes for an S3 repository, set up as a backup store should be:

- Block Public Access, all four settings;
- default encryption: SSE-KMS with the repository's KMS key (and an S3 Bucket Key) when one is
  given, else SSE-S3;
- versioning (an overwritten or deleted object stays recoverable; Object Lock needs it anyway);
- a bucket policy refusing every request not made over TLS (`aws:SecureTransport`);
- Object Lock enabled when retention is asked for (lambda-ark sets each object's retention itself and
  leaves its lock files unretained, so the bucket gets no default retention rule).

Idempotent: run again on a bucket this account already owns (a run that died halfway), it applies
whatever is missing. Each step's failure names the step and says what is already in place.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ...aws import Aws, call, error_code
from ...errors import AwsError, LambdaArkError, UsageError
from .s3 import parse_url


@dataclass
class BucketSetup:
    bucket: str
    region: str
    created: bool = False  # False: it existed (this account's) and was completed
    done: list[str] = field(default_factory=list)  # the settings applied, in order


def tls_only_policy(bucket: str, partition: str = "aws") -> dict[str, Any]:
    arn = f"arn:{partition}:s3:::{bucket}"
    return {"Version": "2012-10-17", "Statement": [{
        "Sid": "TlsOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": [arn, f"{arn}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}


def create_repository_bucket(aws: Aws, url: str, *, kms_key_id: str | None = None,
                             object_lock: bool = False, region: str | None = None) -> BucketSetup:
    endpoint, bucket, _ = parse_url(url)
    if endpoint is not None:
        raise UsageError(f"--create-bucket makes AWS S3 buckets; {url} names another S3 endpoint: create it there")
    where = region or aws.session.region_name or "us-east-1"
    s3 = aws.client("s3", where)
    setup = BucketSetup(bucket=bucket, region=where)
    args: dict[str, Any] = {"Bucket": bucket}
    if where != "us-east-1":
        args["CreateBucketConfiguration"] = {"LocationConstraint": where}
    if object_lock:
        args["ObjectLockEnabledForBucket"] = True
    try:
        call(s3, "create_bucket", **args)
        setup.created = True
        setup.done.append("created" + (" with Object Lock" if object_lock else ""))
    except AwsError as exc:
        if error_code(exc) == "BucketAlreadyExists":
            raise UsageError(f"bucket {bucket} exists and belongs to another account: choose another name") from exc
        if error_code(exc) != "BucketAlreadyOwnedByYou":
            raise
    encryption: dict[str, Any] = {"SSEAlgorithm": "AES256"}
    if kms_key_id:
        encryption = {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": kms_key_id}
    steps: list[tuple[str, str, dict[str, Any]]] = [
        ("Block Public Access", "put_public_access_block", {"PublicAccessBlockConfiguration": {
            "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True}}),
        ("default encryption", "put_bucket_encryption", {"ServerSideEncryptionConfiguration": {"Rules": [
            {"ApplyServerSideEncryptionByDefault": encryption, "BucketKeyEnabled": bool(kms_key_id)}]}}),
        ("versioning", "put_bucket_versioning", {"VersioningConfiguration": {"Status": "Enabled"}}),
    ]
    if object_lock and not setup.created:  # a bucket made without it (or by a run that died): enable it
        steps.append(("Object Lock", "put_object_lock_configuration",
                      {"ObjectLockConfiguration": {"ObjectLockEnabled": "Enabled"}}))
    # last: from here on plain-HTTP requests are refused, as they should be
    steps.append(("TLS-only bucket policy", "put_bucket_policy", {"Policy": json.dumps(tls_only_policy(bucket))}))
    for name, operation, params in steps:
        try:
            call(s3, operation, Bucket=bucket, **params)
        except AwsError as exc:
            have = ", ".join(setup.done) or "nothing"
            raise LambdaArkError(f"bucket {bucket}: {name} could not be set ({exc}); already in place: {have}. "
                                 "Run the same command again once that is fixed") from exc
        setup.done.append(name)
    return setup
