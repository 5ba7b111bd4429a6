"""Invoke runs the function: zip-packaged Python handlers in a subprocess (`embedded.runtime`).

AWS: `Invoke` runs the function's code and answers 200 with its JSON result; a failed function is
still 200, with `X-Amz-Function-Error: Unhandled` and the runtime's error document (`errorMessage`,
`errorType`, `requestId`, `stackTrace`; `Sandbox.Timedout` past the timeout, `Runtime.OutOfMemory`
past the memory size). An unknown function or qualifier is ResourceNotFoundException; a payload that
is not JSON is InvalidRequestContentException; a function whose reserved concurrency is 0 is
throttled (TooManyRequestsException, 429). `X-Amz-Executed-Version` names the version that ran;
`LogType=Tail` returns the last 4 KB of the log in `X-Amz-Log-Result`; `InvocationType=Event`
answers 202 at once and runs the function afterwards; `DryRun` answers 204 without running it.

moto: by default runs the code in a Docker container (and fails without Docker). With the config
`{"lambda": {"use_docker": false}}` (`LambdaSimpleBackend`) it runs no code and echoes the payload,
even for functions that do not exist. Its response handler reads the qualifier as `qualifier`, so
the `Qualifier` boto3 sends is lost and every call runs $LATEST. We set that config and replace the
backend's `invoke` and the response handler.

Here: Python runtimes whose version this machine has an interpreter for run as on AWS (see
`embedded.runtime`); any other runtime, and container images, answer HTTP 501 `NotImplemented`
naming the runtime, which callers can tell from a failure of the function itself.

Other moto services invoke functions through the backend's `invoke` or the function object's own
(Secrets Manager's rotation steps; SNS, CloudWatch Logs and stream deliveries, which moto would run
in Docker). On AWS those are the service's own invocations: the caller of
the service's API never sees the function's result or failure. So an invocation that does not come
through the Invoke API runs in the background (when this machine can run it) and answers what moto
always answered (the payload echoed): a function that cannot run here never fails another
service's call.
"""

from __future__ import annotations

import base64
import contextlib
import json
import threading
from typing import Any
from urllib.parse import unquote

from moto.awslambda.exceptions import LambdaClientError
from moto.awslambda.models import LambdaBackend, LambdaFunction
from moto.awslambda.responses import LambdaResponse
from moto.awslambda.utils import get_backend, make_function_arn
from moto.awslambda_simple.models import LambdaSimpleBackend
from moto.core.config import default_user_config
from moto.core.exceptions import JsonRESTError
from moto.utilities.aws_headers import amz_crc32

from .. import context, runtime


class TooManyRequests(JsonRESTError):
    code = 429

    def __init__(self) -> None:
        super().__init__("TooManyRequestsException", "Rate Exceeded.")


def invoke(
    self: LambdaBackend,
    function_name: str,
    qualifier: str | None,
    body: Any,
    headers: Any,
    response_headers: Any,
) -> bytes:
    """The Invoke API (see the module docstring)."""
    fn = self.get_function(function_name, qualifier)  # raises ResourceNotFoundException like AWS
    response_headers["x-amz-executed-version"] = str(fn.version)
    kind = headers.get("X-Amz-Invocation-Type") or "RequestResponse"
    if kind == "DryRun":
        return b""
    payload = _payload(body)
    if str(getattr(fn, "reserved_concurrency", None)) == "0":
        raise TooManyRequests()
    inv = _invocation(fn, qualifier, payload)
    url = context.current().base_url
    if kind == "Event":
        threading.Thread(target=runtime.run, args=(inv, url), name="lambda-ark-invoke-event", daemon=True).start()
        return b""
    outcome = runtime.run(inv, url)
    if outcome.function_error:
        response_headers["x-amz-function-error"] = outcome.function_error
    response_headers["x-amz-log-result"] = base64.b64encode(outcome.log_tail().encode()).decode()
    return outcome.payload


def service_invoke(
    self: LambdaSimpleBackend,
    function_name: str,
    qualifier: str | None,
    body: Any,
    headers: Any,
    response_headers: Any,
) -> bytes:
    """Another service's invocation: run in the background where possible, answer as moto did."""
    fn = self.get_function(function_name, qualifier)
    response_headers["x-amz-executed-version"] = str(fn.version)
    try:
        inv = _invocation(fn, qualifier, _payload(body))
    except (NotImplementedError, LambdaClientError):
        inv = None  # not run here, or not JSON: the service's own call goes on regardless
    if inv is not None and runtime.interpreter(inv.runtime) is not None:
        url = context.current().base_url
        threading.Thread(target=_quietly, args=(inv, url), name="lambda-ark-invoke-service", daemon=True).start()
    if self.lambda_simple_results_queue:
        return str(self.lambda_simple_results_queue.pop(0)).encode()
    return str(body or "Simple Lambda happy path OK").encode() if isinstance(body, str | None) else bytes(body)


def function_invoke(self: LambdaFunction, body: Any, request_headers: Any, response_headers: Any) -> bytes:
    """moto's services that deliver events (SNS, CloudWatch Logs, Kinesis, DynamoDB Streams, SQS
    mappings) call the function object itself, which would start Docker: the same as above."""
    try:
        inv = _invocation(self, None, _payload(body))
    except (NotImplementedError, LambdaClientError):
        return b""
    if runtime.interpreter(inv.runtime) is not None:
        url = context.current().base_url
        threading.Thread(target=_quietly, args=(inv, url), name="lambda-ark-invoke-service", daemon=True).start()
    return b""


def _quietly(inv: runtime.Invocation, url: str) -> None:
    with contextlib.suppress(Exception):  # the function's own failure is its log's business
        runtime.run(inv, url)


# A synchronous response larger than this is Function.ResponseSizeTooLarge (6 MB)
MAX_RESPONSE = 6 * 1024 * 1024


@amz_crc32
def invoke_response(self: LambdaResponse) -> tuple[int, dict[str, str], bytes]:
    headers: dict[str, str] = {"content-type": "application/json"}
    function_name = unquote(self.path.rsplit("/", 2)[-2])
    qualifier = self.querystring.get("Qualifier", [None])[0]
    kind = self.headers.get("X-Amz-Invocation-Type") or "RequestResponse"
    answer = invoke(self.backend, function_name, qualifier, self.body, self.headers, headers)
    payload = answer.encode() if isinstance(answer, str) else bytes(answer or b"")
    if kind in ("Event", "DryRun"):
        status = 202 if kind == "Event" else 204
        headers["status"] = str(status)  # moto's dispatcher takes the status from this header
        return status, headers, b""
    if self.headers.get("X-Amz-Log-Type") != "Tail":
        headers.pop("x-amz-log-result", None)
    if len(payload) > MAX_RESPONSE:
        headers["x-amz-function-error"] = "Unhandled"
        payload = json.dumps({
            "errorMessage": f"Response payload size ({len(payload)} bytes) exceeded maximum allowed payload size "
                            f"({MAX_RESPONSE} bytes).",
            "errorType": "Function.ResponseSizeTooLarge",
        }).encode()
    return 200, headers, payload


def _payload(body: Any) -> bytes:
    raw = body.encode() if isinstance(body, str) else bytes(body or b"")
    if not raw.strip():
        return b"{}"  # an Invoke without a payload hands the function an empty object
    try:
        json.loads(raw)
    except ValueError as exc:
        raise LambdaClientError(
            "InvalidRequestContentException", f"Could not parse request body into json: {exc}"
        ) from None
    return raw


def _invocation(fn: LambdaFunction, qualifier: str | None, payload: bytes) -> runtime.Invocation:
    if getattr(fn, "package_type", "Zip") == "Image":
        raise runtime.RuntimeUnavailable(
            f"{fn.function_name} is a container image: the embedded endpoint runs only zip-packaged Python handlers"
        )
    arn = make_function_arn(fn.region, fn.account_id, fn.function_name)
    return runtime.Invocation(
        function_name=fn.function_name,
        version=str(fn.version),
        invoked_arn=f"{arn}:{qualifier}" if qualifier else arn,
        region=fn.region,
        runtime=str(fn.run_time or ""),
        handler=str(fn.handler or ""),
        code=bytes(fn.code_bytes),
        layers=[_layer_bytes(layer["Arn"]) for layer in fn.layers or []],
        environment={str(k): str(v) for k, v in (fn.environment_vars or {}).items()},
        timeout=int(fn.timeout),
        memory=int(fn.memory_size),
        payload=payload,
        credentials=_role_credentials(fn),
    )


def _layer_bytes(arn: str) -> bytes:
    """A layer version's package. One deleted since the function was configured is gone here (AWS
    keeps a copy for the functions using it), so the function runs without it."""
    parts = arn.split(":")
    layer = get_backend(parts[4], parts[3]).layers_versions_by_arn(arn)
    return bytes(layer.code_bytes) if layer is not None else _EMPTY_ZIP


_EMPTY_ZIP = b"PK\x05\x06" + b"\x00" * 18


def _role_credentials(fn: LambdaFunction) -> dict[str, str]:
    """Credentials of the execution role, as Lambda hands them to the function (its account's)."""
    from moto.sts.models import sts_backends
    from moto.utilities.utils import get_partition

    role = sts_backends[fn.account_id][get_partition(fn.region)].assume_role(
        region_name=fn.region, role_session_name=fn.function_name[:64], role_arn=str(fn.role),
        policy="", duration=900, external_id="",
    )
    return {
        "AWS_ACCESS_KEY_ID": role.access_key_id,
        "AWS_SECRET_ACCESS_KEY": role.secret_access_key,
        "AWS_SESSION_TOKEN": role.session_token,
    }


def apply() -> None:
    # moto picks the Lambda backend class per request from this (process-global) config.
    default_user_config["lambda"]["use_docker"] = False
    LambdaSimpleBackend.invoke = service_invoke  # type: ignore[method-assign]
    LambdaFunction.invoke = function_invoke  # type: ignore[method-assign]
    LambdaResponse.invoke = invoke_response  # type: ignore[method-assign]
