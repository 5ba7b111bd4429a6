"""Invoke without Docker: moto's "simple" Lambda backend, made to check that the function exists.

AWS: `Invoke` runs the function; for an unknown function or qualifier it fails with
ResourceNotFoundException, and a synchronous call reports `X-Amz-Executed-Version`.
moto: by default runs the code in a Docker container (and fails without Docker). With the config
`{"lambda": {"use_docker": false}}` it switches to `LambdaSimpleBackend`, whose `invoke` never runs
code: it echoes the request payload (or "Simple Lambda happy path OK" for an empty one), even for a
function that does not exist. We set that config and restore the existence check and the header.
"""

from __future__ import annotations

from typing import Any

from moto.awslambda_simple.models import LambdaSimpleBackend
from moto.core.config import default_user_config


def _invoke(original: Any) -> Any:
    def invoke(
        self: LambdaSimpleBackend,
        function_name: str,
        qualifier: str | None,
        body: Any,
        headers: Any,
        response_headers: Any,
    ) -> str | bytes | None:
        fn = self.get_function(function_name, qualifier)  # raises ResourceNotFoundException like AWS
        payload: str | bytes | None = original(self, function_name, qualifier, body, headers, response_headers)
        response_headers["x-amz-executed-version"] = str(fn.version)
        return payload

    return invoke


def apply() -> None:
    # moto picks the Lambda backend class per request from this (process-global) config.
    default_user_config["lambda"]["use_docker"] = False
    LambdaSimpleBackend.invoke = _invoke(LambdaSimpleBackend.invoke)  # type: ignore[method-assign]
