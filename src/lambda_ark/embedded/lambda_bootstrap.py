"""The child side of the embedded endpoint's Invoke: one invocation of a zip-packaged Python handler.

Run as a script by `embedded.runtime` with the function's interpreter (`python -S -E -s`), never
imported. It does what AWS's Python runtime interface client (awslambdaric's bootstrap) does for one
event: import the handler module from the task root (layers' `python/` folders after it), call the
handler with the event and a context object, and report the JSON result or the error document
AWS returns (`errorMessage`, `errorType`, `requestId`, `stackTrace`, with the runtime's own error
types: Runtime.ImportModuleError, Runtime.HandlerNotFound, Runtime.MarshalError, ...).

The parent passes what it knows in `_ARK_*` environment variables and reads the outcome from a file:
stdout and stderr are the function's log. Standard library only, and no code of lambda-ark's
package may be importable from here: the script's own folder is taken off `sys.path` first.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import time
import traceback
from typing import Any

# awslambdaric's FaultException types
IMPORT_MODULE_ERROR = "Runtime.ImportModuleError"
HANDLER_NOT_FOUND = "Runtime.HandlerNotFound"
MALFORMED_HANDLER_NAME = "Runtime.MalformedHandlerName"
USER_CODE_SYNTAX_ERROR = "Runtime.UserCodeSyntaxError"
BUILT_IN_MODULE_CONFLICT = "Runtime.BuiltInModuleConflict"
MARSHAL_ERROR = "Runtime.MarshalError"


_OPT = os.environ.get("_ARK_OPT", "")


class Fault(Exception):
    def __init__(self, error_type: str, message: str, trace: list[str] | None = None) -> None:
        super().__init__(message)
        self.error_type, self.message, self.trace = error_type, message, trace or []


class LambdaContext:
    """The `context` argument, with the attributes and method AWS's Python runtime provides."""

    def __init__(self, env: dict[str, str]) -> None:
        self.aws_request_id = env["_ARK_REQUEST_ID"]
        self.invoked_function_arn = env["_ARK_FUNCTION_ARN"]
        self.function_name = env["AWS_LAMBDA_FUNCTION_NAME"]
        self.function_version = env["AWS_LAMBDA_FUNCTION_VERSION"]
        self.memory_limit_in_mb = env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"]
        self.log_group_name = env["AWS_LAMBDA_LOG_GROUP_NAME"]
        self.log_stream_name = env["AWS_LAMBDA_LOG_STREAM_NAME"]
        self.identity = None
        self.client_context = None
        self.tenant_id = None
        self._deadline_ms = int(env["_ARK_DEADLINE_MS"])

    def get_remaining_time_in_millis(self) -> int:
        return max(0, self._deadline_ms - int(time.time() * 1000))


def error(message: str, error_type: str, trace: list[str], request_id: str) -> dict[str, Any]:
    return {"errorMessage": message, "errorType": error_type, "requestId": request_id, "stackTrace": trace}


def load_handler(handler: str) -> Any:
    try:
        modname, fname = handler.rsplit(".", 1)
    except ValueError as exc:
        raise Fault(MALFORMED_HANDLER_NAME, f"Bad handler '{handler}': {exc}") from None
    if modname.split(".")[0] in sys.builtin_module_names:
        raise Fault(BUILT_IN_MODULE_CONFLICT, f"Cannot use built-in module {modname} as a handler module")
    try:
        module = importlib.import_module(modname.replace("/", "."))
    except ImportError as exc:
        raise Fault(IMPORT_MODULE_ERROR, f"Unable to import module '{modname}': {exc}") from None
    except SyntaxError as exc:
        trace = [f'  File "{exc.filename}" Line {exc.lineno}\n    {exc.text}']
        raise Fault(USER_CODE_SYNTAX_ERROR, f"Syntax error in module '{modname}': {exc}", trace) from None
    try:
        return getattr(module, fname)
    except AttributeError:
        raise Fault(HANDLER_NOT_FOUND, f"Handler '{fname}' missing on module '{modname}'") from None


def user_trace(tb: Any) -> list[str]:
    """The traceback from the first frame outside this script, as awslambdaric formats it."""
    frames = traceback.extract_tb(tb)
    mine = os.path.abspath(__file__)
    while frames and os.path.abspath(frames[0].filename) == mine:
        frames = traceback.StackSummary.from_list(list(frames)[1:])
    # paths as the function sees them on AWS (/var/task, /opt), not this machine's cache folders
    roots = [(os.environ.get("LAMBDA_TASK_ROOT", ""), "/var/task"), (_OPT, "/opt")]
    out = []
    for line in traceback.format_list(frames):
        for local, shown in roots:
            if local:
                line = line.replace(local, shown)
        out.append(line)
    return out


def log_error(doc: dict[str, Any]) -> None:
    """The runtime's "[ERROR] Type: message" log line, then the traceback."""
    lines = [f"[ERROR] {doc['errorType']}: {doc['errorMessage']}".rstrip(": ")]
    if doc["stackTrace"]:
        lines.append("Traceback (most recent call last):")
        lines.extend(line for entry in doc["stackTrace"] for line in entry.splitlines())
    sys.stdout.write("\r".join(lines) + "\n")


def invoke(env: dict[str, str]) -> dict[str, Any]:
    request_id = env["_ARK_REQUEST_ID"]
    try:
        handler = load_handler(env["_HANDLER"])
    except Fault as fault:
        return {"error": error(fault.message, fault.error_type, fault.trace, "")}
    with open(env["_ARK_EVENT_FILE"], encoding="utf-8") as f:
        event = json.load(f)
    try:
        response = handler(event, LambdaContext(env))
    except Exception as exc:  # noqa: BLE001 - the function's failure is the result
        return {"error": error(str(exc), type(exc).__name__, user_trace(exc.__traceback__), request_id)}
    try:
        return {"result": json.dumps(response)}
    except (TypeError, ValueError) as exc:
        return {"error": error(f"Unable to marshal response: {exc}", MARSHAL_ERROR, [], request_id)}


def main() -> None:
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != here]
    env = dict(os.environ)
    for key in [k for k in os.environ if k.startswith("_ARK_")]:
        del os.environ[key]  # the function sees its own environment, not the harness's
    paths = [p for p in env.get("_ARK_PATH", "").split(os.pathsep) if p]
    extra = [p for p in env.get("_ARK_RUNTIME_PATH", "").split(os.pathsep) if p]
    sys.path[:0] = paths
    sys.path.extend(extra)
    outcome = invoke(env)
    if "error" in outcome:
        log_error(outcome["error"])
    sys.stdout.flush()
    with open(env["_ARK_RESULT_FILE"], "w", encoding="utf-8") as f:
        json.dump(outcome, f)


if __name__ == "__main__":
    main()
