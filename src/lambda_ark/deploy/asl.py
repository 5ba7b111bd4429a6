"""A small, honest interpreter of the Amazon States Language, for the states lambda-ark's state
machine uses: run its definition locally with the real handlers against any AWS endpoint.

No Step Functions runner on PyPI works offline with Distributed Map, so this walks the ASL itself,
following the language specification (states-language.net) and the Step Functions developer guide:

- Task: `arn:aws:states:::lambda:invoke` (through `invoke`, an in-process call of the handler),
  `...:sns:publish`, `...:sqs:sendMessage`; Parameters / ResultSelector with `.$` paths and the
  intrinsics States.JsonToString and States.Format; InputPath, ResultPath, OutputPath.
- Retry (ErrorEquals, IntervalSeconds, MaxAttempts, BackoffRate, MaxDelaySeconds, JitterStrategy;
  delays go to `sleep`, which tests record instead of waiting) and Catch (ErrorEquals, ResultPath).
  `States.ALL` matches every error, `States.TaskFailed` every error but States.Timeout.
- Map, inline or DISTRIBUTED: ItemReader (`s3:getObject`, JSON), ItemsPath, ItemSelector,
  MaxConcurrency (that many items at once, no more), ToleratedFailurePercentage, ResultWriter
  (`s3:putObject`: result files and a manifest in AWS's format) — a distributed map's child
  executions run inline, each a fresh execution of the item processor.
- Pass, Choice (Variable with StringEquals, NumericEquals, NumericGreaterThan(Equals),
  NumericLessThan, BooleanEquals, IsPresent, IsNull; And, Or, Not; Default), Succeed, Fail.

Anything else raises `Unsupported` rather than being guessed at.
"""

from __future__ import annotations

import json
import random
import re
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ..aws import Aws, call
from ..parallel import parallel_map
from .asl_paths import StatesError, Unsupported, matches, place, resolve, rule_holds, select

Invoke = Callable[[str, Any], Any]  # (FunctionName, Payload) -> the function's result; raises on error
LAMBDA_INVOKE = "arn:aws:states:::lambda:invoke"
SNS_PUBLISH = "arn:aws:states:::sns:publish"
SQS_SEND = "arn:aws:states:::sqs:sendMessage"
S3_GET = "arn:aws:states:::s3:getObject"
S3_PUT = "arn:aws:states:::s3:putObject"


@dataclass
class Execution:
    status: str  # SUCCEEDED | FAILED
    output: Any = None
    error: str = ""
    cause: str = ""
    visited: list[str] = field(default_factory=list)  # state names, in order (a map's children excluded)


@dataclass
class Runner:
    """Runs one definition. `invoke` calls a Lambda function by name or ARN; `aws` reaches S3, SNS, SQS."""

    definition: dict[str, Any]
    invoke: Invoke
    aws: Aws
    sleep: Callable[[float], None] = field(default=lambda s: None)
    name: str = "lambda-ark"
    delays: list[float] = field(default_factory=list)  # every retry delay asked for
    max_running: int = 0  # the most map items seen running at once
    _running: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def start(self, payload: Any, execution: str | None = None) -> Execution:
        context = {"Execution": {"Id": f"arn:aws:states:local:000000000000:execution:{self.name}:{execution}",
                                 "Name": execution or uuid.uuid4().hex, "Input": payload,
                                 "StartTime": datetime.now(UTC).isoformat()},
                   "StateMachine": {"Name": self.name}}
        return self._machine(self.definition, payload, context)

    # -- a machine (the top level, or a map's item processor) --------------------------------
    def _machine(self, machine: dict[str, Any], data: Any, context: dict[str, Any]) -> Execution:
        states = machine["States"]
        name = machine["StartAt"]
        visited: list[str] = []
        while True:
            state = states[name]
            visited.append(name)
            try:
                data, nxt = self._state(name, state, data, context)
            except StatesError as exc:
                return Execution("FAILED", None, exc.error, exc.cause, visited)
            if nxt is None:
                if state["Type"] == "Fail":
                    return Execution("FAILED", None, state.get("Error", ""), state.get("Cause", ""), visited)
                return Execution("SUCCEEDED", data, visited=visited)
            name = nxt

    def _state(self, name: str, state: dict[str, Any], data: Any, context: dict[str, Any]) -> tuple[Any, str | None]:
        kind = state["Type"]
        context = {**context, "State": {"Name": name, "EnteredTime": datetime.now(UTC).isoformat()}}
        if kind == "Succeed":
            return select(state.get("OutputPath", "$"), select(state.get("InputPath", "$"), data, context),
                          context), None
        if kind == "Fail":
            return data, None
        if kind == "Choice":
            return self._choice(state, data, context)
        nxt = None if state.get("End") else state["Next"]
        effective = select(state.get("InputPath", "$"), data, context)
        if kind == "Pass":
            result = state["Result"] if "Result" in state else (
                resolve(state["Parameters"], effective, context) if "Parameters" in state else effective)
            return _output(state, data, result, context), nxt
        if kind not in ("Task", "Map"):
            raise Unsupported(f"state {name}: type {kind}")
        try:
            result = self._attempts(state, effective, context)
        except StatesError as exc:
            for catcher in state.get("Catch", []):
                if matches(catcher["ErrorEquals"], exc.error):
                    error = {"Error": exc.error, "Cause": exc.cause}
                    return place(catcher.get("ResultPath", "$"), data, error), catcher["Next"]
            raise
        return _output(state, data, result, context), nxt

    def _attempts(self, state: dict[str, Any], data: Any, context: dict[str, Any]) -> Any:
        tries: dict[int, int] = {}
        while True:
            try:
                if state["Type"] == "Map":
                    return self._map(state, data, context)
                return self._task(state, data, context)
            except StatesError as exc:
                for i, retrier in enumerate(state.get("Retry", [])):
                    if matches(retrier["ErrorEquals"], exc.error):
                        tries[i] = tries.get(i, 0) + 1
                        if tries[i] > int(retrier.get("MaxAttempts", 3)):
                            raise
                        self._wait(retrier, tries[i])
                        break
                else:
                    raise

    def _wait(self, retrier: dict[str, Any], attempt: int) -> None:
        delay = float(retrier.get("IntervalSeconds", 1)) * float(retrier.get("BackoffRate", 2.0)) ** (attempt - 1)
        if "MaxDelaySeconds" in retrier:
            delay = min(delay, float(retrier["MaxDelaySeconds"]))
        if retrier.get("JitterStrategy") == "FULL":
            delay = random.uniform(0, delay)
        with self._lock:
            self.delays.append(delay)
        self.sleep(delay)

    # -- Task ----------------------------------------------------------------------------------
    def _task(self, state: dict[str, Any], data: Any, context: dict[str, Any]) -> Any:
        params = resolve(state.get("Parameters", data), data, context)
        resource = state["Resource"]
        if resource == LAMBDA_INVOKE:
            try:
                payload = self.invoke(params["FunctionName"], params.get("Payload", data))
            except StatesError:
                raise
            except Exception as exc:  # noqa: BLE001 - a function error, named as Lambda names it
                kind = type(exc).__name__
                cause = {"errorMessage": str(exc), "errorType": kind, "stackTrace": []}
                raise StatesError(kind, json.dumps(cause)) from exc
            # a result must be JSON, as it is through the Lambda API
            return {"ExecutedVersion": "$LATEST", "Payload": json.loads(json.dumps(payload)), "StatusCode": 200}
        if resource == SNS_PUBLISH:
            return self._service("sns", "publish", params, _arn_region(params["TopicArn"]))
        if resource == SQS_SEND:
            return self._service("sqs", "send_message", params, _queue_region(params["QueueUrl"]))
        raise Unsupported(f"task resource {resource}")

    def _service(self, service: str, operation: str, params: dict[str, Any], region: str | None) -> Any:
        try:
            out = call(self.aws.client(service, region), operation, **params)
        except Exception as exc:  # noqa: BLE001 - as Step Functions reports a service error
            raise StatesError(f"{service.upper()}.{type(exc).__name__}", str(exc)) from exc
        out.pop("ResponseMetadata", None)
        return out

    # -- Choice --------------------------------------------------------------------------------
    def _choice(self, state: dict[str, Any], data: Any, context: dict[str, Any]) -> tuple[Any, str | None]:
        effective = select(state.get("InputPath", "$"), data, context)
        for rule in state["Choices"]:
            if rule_holds(rule, effective, context):
                return select(state.get("OutputPath", "$"), effective, context), rule["Next"]
        if "Default" not in state:
            raise StatesError("States.NoChoiceMatched", "no choice rule matched and there is no Default")
        return select(state.get("OutputPath", "$"), effective, context), state["Default"]

    # -- Map -----------------------------------------------------------------------------------
    def _map(self, state: dict[str, Any], data: Any, context: dict[str, Any]) -> Any:
        processor = state.get("ItemProcessor") or state.get("Iterator")
        if processor is None:
            raise Unsupported("a Map state without ItemProcessor")
        items = self._items(state, data, context)
        limit = int(state.get("MaxConcurrency", 0)) or len(items) or 1

        def one(pair: tuple[int, Any]) -> tuple[Any, Execution]:
            index, value = pair
            item_ctx = {**context, "Map": {"Item": {"Index": index, "Value": value}}}
            child_input = resolve(state["ItemSelector"], data, item_ctx) if "ItemSelector" in state else value
            with self._lock:
                self._running += 1
                self.max_running = max(self.max_running, self._running)
            try:
                return child_input, self._machine(processor, child_input, item_ctx)
            finally:
                with self._lock:
                    self._running -= 1

        runs = parallel_map(one, list(enumerate(items)), max(1, min(limit, len(items) or 1)))
        failed = [r for _, r in runs if r.status != "SUCCEEDED"]
        tolerated = float(state.get("ToleratedFailurePercentage", 0))
        if failed and (not items or 100 * len(failed) / len(items) > tolerated):
            first = failed[0]
            raise StatesError("States.ExceedToleratedFailureThreshold",
                              f"{len(failed)} of {len(items)} items failed; first: {first.error}: {first.cause}")
        if "ResultWriter" in state:
            return self._write_results(state["ResultWriter"], runs, data, context)
        return [r.output for _, r in runs]

    def _items(self, state: dict[str, Any], data: Any, context: dict[str, Any]) -> list[Any]:
        reader = state.get("ItemReader")
        if reader is None:
            items = select(state.get("ItemsPath", "$"), data, context)
        else:
            if reader.get("Resource") != S3_GET or (reader.get("ReaderConfig") or {}).get("InputType") != "JSON":
                raise Unsupported(f"ItemReader {reader}")
            where = resolve(reader["Parameters"], data, context)
            try:
                body = self.aws.client("s3").get_object(Bucket=where["Bucket"], Key=where["Key"])["Body"].read()
                items = json.loads(body)
            except Exception as exc:  # noqa: BLE001
                raise StatesError("States.ItemReaderFailed", str(exc)) from exc
        if not isinstance(items, list):
            raise StatesError("States.Runtime", f"the map's items are not a list: {type(items).__name__}")
        return items

    def _write_results(self, writer: dict[str, Any], runs: list[tuple[Any, Execution]], data: Any,
                       context: dict[str, Any]) -> dict[str, Any]:
        """Result files and manifest.json under Prefix/<map run id>/, as a Distributed Map writes them."""
        if writer.get("Resource") != S3_PUT:
            raise Unsupported(f"ResultWriter {writer}")
        where = resolve(writer["Parameters"], data, context)
        run_id = uuid.uuid4().hex
        prefix = f"{str(where.get('Prefix', '')).rstrip('/')}/{run_id}/".lstrip("/")
        s3 = self.aws.client("s3")
        files: dict[str, list[dict[str, Any]]] = {"FAILED": [], "PENDING": [], "SUCCEEDED": []}
        for status in ("SUCCEEDED", "FAILED"):
            entries = [_result_entry(child_input, run) for child_input, run in runs if run.status == status]
            if not entries:
                continue
            key = f"{prefix}{status}_0.json"
            body = json.dumps(entries).encode()
            s3.put_object(Bucket=where["Bucket"], Key=key, Body=body)
            files[status].append({"Key": key, "Size": len(body)})
        manifest_key = f"{prefix}manifest.json"
        map_run = f"arn:aws:states:local:000000000000:mapRun:{self.name}/{run_id}"
        manifest = {"DestinationBucket": where["Bucket"], "MapRunArn": map_run, "ResultFiles": files}
        s3.put_object(Bucket=where["Bucket"], Key=manifest_key, Body=json.dumps(manifest).encode())
        return {"MapRunArn": map_run, "ResultWriterDetails": {"Bucket": where["Bucket"], "Key": manifest_key}}


def _result_entry(child_input: Any, run: Execution) -> dict[str, Any]:
    entry: dict[str, Any] = {"Input": json.dumps(child_input), "Status": run.status}
    if run.status == "SUCCEEDED":
        entry["Output"] = json.dumps(run.output)
    else:
        entry["Error"], entry["Cause"] = run.error, run.cause
    return entry


def _arn_region(arn: str) -> str | None:
    parts = arn.split(":")
    return parts[3] if len(parts) > 3 and parts[3] else None


def _queue_region(url: str) -> str | None:
    m = re.match(r"https?://sqs\.([a-z0-9-]+)\.", url)
    return m.group(1) if m else None


def _output(state: dict[str, Any], raw_input: Any, result: Any, context: dict[str, Any]) -> Any:
    if "ResultSelector" in state:
        result = resolve(state["ResultSelector"], result, context)
    combined = place(state.get("ResultPath", "$"), raw_input, result)
    return select(state.get("OutputPath", "$"), combined, context)
