"""Watch mode's plumbing in each region: an EventBridge rule, an SQS queue and its dead-letter queue.

CloudTrail delivers every management event to the region's default event bus as "AWS API Call via
CloudTrail". A rule there (`lambda-ark-changes`) matches those of the services lambda-ark records
and sends them to an SQS queue of the same name, whose policy lets EventBridge send from that rule
only; messages that cannot be processed end in `lambda-ark-changes-dlq` (14 days). IAM's and
CloudFront's events are delivered in us-east-1 only, so us-east-1 always gets a channel too.
`ensure` is idempotent; `teardown` removes what `ensure` made.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .aws import Aws, call, error_code
from .errors import AwsError

QUEUE = "lambda-ark-changes"
HOME = "us-east-1"
DETAIL_TYPE = "AWS API Call via CloudTrail"
SOURCES = ("aws.lambda", "aws.s3", "aws.apigateway", "aws.events", "aws.scheduler", "aws.sns", "aws.cloudfront",
           "aws.iam")
PATTERN = {"detail-type": [DETAIL_TYPE], "source": list(SOURCES)}
TARGET_ID = "lambda-ark"
RETENTION = str(14 * 24 * 3600)  # SQS's longest: a watch stopped for days still finds its changes
VISIBILITY = "900"  # seconds a received message stays hidden while its snapshot is written
MAX_RECEIVES = 10  # then a message that keeps failing goes to the dead-letter queue


@dataclass(frozen=True)
class Channel:
    region: str
    queue_url: str
    queue_arn: str
    dlq_url: str
    rule_arn: str
    created: datetime  # the queue's creation: changes before it are not in it


def regions_for(regions: list[str]) -> list[str]:
    """The regions that need a channel: the watched ones and us-east-1 (IAM, CloudFront)."""
    return sorted(set(regions) | {HOME})


def ensure(aws: Aws, regions: list[str], name: str = QUEUE) -> dict[str, Channel]:
    """The channel of every region in `regions_for(regions)`, created where missing."""
    account = aws.account_id()
    return {region: _ensure_one(aws, account, region, name) for region in regions_for(regions)}


def _ensure_one(aws: Aws, account: str, region: str, name: str) -> Channel:
    sqs, events = aws.client("sqs", region), aws.client("events", region)
    rule_arn = f"arn:aws:events:{region}:{account}:rule/{name}"
    dlq_url = _queue(sqs, f"{name}-dlq", {"MessageRetentionPeriod": RETENTION})
    dlq_arn = _attributes(sqs, dlq_url)["QueueArn"]
    queue_url = _queue(sqs, name, {
        "MessageRetentionPeriod": RETENTION,
        "VisibilityTimeout": VISIBILITY,
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(MAX_RECEIVES)}),
    })
    attrs = _attributes(sqs, queue_url)
    queue_arn = attrs["QueueArn"]
    policy = {
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "lambda-ark-events",
            "Effect": "Allow",
            "Principal": {"Service": "events.amazonaws.com"},
            "Action": "sqs:SendMessage",
            "Resource": queue_arn,
            "Condition": {"ArnEquals": {"aws:SourceArn": rule_arn}},
        }],
    }
    call(sqs, "set_queue_attributes", QueueUrl=queue_url, Attributes={"Policy": json.dumps(policy)})
    call(events, "put_rule", Name=name, EventPattern=json.dumps(PATTERN), State="ENABLED",
         Description="lambda-ark watch: changes to back up")
    call(events, "put_targets", Rule=name, Targets=[{"Id": TARGET_ID, "Arn": queue_arn}])
    created = datetime.fromtimestamp(float(attrs.get("CreatedTimestamp") or 0), UTC)  # AWS: whole seconds
    return Channel(region, queue_url, queue_arn, dlq_url, rule_arn, created)


def _queue(sqs: Any, name: str, attributes: dict[str, str]) -> str:
    """The queue's URL, created if missing; its attributes set as given either way."""
    try:
        url = str(call(sqs, "get_queue_url", QueueName=name)["QueueUrl"])
    except AwsError as exc:
        if error_code(exc) not in ("AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist"):
            raise
        return str(call(sqs, "create_queue", QueueName=name, Attributes=attributes)["QueueUrl"])
    call(sqs, "set_queue_attributes", QueueUrl=url, Attributes=attributes)
    return url


def _attributes(sqs: Any, url: str) -> dict[str, str]:
    return dict(call(sqs, "get_queue_attributes", QueueUrl=url, AttributeNames=["All"])["Attributes"])


def teardown(aws: Aws, regions: list[str], name: str = QUEUE) -> list[str]:
    """Remove the rule, the queue and the dead-letter queue in each region; returns what was removed."""
    removed: list[str] = []
    for region in regions_for(regions):
        events, sqs = aws.client("events", region), aws.client("sqs", region)
        try:
            call(events, "remove_targets", Rule=name, Ids=[TARGET_ID])
            call(events, "delete_rule", Name=name)
            removed.append(f"rule {name} in {region}")
        except AwsError as exc:
            if error_code(exc) != "ResourceNotFoundException":
                raise
        for queue in (name, f"{name}-dlq"):
            try:
                url = call(sqs, "get_queue_url", QueueName=queue)["QueueUrl"]
            except AwsError as exc:
                if error_code(exc) not in ("AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist"):
                    raise
                continue
            call(sqs, "delete_queue", QueueUrl=url)
            removed.append(f"queue {queue} in {region}")
    return removed
