"""Proving a restored function works: invoke it with its test event and judge the answer.

Pass: the invoke returns no `FunctionError` (and, when the event came with an expected output, the
output contains it). An endpoint that cannot run the runtime (the embedded endpoint answers
`NotImplemented` for anything but Python) is "not invoked here", neither pass nor fail. Details name
the error type and message the runtime reported, never the output itself (it may hold secrets).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

import botocore.exceptions

from ..aws import Aws, as_aws_error, call, error_code, one_line
from ..errors import AwsError
from .events import DrillEvent, mismatch
from .record import Status

# What an endpoint answers for a runtime it cannot run (the embedded endpoint, see embedded/runtime.py)
NOT_RUN_HERE = ("NotImplemented",)


@dataclass
class Verdict:
    status: Status
    detail: str
    seconds: float


def invoke(aws: Aws, region: str, name: str, qualifier: str, event: DrillEvent) -> Verdict:
    """Invoke `name` (`qualifier`: an alias, or "$LATEST") synchronously with the event."""
    client = aws.client("lambda", region)
    started = time.monotonic()
    args = {"Qualifier": qualifier} if qualifier and qualifier != "$LATEST" else {}
    try:
        resp = call(client, "invoke", FunctionName=name, Payload=event.payload, LogType="Tail", **args)
        try:
            body = resp["Payload"].read()
        except (botocore.exceptions.BotoCoreError, OSError) as exc:  # the answer broke off
            raise as_aws_error(client, "invoke", exc) from exc
    except AwsError as exc:
        seconds = time.monotonic() - started
        if error_code(exc) in NOT_RUN_HERE:
            why = str(exc).split(": ", 2)[-1].removeprefix("lambda-ark embedded endpoint: ")
            return Verdict("not-invoked", f"not invoked here: {why}", seconds)
        return Verdict("failed", f"invoke failed: {exc}", seconds)
    seconds = time.monotonic() - started
    if resp.get("FunctionError"):
        return Verdict("failed", f"{resp['FunctionError']}: {_error_of(body)}", seconds)
    if event.has_expectation:
        try:
            output = json.loads(body) if body else None
        except ValueError:
            return Verdict("failed", "the output is not JSON, so it cannot match the expected output", seconds)
        where = mismatch(event.expect, output)
        if where is not None:
            return Verdict("failed", f"the output does not match the expected output ({where})", seconds)
    return Verdict("passed", "", seconds)


def _error_of(body: bytes) -> str:
    """`errorType: errorMessage` from the runtime's error document."""
    try:
        doc = json.loads(body)
    except ValueError:
        return one_line(body.decode(errors="replace"), 200)
    if not isinstance(doc, dict):
        return one_line(str(doc), 200)
    return one_line(f"{doc.get('errorType', 'Error')}: {doc.get('errorMessage', '')}", 300)
