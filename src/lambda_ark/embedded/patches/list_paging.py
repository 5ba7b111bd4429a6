"""Paging of the Lambda list operations: at most 50 items a page, `MaxItems`, `Marker`/`NextMarker`.

AWS: ListFunctions, ListVersionsByFunction, ListAliases, ListEventSourceMappings, ListLayers and
ListLayerVersions return at most 50 items per call (fewer if `MaxItems` says so) and a `NextMarker`
to pass back as `Marker` while more remain; botocore's paginators rely on it.
moto: ignores `MaxItems` and `Marker` and returns everything in one response, so a caller's paging
loop is never exercised.

Markers here are opaque tokens naming the sort key of the last item returned, so a page boundary
survives items being added or deleted between calls (as AWS's do). Orders: functions by name (then
version), versions ascending with $LATEST first, aliases by name, mappings by UUID, layers by name,
layer versions newest first (as AWS lists them).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Iterable
from typing import Any, TypeVar
from urllib.parse import unquote

from moto.awslambda.exceptions import InvalidParameterValueException
from moto.awslambda.models import LambdaFunction
from moto.awslambda.responses import LambdaResponse

T = TypeVar("T")
PAGE_LIMIT = 50


def page(items: Iterable[T], key: Callable[[T], str], max_items: str | None,
         marker: str | None) -> tuple[list[T], str | None]:
    """One page of `items` in `key` order, and the marker for the next page (None on the last)."""
    try:
        limit = min(PAGE_LIMIT, int(max_items)) if max_items else PAGE_LIMIT
    except ValueError as exc:
        raise InvalidParameterValueException(f"Invalid MaxItems: {max_items}") from exc
    if limit < 1:
        raise InvalidParameterValueException("MaxItems must be at least 1")
    ordered = sorted(items, key=key)
    if marker:
        after = _decode(marker)
        ordered = [item for item in ordered if key(item) > after]
    chunk = ordered[:limit]
    next_marker = _encode(key(chunk[-1])) if len(ordered) > limit else None
    return chunk, next_marker


def _encode(sort_key: str) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": sort_key}).encode()).decode()


def _decode(marker: str) -> str:
    try:
        return str(json.loads(base64.urlsafe_b64decode(marker.encode()))["after"])
    except (binascii.Error, ValueError, KeyError, TypeError) as exc:
        raise InvalidParameterValueException(f"Invalid Marker: {marker}") from exc


def _version_key(version: Any) -> str:
    # $LATEST sorts first, then versions numerically.
    return "" if str(version) == "$LATEST" else f"{int(version):012d}"


def _function_key(fn: LambdaFunction) -> str:
    return f"{fn.function_name}\x00{_version_key(fn.version)}"


def _arg(response: LambdaResponse, name: str) -> str | None:
    value = response.querystring.get(name, [None])[0]
    return str(value) if value is not None else None


def _paged(response: LambdaResponse, field: str, items: Iterable[T], key: Callable[[T], str],
           render: Callable[[T], Any]) -> str:
    chunk, next_marker = page(items, key, _arg(response, "MaxItems"), _arg(response, "Marker"))
    body: dict[str, Any] = {field: [render(item) for item in chunk]}
    if next_marker:
        body["NextMarker"] = next_marker
    return json.dumps(body)


def list_functions(self: LambdaResponse) -> str:
    functions = self.backend.list_functions(_arg(self, "FunctionVersion"))
    return _paged(self, "Functions", functions, _function_key, lambda fn: fn.get_configuration())


def list_versions_by_function(self: LambdaResponse) -> str:
    name = unquote(self.path.split("/")[-2])
    # AWS: ResourceNotFoundException for an unknown function (moto returns an empty list).
    self.backend.get_function(name)
    versions = self.backend.list_versions_by_function(name)
    return _paged(self, "Versions", versions, lambda fn: _version_key(fn.version),
                  lambda fn: fn.get_configuration())


def list_aliases(self: LambdaResponse) -> str:
    name = unquote(self.path.split("/")[-2])
    aliases = self.backend.list_aliases(name)
    return _paged(self, "Aliases", aliases, lambda alias: str(alias.name), lambda alias: alias.to_json())


def list_event_source_mappings(self: LambdaResponse) -> str:
    mappings = self.backend.list_event_source_mappings(_arg(self, "EventSourceArn"), _arg(self, "FunctionName"))  # type: ignore[arg-type]
    return _paged(self, "EventSourceMappings", mappings, lambda esm: str(esm.uuid),
                  lambda esm: esm.get_configuration())


def list_layers(self: LambdaResponse) -> str:
    layers = self.backend.list_layers()
    return _paged(self, "Layers", layers, lambda layer: str(layer["LayerName"]), lambda layer: layer)


def list_layer_versions(self: LambdaResponse) -> str:
    name = unquote(self.path.rsplit("/", 2)[-2])
    versions = self.backend.list_layer_versions(name)
    return _paged(self, "LayerVersions", versions, lambda lv: f"{10**12 - int(lv.version):012d}",
                  _layer_list_item)


def _layer_list_item(lv: Any) -> dict[str, Any]:
    item: dict[str, Any] = lv.get_layer_version()
    item.pop("Content", None)  # AWS lists layer versions without their content
    return item


def apply() -> None:
    for handler in (list_functions, list_versions_by_function, list_aliases, list_event_source_mappings,
                    list_layers, list_layer_versions):
        setattr(LambdaResponse, handler.__name__, handler)
