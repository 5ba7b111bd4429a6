"""A public function URL keeps working after a restore: its statements come back with their conditions.

Since October 2025 a URL with AuthType NONE needs two statements: lambda:InvokeFunctionUrl with
`lambda:FunctionUrlAuthType` = NONE, and lambda:InvokeFunction with `lambda:InvokedViaFunctionUrl`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from ownaccount import backup, create_function, not_unchanged, own_account, restore

from lambda_ark.aws import Aws
from lambda_ark.kinds.policy import permission_args
from lambda_ark.restore.apply import RestoreOptions

FN = "arn:aws:lambda:us-east-1:123456789012:function:f"


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        (  # AWS's shape
            {"Sid": "u", "Effect": "Allow", "Principal": "*", "Action": "lambda:InvokeFunctionUrl", "Resource": FN,
             "Condition": {"StringEquals": {"lambda:FunctionUrlAuthType": "NONE"}}},
            {"StatementId": "u", "Action": "lambda:InvokeFunctionUrl", "Principal": "*", "FunctionUrlAuthType": "NONE"},
        ),
        (  # some emulators keep the request's members at the top of the statement
            {"Sid": "u", "Effect": "Allow", "Principal": "*", "Action": "lambda:InvokeFunctionUrl", "Resource": FN,
             "FunctionUrlAuthType": "NONE"},
            {"StatementId": "u", "Action": "lambda:InvokeFunctionUrl", "Principal": "*", "FunctionUrlAuthType": "NONE"},
        ),
        (
            {"Sid": "i", "Effect": "Allow", "Principal": "*", "Action": "lambda:InvokeFunction", "Resource": FN,
             "Condition": {"Bool": {"lambda:InvokedViaFunctionUrl": "true"}}},
            {"StatementId": "i", "Action": "lambda:InvokeFunction", "Principal": "*", "InvokedViaFunctionUrl": True},
        ),
        (
            {"Sid": "i", "Effect": "Allow", "Principal": "*", "Action": "lambda:InvokeFunction", "Resource": FN,
             "InvokedViaFunctionUrl": True},
            {"StatementId": "i", "Action": "lambda:InvokeFunction", "Principal": "*", "InvokedViaFunctionUrl": True},
        ),
        (
            {"Sid": "o", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
             "Action": "lambda:InvokeFunction", "Resource": FN,
             "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-1234567890", "AWS:SourceAccount": "1"},
                           "ArnLike": {"AWS:SourceArn": "arn:aws:s3:::b"}}},
            {"StatementId": "o", "Action": "lambda:InvokeFunction", "Principal": "111122223333",
             "PrincipalOrgID": "o-1234567890", "SourceAccount": "1", "SourceArn": "arn:aws:s3:::b"},
        ),
    ],
)
def test_permission_args_reads_the_statement_back(statement: dict[str, Any], expected: dict[str, Any]) -> None:
    assert permission_args(statement) == expected


def _statements(lam: Any, name: str) -> dict[str, dict[str, Any]]:
    return {s["Sid"]: s for s in json.loads(lam.get_policy(FunctionName=name)["Policy"])["Statement"]}


def test_a_public_function_url_and_its_statements_round_trip(aws: Aws, tmp_path: Path) -> None:
    src, dst = "us-west-1", "ca-west-1"
    own = own_account(aws)
    create_function(own, src, "web")
    lam = own.client("lambda", src)
    lam.create_function_url_config(FunctionName="web", AuthType="NONE")
    lam.add_permission(FunctionName="web", StatementId="FunctionURLAllowPublicAccess",
                       Action="lambda:InvokeFunctionUrl", Principal="*", FunctionUrlAuthType="NONE")
    lam.add_permission(FunctionName="web", StatementId="FunctionURLInvokeAllowPublicAccess",
                       Action="lambda:InvokeFunction", Principal="*", InvokedViaFunctionUrl=True)
    before = _statements(lam, "web")

    repo, result = backup(own, tmp_path, src)
    assert result.errors == []
    options = RestoreOptions(to_region=dst)
    applied = restore(own, repo, options)
    assert applied.failed == [], applied.failed

    target = own.client("lambda", dst)
    assert target.get_function_url_config(FunctionName="web")["AuthType"] == "NONE"
    after = _statements(target, "web")
    assert set(after) == set(before)
    for sid, statement in before.items():
        assert after[sid]["Condition"] == statement["Condition"], sid
        assert after[sid]["Resource"] == statement["Resource"].replace(f":{src}:", f":{dst}:")
    assert not_unchanged(restore(own, repo, options)) == []
