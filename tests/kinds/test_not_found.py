"""Each service's own "no such thing" codes: absent is absent (never a failure), and nothing else is.

The round trip of provisioned concurrency depends on it: AWS answers a qualifier without any with
ProvisionedConcurrencyConfigNotFoundException, not ResourceNotFoundException.
"""

from __future__ import annotations

from pathlib import Path

import botocore.session
import pytest
from ownaccount import backup, create_function, not_unchanged, own_account, restore

from lambda_ark.aws import Aws
from lambda_ark.errors import AwsError
from lambda_ark.kinds.common import NOT_FOUND, maybe, not_found_codes
from lambda_ark.restore.apply import RestoreOptions

# Codes that travel on the wire without a modelled error shape of that name.
_UNMODELLED = {("s3", "404"), ("s3", "NotFound"), ("sqs", "AWS.SimpleQueueService.NonExistentQueue")}


@pytest.mark.parametrize("service", sorted(NOT_FOUND))
def test_not_found_codes_are_the_services_own(service: str) -> None:
    model = botocore.session.get_session().get_service_model(service)
    codes = {
        e.metadata.get("error", {}).get("code", e.name)
        for op in model.operation_names
        for e in model.operation_model(op).error_shapes
    }
    for code in NOT_FOUND[service]:
        assert code in codes or (service, code) in _UNMODELLED, f"{service} has no error code {code}"


# Every service whose reads go through maybe(), by boto3 client name (restore's environment probes
# ask Secrets Manager, SSM, KMS and Step Functions whether an ARN named in a variable exists there).
CLIENTS = ("lambda", "iam", "s3", "apigateway", "apigatewayv2", "events", "scheduler", "sns", "cloudfront",
           "dynamodb", "kinesis", "sqs", "secretsmanager", "ssm", "kms", "stepfunctions", "elbv2", "logs",
           "cognito-idp", "pipes", "iot", "ses", "firehose", "appsync", "cloudwatch")


@pytest.mark.parametrize("service", CLIENTS)
def test_every_service_read_has_its_codes(aws: Aws, service: str) -> None:
    assert not_found_codes(aws.client(service, "us-east-1"))


def test_maybe_takes_the_clients_service_codes(aws: Aws) -> None:
    assert maybe(aws.client("iam"), "get_role", RoleName="no-such-role-anywhere") is None
    assert maybe(aws.client("sns", "us-east-1"), "get_topic_attributes",
                 TopicArn="arn:aws:sns:us-east-1:123456789012:no-such-topic") is None
    with pytest.raises(AwsError):  # a malformed request is not "missing"
        maybe(aws.client("lambda", "us-east-1"), "get_function", FunctionName="arn:aws:iam::1:role/not-a-function")


def test_provisioned_concurrency_on_an_alias_is_restored_into_another_region(aws: Aws, tmp_path: Path) -> None:
    src, dst = "eu-west-3", "eu-north-1"
    own = own_account(aws)
    create_function(own, src, "pc", Publish=True)
    lam = own.client("lambda", src)
    lam.create_alias(FunctionName="pc", Name="live", FunctionVersion="1")
    lam.put_provisioned_concurrency_config(FunctionName="pc", Qualifier="live", ProvisionedConcurrentExecutions=3)

    repo, result = backup(own, tmp_path, src)
    assert result.errors == []
    (record,) = repo.load_snapshot("latest").body["functions"]
    assert record["items"]["concurrency"]["provisioned"] == {"live": 3}

    options = RestoreOptions(to_region=dst)
    assert restore(own, repo, options, dry_run=True).failed == []
    applied = restore(own, repo, options)
    assert applied.failed == [], applied.failed
    got = own.client("lambda", dst).get_provisioned_concurrency_config(FunctionName="pc", Qualifier="live")
    assert got["RequestedProvisionedConcurrentExecutions"] == 3
    assert not_unchanged(restore(own, repo, options)) == []
