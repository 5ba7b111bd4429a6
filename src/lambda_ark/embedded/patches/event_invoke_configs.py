"""Event invoke configs (async retries and destinations) per qualifier, replaced on put.

AWS: PutFunctionEventInvokeConfig sets the config of one qualifier (unqualified, a version or an
alias), replacing what was there; UpdateFunctionEventInvokeConfig changes only the given fields;
Get/Delete/List address the same qualifiers and `FunctionArn` names the qualified function.
moto: ignores `Qualifier` everywhere, and Put appends to a list while Get returns its first entry,
so after a second Put, Get still reports the first config.
"""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import unquote

from moto.awslambda.exceptions import UnknownEventConfig
from moto.awslambda.models import EventInvokeConfig, LambdaFunction
from moto.awslambda.responses import LambdaResponse
from moto.core.common_types import TYPE_RESPONSE

_ATTR = "_ark_event_invoke_configs"


def _target(self: LambdaResponse) -> tuple[dict[str, dict[str, Any]], str, str]:
    """The config store of the addressed function, the qualifier key, and the qualified ARN."""
    name = unquote(self.path.split("/functions/", 1)[1].split("/", 1)[0])
    name, _, in_name = name.split(":function:")[-1].partition(":")
    qualifier = in_name or self.querystring.get("Qualifier", [None])[0] or "$LATEST"
    self.backend.get_function(name, qualifier)  # ResourceNotFoundException for unknown qualifiers
    latest: LambdaFunction = self.backend.get_function(name)
    store: dict[str, dict[str, Any]] | None = latest.__dict__.get(_ATTR)
    if store is None:
        store = {}
        setattr(latest, _ATTR, store)
    arn = latest.function_arn if qualifier == "$LATEST" else f"{latest.function_arn}:{qualifier}"
    return store, qualifier, arn


def _save(store: dict[str, dict[str, Any]], qualifier: str, arn: str, config: dict[str, Any]) -> str:
    EventInvokeConfig(arn, "", config)  # moto's validation of retries, ages and destination ARNs
    store[qualifier] = {"FunctionArn": arn, "LastModified": time.time(), **config}
    return json.dumps(store[qualifier])


def put_function_event_invoke_config(self: LambdaResponse) -> str:
    store, qualifier, arn = _target(self)
    fields = ("MaximumRetryAttempts", "MaximumEventAgeInSeconds", "DestinationConfig")
    return _save(store, qualifier, arn, {k: v for k, v in self.json_body.items() if k in fields})


def update_function_event_invoke_config(self: LambdaResponse) -> str:
    store, qualifier, arn = _target(self)
    current = {k: v for k, v in store.get(qualifier, {}).items() if k not in ("FunctionArn", "LastModified")}
    fields = ("MaximumRetryAttempts", "MaximumEventAgeInSeconds", "DestinationConfig")
    return _save(store, qualifier, arn, {**current, **{k: v for k, v in self.json_body.items() if k in fields}})


def get_function_event_invoke_config(self: LambdaResponse) -> str:
    store, qualifier, arn = _target(self)
    if qualifier not in store:
        raise UnknownEventConfig(arn)
    return json.dumps(store[qualifier])


def delete_function_event_invoke_config(self: LambdaResponse) -> TYPE_RESPONSE:
    store, qualifier, arn = _target(self)
    if store.pop(qualifier, None) is None:
        raise UnknownEventConfig(arn)
    return 204, {"status": 204}, ""


def list_function_event_invoke_configs(self: LambdaResponse) -> str:
    store, _, _ = _target(self)
    return json.dumps({"FunctionEventInvokeConfigs": list(store.values())})


def apply() -> None:
    for handler in (put_function_event_invoke_config, update_function_event_invoke_config,
                    get_function_event_invoke_config, delete_function_event_invoke_config,
                    list_function_event_invoke_configs):
        setattr(LambdaResponse, handler.__name__, handler)
