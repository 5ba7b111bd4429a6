"""Get/PutFunctionRecursionConfig: whether Lambda stops a function caught in a recursive loop.

AWS (as recorded from AWS in LocalStack's parity snapshots): every function answers
`RecursiveLoop` "Terminate" until "Allow" is put; any other value is ValidationException ("1
validation error detected: Value '<v>' at 'recursiveLoop' failed to satisfy constraint: Member must
satisfy enum value set: [Terminate, Allow]"); an unknown function is ResourceNotFoundException.
moto: neither operation exists (HTTP 404).
"""

from __future__ import annotations

import json
from urllib.parse import unquote

from moto.awslambda import urls
from moto.awslambda.exceptions import ValidationException
from moto.awslambda.models import LambdaFunction
from moto.awslambda.responses import LambdaResponse

_ATTR = "_ark_recursive_loop"
_PATH = r"{0}/(?P<api_version>[^/]+)/functions/(?P<function_name>[\w_:%-]+)/recursion-config/?$"
_VALUES = ("Terminate", "Allow")


def _function(self: LambdaResponse) -> LambdaFunction:
    name = unquote(self.path.split("/functions/", 1)[1].split("/", 1)[0])
    fn: LambdaFunction = self.backend.get_function(name.split(":function:")[-1].split(":")[0])
    return fn


def get_function_recursion_config(self: LambdaResponse) -> str:
    return json.dumps({"RecursiveLoop": _function(self).__dict__.get(_ATTR, "Terminate")})


def put_function_recursion_config(self: LambdaResponse) -> str:
    fn = _function(self)
    value = self.json_body.get("RecursiveLoop")
    if value not in _VALUES:
        raise ValidationException(str(value), "recursiveLoop", "Member must satisfy enum value set: [Terminate, Allow]")
    setattr(fn, _ATTR, value)
    return json.dumps({"RecursiveLoop": value})


def apply() -> None:
    urls.url_paths[_PATH] = LambdaResponse.dispatch  # read when the server builds its app, after apply()
    LambdaResponse.get_function_recursion_config = get_function_recursion_config  # type: ignore[attr-defined]
    LambdaResponse.put_function_recursion_config = put_function_recursion_config  # type: ignore[attr-defined]
