"""Which IAM actions an AWS API call needs: `service.Operation` (botocore's names) -> IAM actions.

For most services the IAM action is the operation's own name under the service's IAM prefix
(`lambda.GetFunction` -> `lambda:GetFunction`). The exceptions are data, in two tables, each entry
from the Service Authorization Reference:

- `PREFIX`: services whose IAM prefix is not botocore's signing name (CloudWatch signs as
  "monitoring", the tagging API as "tagging"). API Gateway (REST and v2) authorizes by HTTP verb:
  `apigateway:GET`, `apigateway:POST`, ...
- `RENAMED`: operations authorized under another name (S3 `ListBuckets` is `s3:ListAllMyBuckets`,
  Lambda `Invoke` is `lambda:InvokeFunction`), or needing no permission at all (`sts:GetCallerIdentity`).
- `IMPLIED`: extra actions AWS checks besides the operation's own (passing a role checks
  `iam:PassRole`; a Lambda@Edge association on a distribution checks `lambda:GetFunction` and
  `lambda:EnableReplication*`).

The permission tests map every call lambda-ark makes through `actions_for` and check the result
against what each kind and command declares; parliament's copy of the IAM reference checks that
every action named here exists.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import botocore.session

# IAM prefix by botocore service name, where it is not the service's signing name.
PREFIX: dict[str, str] = {
    "cloudwatch": "cloudwatch",  # signs as "monitoring"
    "resourcegroupstaggingapi": "tag",  # signs as "tagging"
}

# Services that authorize by HTTP verb on a resource path rather than by operation name.
BY_HTTP_METHOD = frozenset({"apigateway", "apigatewayv2"})

# (service, operation) -> the actions authorizing it; () means no permission is needed.
RENAMED: dict[tuple[str, str], tuple[str, ...]] = {
    ("sts", "GetCallerIdentity"): (),  # "No permissions are required to perform this operation."
    ("lambda", "Invoke"): ("lambda:InvokeFunction",),
    ("lambda", "InvokeWithResponseStream"): ("lambda:InvokeFunction",),
    ("lambda", "GetLayerVersionByArn"): ("lambda:GetLayerVersion",),
    ("s3", "ListBuckets"): ("s3:ListAllMyBuckets",),
    ("s3", "ListObjectsV2"): ("s3:ListBucket",),
    ("s3", "ListObjects"): ("s3:ListBucket",),
    ("s3", "ListObjectVersions"): ("s3:ListBucketVersions",),
    ("s3", "HeadBucket"): ("s3:ListBucket",),
    ("s3", "HeadObject"): ("s3:GetObject",),
    ("s3", "DeleteObjects"): ("s3:DeleteObject",),
    ("s3", "CopyObject"): ("s3:GetObject", "s3:PutObject"),
    ("sqs", "DeleteMessageBatch"): ("sqs:DeleteMessage",),
    ("sqs", "SendMessageBatch"): ("sqs:SendMessage",),
    ("sqs", "ChangeMessageVisibilityBatch"): ("sqs:ChangeMessageVisibility",),
    ("s3", "CreateMultipartUpload"): ("s3:PutObject",),
    ("s3", "UploadPart"): ("s3:PutObject",),
    ("s3", "CompleteMultipartUpload"): ("s3:PutObject",),
    ("s3", "ListMultipartUploads"): ("s3:ListBucketMultipartUploads",),
    ("s3", "ListParts"): ("s3:ListMultipartUploadParts",),
    ("s3", "GetBucketNotificationConfiguration"): ("s3:GetBucketNotification",),
    ("s3", "PutBucketNotificationConfiguration"): ("s3:PutBucketNotification",),
    ("s3", "GetObjectLockConfiguration"): ("s3:GetBucketObjectLockConfiguration",),
    ("s3", "PutObjectLockConfiguration"): ("s3:PutBucketObjectLockConfiguration",),
    ("s3", "PutPublicAccessBlock"): ("s3:PutBucketPublicAccessBlock",),
    ("s3", "GetPublicAccessBlock"): ("s3:GetBucketPublicAccessBlock",),
    ("s3", "PutBucketEncryption"): ("s3:PutEncryptionConfiguration",),
    ("s3", "GetBucketEncryption"): ("s3:GetEncryptionConfiguration",),
    ("s3", "GetBucketLifecycleConfiguration"): ("s3:GetLifecycleConfiguration",),
    ("s3", "PutBucketLifecycleConfiguration"): ("s3:PutLifecycleConfiguration",),
    ("s3", "GetBucketCors"): ("s3:GetBucketCORS",),
    ("s3", "PutBucketCors"): ("s3:PutBucketCORS",),
}

# Actions AWS checks on top of the operation's own, when the call names what needs them.
IMPLIED: dict[tuple[str, str], tuple[str, ...]] = {
    ("lambda", "CreateFunction"): ("iam:PassRole",),
    ("lambda", "UpdateFunctionConfiguration"): ("iam:PassRole",),
    ("pipes", "CreatePipe"): ("iam:PassRole",),
    ("pipes", "UpdatePipe"): ("iam:PassRole",),
    ("iot", "CreateTopicRule"): ("iam:PassRole",),
    ("iot", "ReplaceTopicRule"): ("iam:PassRole",),
    ("appsync", "CreateDataSource"): ("iam:PassRole",),
    ("appsync", "UpdateDataSource"): ("iam:PassRole",),
    ("firehose", "UpdateDestination"): ("iam:PassRole",),
    ("scheduler", "CreateSchedule"): ("iam:PassRole",),
    ("scheduler", "UpdateSchedule"): ("iam:PassRole",),
    ("events", "PutTargets"): ("iam:PassRole",),
    ("stepfunctions", "UpdateStateMachine"): ("iam:PassRole",),
    ("cloudformation", "CreateStack"): ("iam:PassRole",),
    ("cloudformation", "UpdateStack"): ("iam:PassRole",),
    ("cloudformation", "CreateChangeSet"): ("iam:PassRole",),
    # DynamoDB writes an export into S3, and reads an import from it, with the caller's permissions
    # ("Requesting a table export", "Requesting an import from Amazon S3"; an import logs to CloudWatch Logs)
    ("dynamodb", "ExportTableToPointInTime"): ("s3:PutObject", "s3:AbortMultipartUpload"),
    ("dynamodb", "ImportTable"): ("s3:GetObject", "s3:ListBucket", "logs:CreateLogGroup", "logs:CreateLogStream",
                                  "logs:DescribeLogGroups", "logs:DescribeLogStreams", "logs:PutLogEvents",
                                  "logs:PutRetentionPolicy"),
    # "Permissions required to use Lambda@Edge": the caller of UpdateDistribution needs these.
    # (and, the first time an account replicates a function, iam:CreateServiceLinkedRole)
    ("cloudfront", "UpdateDistribution"): ("lambda:GetFunction", "lambda:EnableReplication",
                                           "iam:CreateServiceLinkedRole"),
}


@lru_cache(maxsize=64)
def _service_model(service: str) -> Any:
    return botocore.session.get_session().get_service_model(service)


def prefix(service: str) -> str:
    """The IAM prefix of a botocore service name (`elbv2` -> `elasticloadbalancing`)."""
    return PREFIX.get(service) or str(_service_model(service).signing_name)


def actions_for(service: str, operation: str) -> tuple[str, ...]:
    """The IAM actions a call needs: its own (by the tables above) and those it implies."""
    own: tuple[str, ...]
    if (service, operation) in RENAMED:
        own = RENAMED[(service, operation)]
    elif service in BY_HTTP_METHOD:
        method = str(_service_model(service).operation_model(operation).http["method"]).upper()
        own = (f"apigateway:{method}",)
    else:
        own = (f"{prefix(service)}:{operation}",)
    return own + IMPLIED.get((service, operation), ())


# Verbs of actions that change nothing: what backup and restore's planning may call.
_READ_VERBS = ("Get", "List", "Describe", "Head", "Lookup", "Search", "BatchGet", "Query", "Scan")


def is_read(action: str) -> bool:
    """Whether an IAM action only reads (Get*, List*, Describe*, apigateway:GET, ...)."""
    prefix_, _, name = action.partition(":")
    if prefix_ == "apigateway":
        return name == "GET"
    if action == "s3:ListAllMyBuckets":
        return True
    return name.startswith(_READ_VERBS)
