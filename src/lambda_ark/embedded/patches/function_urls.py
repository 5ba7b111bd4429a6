"""Function URLs per qualifier, and ListFunctionUrlConfigs.

AWS: a function URL belongs to the unqualified function or to one alias (`Qualifier`); each has its
own URL, auth type, CORS and invoke mode, and `FunctionArn` names the qualified function.
ListFunctionUrlConfigs returns all of a function's URL configs (paged, at most 50).
moto: `Qualifier` is ignored (a URL created on an alias replaces the function's own) and
ListFunctionUrlConfigs does not exist (HTTP 404). The default invoke mode reads "Buffered" (AWS:
"BUFFERED", the only spelling the API and CloudFormation accept).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

from moto.awslambda import urls
from moto.awslambda.exceptions import GenericResourcNotFound, LambdaClientError
from moto.awslambda.models import FunctionUrlConfig, LambdaFunction
from moto.awslambda.responses import LambdaResponse
from moto.core.common_types import TYPE_RESPONSE

from . import list_paging

_ATTR = "_ark_function_urls"
_LIST_PATH = r"{0}/(?P<api_version>[^/]+)/functions/(?P<function_name>[\w_:%-]+)/urls/?$"


class UrlExists(LambdaClientError):
    code = 409

    def __init__(self, arn: str) -> None:
        super().__init__(
            "ResourceConflictException",
            f"Failed to create function url config for [functionArn = {arn}]. "
            "Error message:  FunctionUrlConfig exists for this Lambda function",
        )


def _target(self: LambdaResponse) -> tuple[LambdaFunction, dict[str, FunctionUrlConfig], str, str]:
    """The $LATEST function, its URL store, the qualifier key ('' = unqualified) and qualified ARN."""
    name = unquote(self.path.split("/functions/", 1)[1].split("/", 1)[0])
    name, _, in_name = name.split(":function:")[-1].partition(":")
    qualifier = in_name or self.querystring.get("Qualifier", [""])[0] or ""
    if qualifier == "$LATEST":
        qualifier = ""
    latest: LambdaFunction = self.backend.get_function(name)
    if qualifier:
        self.backend.get_function(name, qualifier)  # ResourceNotFoundException for unknown aliases
    store: dict[str, FunctionUrlConfig] | None = latest.__dict__.get(_ATTR)
    if store is None:
        store = {}
        setattr(latest, _ATTR, store)
    arn = f"{latest.function_arn}:{qualifier}" if qualifier else latest.function_arn
    return latest, store, qualifier, arn


def _render(config: FunctionUrlConfig, arn: str) -> dict[str, Any]:
    body = config.to_dict()
    body["FunctionArn"] = arn
    body["InvokeMode"] = config.config.get("InvokeMode") or "BUFFERED"  # moto's default is "Buffered"
    return {k: v for k, v in body.items() if v is not None}


def create_function_url_config(self: LambdaResponse) -> TYPE_RESPONSE:
    latest, store, qualifier, arn = _target(self)
    if qualifier in store:
        raise UrlExists(arn)
    store[qualifier] = FunctionUrlConfig(function=latest, config=dict(self.json_body))
    return 201, {"status": 201}, json.dumps(_render(store[qualifier], arn))


def get_function_url_config(self: LambdaResponse) -> TYPE_RESPONSE:
    _, store, qualifier, arn = _target(self)
    if qualifier not in store:
        raise GenericResourcNotFound()
    return 200, {}, json.dumps(_render(store[qualifier], arn))


def update_function_url_config(self: LambdaResponse) -> TYPE_RESPONSE:
    _, store, qualifier, arn = _target(self)
    if qualifier not in store:
        raise GenericResourcNotFound()
    body = dict(self.json_body)
    config = store[qualifier]
    config.update(body)
    if body.get("InvokeMode"):
        config.config["InvokeMode"] = body["InvokeMode"]
    return 200, {}, json.dumps(_render(config, arn))


def delete_function_url_config(self: LambdaResponse) -> TYPE_RESPONSE:
    _, store, qualifier, _ = _target(self)
    if store.pop(qualifier, None) is None:
        raise GenericResourcNotFound()
    return 204, {"status": 204}, ""


def list_function_url_configs(self: LambdaResponse) -> TYPE_RESPONSE:
    latest, store, _, _ = _target(self)
    items = [_render(c, f"{latest.function_arn}:{q}" if q else latest.function_arn) for q, c in store.items()]
    max_items = self.querystring.get("MaxItems", [None])[0]
    marker = self.querystring.get("Marker", [None])[0]
    chunk, next_marker = list_paging.page(items, lambda item: str(item["FunctionArn"]), max_items, marker)
    body: dict[str, Any] = {"FunctionUrlConfigs": chunk}
    if next_marker:
        body["NextMarker"] = next_marker
    return 200, {}, json.dumps(body)


def apply() -> None:
    urls.url_paths[_LIST_PATH] = LambdaResponse.dispatch
    for handler in (create_function_url_config, get_function_url_config, update_function_url_config,
                    delete_function_url_config, list_function_url_configs):
        setattr(LambdaResponse, handler.__name__, handler)
