"""Get/PutRuntimeManagementConfig: when a function's runtime version is updated, per version.

AWS (API reference): each version ($LATEST when no `Qualifier`) has an `UpdateRuntimeOn` of "Auto"
(the default), "FunctionUpdate" or "Manual"; `RuntimeVersionArn`
(`arn:aws:lambda:<region>::runtime:<id>`, regional, no account) is required with "Manual" and
answered only then (null otherwise); `FunctionArn` names the function. An unknown function or
version is ResourceNotFoundException.
moto: neither operation exists (HTTP 404).

Assumed where the reference is silent: "Manual" without an ARN is InvalidParameterValueException;
the ARN answered for $LATEST is the unqualified function ARN, a version's is qualified. A version
published later starts from $LATEST's setting (moto copies the function object).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

from moto.awslambda import urls
from moto.awslambda.exceptions import InvalidParameterValueException
from moto.awslambda.models import LambdaFunction
from moto.awslambda.responses import LambdaResponse

_ATTR = "_ark_runtime_management"
_PATH = r"{0}/(?P<api_version>[^/]+)/functions/(?P<function_name>[\w_:%-]+)/runtime-management-config/?$"


def _version(self: LambdaResponse) -> tuple[LambdaFunction, str]:
    """The addressed function version and its ARN as answered."""
    name = unquote(self.path.split("/functions/", 1)[1].split("/", 1)[0])
    name, _, in_name = name.split(":function:")[-1].partition(":")
    qualifier = in_name or self.querystring.get("Qualifier", [None])[0] or "$LATEST"
    fn: LambdaFunction = self.backend.get_function(name, qualifier)  # ResourceNotFoundException if unknown
    base = self.backend.get_function(name).function_arn
    return fn, base if qualifier == "$LATEST" else f"{base}:{qualifier}"


def _answer(config: dict[str, Any], arn: str) -> str:
    return json.dumps({"UpdateRuntimeOn": config["UpdateRuntimeOn"], "FunctionArn": arn,
                       "RuntimeVersionArn": config.get("RuntimeVersionArn")})


def get_runtime_management_config(self: LambdaResponse) -> str:
    fn, arn = _version(self)
    return _answer(fn.__dict__.get(_ATTR) or {"UpdateRuntimeOn": "Auto"}, arn)


def put_runtime_management_config(self: LambdaResponse) -> str:
    fn, arn = _version(self)
    body = self.json_body
    mode = body.get("UpdateRuntimeOn")
    if mode not in ("Auto", "FunctionUpdate", "Manual"):
        raise InvalidParameterValueException(f"Invalid UpdateRuntimeOn: {mode}")
    if mode == "Manual" and not body.get("RuntimeVersionArn"):
        raise InvalidParameterValueException("RuntimeVersionArn is required when UpdateRuntimeOn is Manual.")
    config = {"UpdateRuntimeOn": mode, "RuntimeVersionArn": body["RuntimeVersionArn"] if mode == "Manual" else None}
    setattr(fn, _ATTR, config)  # a new dict: a published version may share the old one
    return _answer(config, arn)


def apply() -> None:
    urls.url_paths[_PATH] = LambdaResponse.dispatch  # read when the server builds its app, after apply()
    LambdaResponse.get_runtime_management_config = get_runtime_management_config  # type: ignore[attr-defined]
    LambdaResponse.put_runtime_management_config = put_runtime_management_config  # type: ignore[attr-defined]
