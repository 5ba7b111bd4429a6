"""The event a DynamoDB stream mapping delivers when an item holds binary values.

AWS: the Lambda event carries stream records in DynamoDB JSON, binary values (B, BS) as base64 text
("DynamoDB Streams and AWS Lambda triggers", event example with "B": "...base64...").
moto: `send_dynamodb_items` JSON-encodes the raw bytes, so any PutItem with a binary attribute on a
table with a stream mapping fails with InternalFailure ("Object of type bytes is not JSON serializable").
"""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Any

from moto.awslambda.models import LambdaBackend
from moto.core.utils import unix_time


def _send_dynamodb_items(self: LambdaBackend, function_arn: str, items: list[Any], source: str) -> str | bytes:
    records = []
    for item in items:
        record = item.to_json()
        dynamodb = dict(record["dynamodb"])
        if isinstance(dynamodb.get("ApproximateCreationDateTime"), datetime):
            dynamodb["ApproximateCreationDateTime"] = unix_time(dynamodb["ApproximateCreationDateTime"])
        records.append({"eventID": record["eventID"], "eventName": record["eventName"],
                        "eventVersion": record["eventVersion"], "eventSource": record["eventSource"],
                        "awsRegion": self.region_name, "dynamodb": dynamodb, "eventSourceARN": source})
    func = self._lambdas.get_arn(function_arn)
    return func.invoke(json.dumps({"Records": records}, default=_base64), {}, {})  # type: ignore[union-attr]


def _base64(value: Any) -> str:
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode()
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def apply() -> None:
    LambdaBackend.send_dynamodb_items = _send_dynamodb_items  # type: ignore[method-assign]
