"""Provisioned concurrency: Put/Get/Delete/ListProvisionedConcurrencyConfig(s).

AWS: provisioned concurrency is configured per published version or alias (never $LATEST or the
unqualified function: InvalidParameterValueException); Get of an unconfigured qualifier fails with
ProvisionedConcurrencyConfigNotFoundException; List pages (at most 50) over a function's configs,
each naming its qualified `FunctionArn`. Allocation goes IN_PROGRESS -> READY over minutes.
moto: none of the four operations exists (HTTP 404).

Here configs live on the function ($LATEST object, so deleting the function drops them) and are
READY at once, with Allocated = Available = Requested.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

from moto.awslambda import urls
from moto.awslambda.exceptions import InvalidParameterValueException, LambdaClientError
from moto.awslambda.models import LambdaFunction
from moto.awslambda.responses import LambdaResponse
from moto.core.common_types import TYPE_RESPONSE
from moto.core.utils import utcnow

from . import list_paging

_ATTR = "_ark_provisioned_concurrency"
_PATH = r"{0}/(?P<api_version>[^/]+)/functions/(?P<function_name>[\w_:%-]+)/provisioned-concurrency/?$"


class ConfigNotFound(LambdaClientError):
    code = 404

    def __init__(self) -> None:  # AWS's message names no ARN (LocalStack's recorded AWS response)
        super().__init__("ProvisionedConcurrencyConfigNotFoundException",
                         "No Provisioned Concurrency Config found for this function")


def _configs(fn: LambdaFunction) -> dict[str, dict[str, Any]]:
    configs: dict[str, dict[str, Any]] | None = fn.__dict__.get(_ATTR)
    if configs is None:
        configs = {}
        setattr(fn, _ATTR, configs)
    return configs


def _target(self: LambdaResponse) -> tuple[LambdaFunction, str]:
    """The $LATEST function object and the validated qualifier of this request."""
    name = unquote(self.path.split("/")[-2])
    qualifier = self.querystring.get("Qualifier", [None])[0]
    name, _, in_name = name.split(":function:")[-1].partition(":")
    qualifier = in_name or qualifier
    if not qualifier or qualifier == "$LATEST":
        raise InvalidParameterValueException(
            "Provisioned Concurrency Configs cannot be applied to unpublished function versions."
        )
    self.backend.get_function(name, qualifier)  # ResourceNotFoundException for an unknown qualifier
    return self.backend.get_function(name), str(qualifier)


def put_provisioned_concurrency_config(self: LambdaResponse) -> TYPE_RESPONSE:
    fn, qualifier = _target(self)
    requested = int(json.loads(self.body)["ProvisionedConcurrentExecutions"])
    if requested < 1:
        raise InvalidParameterValueException("ProvisionedConcurrentExecutions must be at least 1")
    config = {
        "RequestedProvisionedConcurrentExecutions": requested,
        "AvailableProvisionedConcurrentExecutions": requested,
        "AllocatedProvisionedConcurrentExecutions": requested,
        "Status": "READY",
        "LastModified": utcnow().strftime("%Y-%m-%dT%H:%M:%S.000+0000"),
    }
    _configs(fn)[qualifier] = config
    return 202, {"status": 202}, json.dumps(config)


def get_provisioned_concurrency_config(self: LambdaResponse) -> TYPE_RESPONSE:
    if self.querystring.get("List"):
        return list_provisioned_concurrency_configs(self)
    fn, qualifier = _target(self)
    config = _configs(fn).get(qualifier)
    if config is None:
        raise ConfigNotFound()
    return 200, {}, json.dumps(config)


def delete_provisioned_concurrency_config(self: LambdaResponse) -> TYPE_RESPONSE:
    fn, qualifier = _target(self)
    if _configs(fn).pop(qualifier, None) is None:
        raise ConfigNotFound()
    return 204, {"status": 204}, ""


def list_provisioned_concurrency_configs(self: LambdaResponse) -> TYPE_RESPONSE:
    name = unquote(self.path.split("/")[-2])
    fn: LambdaFunction = self.backend.get_function(name)
    items = [{"FunctionArn": f"{fn.function_arn}:{q}", **c} for q, c in _configs(fn).items()]
    max_items = self.querystring.get("MaxItems", [None])[0]
    marker = self.querystring.get("Marker", [None])[0]
    chunk, next_marker = list_paging.page(items, lambda item: str(item["FunctionArn"]), max_items, marker)
    body: dict[str, Any] = {"ProvisionedConcurrencyConfigs": chunk}
    if next_marker:
        body["NextMarker"] = next_marker
    return 200, {}, json.dumps(body)


def apply() -> None:
    # Read when the server builds its Flask app for Lambda, which happens after apply().
    urls.url_paths[_PATH] = LambdaResponse.dispatch
    for handler in (put_provisioned_concurrency_config, get_provisioned_concurrency_config,
                    delete_provisioned_concurrency_config, list_provisioned_concurrency_configs):
        setattr(LambdaResponse, handler.__name__, handler)
