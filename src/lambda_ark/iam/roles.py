"""What each lambda-ark role may do: the kinds' declared permissions plus what lambda-ark's own code
calls (`CORE`, by module), composed per role.

    backup     one account's backup (`lambda-ark backup`, or `run` with --policy: then also assuming
               the policy's account roles, retention, copies, metrics, notifications, the errors queue)
    member     the role `run` assumes in each account of a policy: the backup's reads only
    restore    a restore into this account (reads the repository, locks it, writes the kinds)
    drill      a drill: restore, invoke, clean up (when this lambda-ark has drills)
    watch      the change-feed watch mode (when this lambda-ark has it)
    deploy     `lambda-ark deploy` / `undeploy`: the stack, its roles and its package
    planner, worker, finisher   the deployed state machine's steps (deploy gives them these)

Every declaration here and in the kinds is checked by the test suite against the calls it sees
(tests/permissions_recorder.py): an undeclared call fails, and so does a declared action no test used.
"""

from __future__ import annotations

# Calls lambda-ark's own code makes, by module (a package's entry covers its modules). Kinds declare
# theirs in their PERMISSIONS.
CORE: dict[str, tuple[str, ...]] = {
    "lambda_ark.aws": ("sts:AssumeRole",),  # Aws.assume, and the refresh of assumed credentials
    "lambda_ark.backup": ("ec2:DescribeRegions",),  # "all" regions: those the account has enabled
    "lambda_ark.backup_capture": ("lambda:ListFunctions",),
    "lambda_ark.backup_select": ("lambda:ListFunctions", "tag:GetResources"),  # a region's functions, by tags
    "lambda_ark.change_feed": ("cloudtrail:LookupEvents",),  # what changed since the previous snapshot
    "lambda_ark.repository.backends.s3": (
        "s3:GetBucketLocation", "s3:GetBucketObjectLockConfiguration", "s3:GetObject", "s3:PutObject",
        "s3:ListBucket", "s3:DeleteObject",
        # large packs go up in parts; an upload a crash left is found, resumed or aborted
        "s3:ListBucketMultipartUploads", "s3:ListMultipartUploadParts", "s3:AbortMultipartUpload",
    ),
    # init --create-bucket: the repository's bucket, set up (an administrator's step: no role of its own)
    "lambda_ark.repository.backends.s3_bucket": (
        "s3:CreateBucket", "s3:PutBucketPublicAccessBlock", "s3:PutEncryptionConfiguration",
        "s3:PutBucketVersioning", "s3:PutBucketObjectLockConfiguration", "s3:PutBucketPolicy",
    ),
    "lambda_ark.repository.keys": ("kms:GenerateDataKey", "kms:Decrypt"),
    # restore: does the resource an environment value names exist in the target? (read only)
    "lambda_ark.restore.environment": (
        "lambda:GetFunction", "sqs:GetQueueUrl", "sns:GetTopicAttributes", "dynamodb:DescribeTable",
        "kinesis:DescribeStreamSummary", "secretsmanager:DescribeSecret", "ssm:GetParameter", "kms:DescribeKey",
        "events:DescribeEventBus", "states:DescribeStateMachine", "iam:GetRole", "iam:GetPolicy",
    ),
    # event-source data (backup --data): capture reads the resources and their data (a DLQ's messages are
    # received and made visible again; a table export is written to the caller's bucket, read, removed)
    "lambda_ark.data.s3": (
        "s3:GetBucketCORS", "s3:GetLifecycleConfiguration", "s3:GetBucketNotification",
        "s3:GetBucketObjectLockConfiguration", "s3:GetBucketPublicAccessBlock", "s3:GetBucketTagging",
        "s3:GetBucketVersioning", "s3:GetEncryptionConfiguration", "s3:GetObject", "s3:GetObjectTagging",
        "s3:ListBucket",
    ),
    "lambda_ark.data.dynamodb": ("dynamodb:DescribeContinuousBackups", "dynamodb:DescribeTable",
                                 "dynamodb:DescribeTimeToLive", "dynamodb:ListTagsOfResource", "dynamodb:Scan"),
    "lambda_ark.data.dynamodb_export": ("dynamodb:DescribeExport", "dynamodb:DescribeTable",
                                        "dynamodb:ExportTableToPointInTime", "s3:PutObject", "s3:AbortMultipartUpload",
                                        "s3:DeleteObject", "s3:GetObject", "s3:ListBucket"),
    "lambda_ark.data.kinesis": ("kinesis:DescribeStreamSummary", "kinesis:GetRecords", "kinesis:GetShardIterator",
                                "kinesis:ListShards", "kinesis:ListTagsForStream"),
    "lambda_ark.data.sqs": ("sqs:CreateQueue", "sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:ListQueueTags"),
    "lambda_ark.data.sqs_messages": ("sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes", "sqs:GetQueueUrl",
                                     "sqs:ListDeadLetterSourceQueues", "sqs:ReceiveMessage", "sqs:SendMessage"),
    "lambda_ark.data.s3_versions": ("s3:DeleteObject", "s3:ListBucketVersions"),
    # ... and restore creates them and writes the data back
    "lambda_ark.data.s3_restore": (
        "s3:CreateBucket", "s3:DeleteObject", "s3:GetBucketLocation", "s3:ListBucket", "s3:PutBucketCORS",
        "s3:PutLifecycleConfiguration", "s3:PutBucketPublicAccessBlock", "s3:PutBucketTagging",
        "s3:PutBucketVersioning", "s3:PutObject", "s3:PutObjectTagging",
    ),
    "lambda_ark.data.dynamodb_restore": ("dynamodb:BatchWriteItem", "dynamodb:CreateTable", "dynamodb:DescribeTable",
                                         "dynamodb:Scan", "dynamodb:UpdateContinuousBackups"),
    "lambda_ark.data.dynamodb_import": (
        "dynamodb:DescribeImport", "dynamodb:DescribeTable", "dynamodb:ImportTable", "dynamodb:TagResource",
        "dynamodb:UpdateTable", "s3:DeleteObject", "s3:GetObject", "s3:ListBucket", "s3:PutObject",
        "logs:CreateLogGroup", "logs:CreateLogStream", "logs:DescribeLogGroups", "logs:DescribeLogStreams",
        "logs:PutLogEvents", "logs:PutRetentionPolicy",
    ),
    "lambda_ark.data.kinesis_restore": (
        "kinesis:AddTagsToStream", "kinesis:CreateStream", "kinesis:DescribeStream", "kinesis:DescribeStreamSummary",
        "kinesis:GetRecords", "kinesis:GetShardIterator", "kinesis:ListShards", "kinesis:PutRecords",
    ),
    # the audit log asks who runs the command (sts:GetCallerIdentity needs no permission)
    "lambda_ark.audit": (),
    "lambda_ark.automation.accounts": ("organizations:ListAccounts",),
    "lambda_ark.automation.metrics": ("cloudwatch:PutMetricData",),
    "lambda_ark.automation.notify": ("sns:Publish",),
    "lambda_ark.automation.errors_queue": ("sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage"),
    "lambda_ark.automation.alarms": ("cloudwatch:DescribeAlarms", "cloudwatch:PutMetricAlarm"),
    "lambda_ark.aws_lambda": ("s3:PutObject", "s3:GetObject", "s3:ListBucket", "s3:DeleteObject", "sns:Publish",
                              "secretsmanager:GetSecretValue"),
    # the watcher Lambda: when its queue was created (the events feed holds nothing older)
    "lambda_ark.aws_lambda_watch": ("sqs:GetQueueUrl", "sqs:GetQueueAttributes"),
    # watch mode: the per-region rule and queues (watch_channel), the queue's messages (watch)
    "lambda_ark.watch": ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility",
                         "sqs:SendMessage"),
    "lambda_ark.watch_channel": (
        "events:PutRule", "events:PutTargets", "events:RemoveTargets", "events:DeleteRule", "iam:PassRole",
        "sqs:CreateQueue", "sqs:DeleteQueue", "sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:SetQueueAttributes",
    ),
    # drills: into a scratch account (assumed), invoking what was restored, cleaning it all up
    "lambda_ark.drill.run": ("sts:AssumeRole",),
    "lambda_ark.drill.verify": ("lambda:InvokeFunction",),
    "lambda_ark.drill.cleanup": (
        "lambda:ListTags", "lambda:GetFunction", "lambda:DeleteFunction", "lambda:ListEventSourceMappings",
        "lambda:DeleteEventSourceMapping", "lambda:ListLayers", "lambda:ListLayerVersions",
        "lambda:DeleteLayerVersion", "lambda:ListCodeSigningConfigs", "apigateway:GET", "tag:GetResources",
    ),
    # `access` (zone-scoped bucket policies) asks only who it runs as: sts:GetCallerIdentity needs no permission
    "lambda_ark.access": (),
    # export --upload: the templates' code objects in the user's bucket
    "lambda_ark.export.run": ("s3:GetObject", "s3:PutObject"),
    # the local state machine runner does what Step Functions does for the deployed state machine (its
    # role in the template grants these): the map's items and results, the alerts topic and queue
    "lambda_ark.deploy.asl": ("s3:GetObject", "s3:PutObject", "sns:Publish", "sqs:SendMessage"),
    # deploy / undeploy: the stack through change sets; the assets bucket (created private, encrypted,
    # TLS-only when missing) and the package in it; (undeploy) emptying the stack's own work bucket
    "lambda_ark.deploy": (
        "cloudformation:CreateChangeSet", "cloudformation:DescribeChangeSet", "cloudformation:ExecuteChangeSet",
        "cloudformation:DeleteChangeSet", "cloudformation:DescribeStacks", "cloudformation:DescribeStackEvents",
        "cloudformation:ListStackResources", "cloudformation:DeleteStack", "iam:PassRole",
        "s3:ListBucket", "s3:CreateBucket", "s3:PutBucketPublicAccessBlock", "s3:PutEncryptionConfiguration",
        "s3:PutBucketPolicy", "s3:GetObject", "s3:PutObject", "s3:ListBucketVersions", "s3:DeleteObject",
        "s3:DeleteObjectVersion",
    ),
}

# Which data modules a backup uses, and which a restore (restore reads too: comparing, resuming).
DATA_CAPTURE = ("lambda_ark.data.s3", "lambda_ark.data.dynamodb", "lambda_ark.data.dynamodb_export",
                "lambda_ark.data.kinesis", "lambda_ark.data.sqs", "lambda_ark.data.sqs_messages",
                "lambda_ark.data.s3_versions")
DATA_RESTORE = (*DATA_CAPTURE, "lambda_ark.data.s3_restore", "lambda_ark.data.dynamodb_restore",
                "lambda_ark.data.dynamodb_import", "lambda_ark.data.kinesis_restore")

# Actions granted though no lambda-ark code calls them: AWS calls them on the role's behalf.
EXTRA: dict[str, tuple[str, ...]] = {
    # CloudFormation creates, updates and deletes the stack's resources with the deployer's own
    # permissions (no service role), and reads the template and the package from the assets bucket.
    "deploy": (
        "s3:GetObject", "s3:CreateBucket", "s3:DeleteBucket", "s3:PutBucketPublicAccessBlock",
        "s3:PutEncryptionConfiguration", "s3:PutLifecycleConfiguration", "s3:PutBucketPolicy",
        "s3:DeleteBucketPolicy", "s3:GetBucketPolicy", "s3:PutBucketTagging",
        "sns:CreateTopic", "sns:DeleteTopic", "sns:GetTopicAttributes", "sns:SetTopicAttributes", "sns:TagResource",
        "sqs:CreateQueue", "sqs:DeleteQueue", "sqs:GetQueueAttributes", "sqs:SetQueueAttributes", "sqs:TagQueue",
        "iam:CreateRole", "iam:DeleteRole", "iam:GetRole", "iam:PutRolePolicy", "iam:DeleteRolePolicy",
        "iam:GetRolePolicy", "iam:UpdateAssumeRolePolicy", "iam:UpdateRoleDescription", "iam:TagRole",
        "iam:PassRole",
        "lambda:CreateFunction", "lambda:DeleteFunction", "lambda:GetFunction", "lambda:GetFunctionConfiguration",
        "lambda:UpdateFunctionCode", "lambda:UpdateFunctionConfiguration", "lambda:TagResource", "lambda:ListTags",
        "logs:CreateLogGroup", "logs:DeleteLogGroup", "logs:PutRetentionPolicy", "logs:DescribeLogGroups",
        "logs:TagResource",
        "states:CreateStateMachine", "states:DeleteStateMachine", "states:UpdateStateMachine",
        "states:DescribeStateMachine", "states:TagResource",
        "scheduler:CreateSchedule", "scheduler:DeleteSchedule", "scheduler:UpdateSchedule", "scheduler:GetSchedule",
        "cloudwatch:PutMetricAlarm", "cloudwatch:DeleteAlarms", "cloudwatch:DescribeAlarms",
        "cloudwatch:PutDashboard", "cloudwatch:DeleteDashboards", "cloudwatch:GetDashboard",
    ),
}

# Modules whose calls are not lambda-ark acting on an estate: the demo builds one, the embedded
# endpoint is the estate.
UNCHECKED = ("lambda_ark.demo", "lambda_ark.embedded")
