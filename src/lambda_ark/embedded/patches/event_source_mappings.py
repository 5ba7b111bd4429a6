"""Event source mappings keep the function ARN they were created with, and filter by function.

AWS: a mapping created for `f:live` (or the alias ARN) reports `FunctionArn` `...:function:f:live`;
ListEventSourceMappings(FunctionName=...) accepts a name, a (qualified) ARN or a partial ARN.
moto: resolves an alias to the version it points at and records that version's ARN (so a restore
would wire the mapping to a fixed version instead of the alias), and filters by comparing the
FunctionName string given at creation with the one given to List, so a mapping created with an ARN
is not found by name and vice versa.

AWS also takes and reports `LoggingConfig` (`SystemLogLevel`) on create and update; moto drops it.
Tags given at creation are read back with ListTags on the mapping's ARN (moto already does that).
"""

from __future__ import annotations

from typing import Any

from moto.awslambda.models import EventSourceMapping, LambdaBackend


def _split(name_or_arn: str) -> tuple[str, str | None]:
    name, _, qualifier = name_or_arn.split(":function:")[-1].partition(":")
    return name, (qualifier or None)


def _requested_arn(backend: LambdaBackend, function_name: str) -> str:
    name, qualifier = _split(function_name)
    base = str(backend.get_function(name).function_arn)
    return f"{base}:{qualifier}" if qualifier else base


_LOGGING = "_ark_logging_config"


def _create(original: Any) -> Any:
    def create_event_source_mapping(self: LambdaBackend, spec: dict[str, Any]) -> EventSourceMapping:
        esm: EventSourceMapping = original(self, spec)
        esm.function_arn = _requested_arn(self, spec["FunctionName"])
        if spec.get("LoggingConfig"):
            setattr(esm, _LOGGING, spec["LoggingConfig"])
        return esm

    return create_event_source_mapping


def _update(original: Any) -> Any:
    def update_event_source_mapping(self: LambdaBackend, uuid: str, spec: dict[str, Any]) -> Any:
        esm = original(self, uuid, spec)
        if esm is not None and spec.get("FunctionName"):
            esm.function_arn = _requested_arn(self, spec["FunctionName"])
        if esm is not None and "LoggingConfig" in spec:
            setattr(esm, _LOGGING, spec["LoggingConfig"])
        return esm

    return update_event_source_mapping


def _get_configuration(original: Any) -> Any:
    def get_configuration(self: EventSourceMapping) -> dict[str, Any]:
        config: dict[str, Any] = original(self)
        if self.__dict__.get(_LOGGING):
            config["LoggingConfig"] = self.__dict__[_LOGGING]
        return config

    return get_configuration


def list_event_source_mappings(self: LambdaBackend, event_source_arn: str,
                               function_name: str) -> list[EventSourceMapping]:
    esms = list(self._event_source_mappings.values())
    if event_source_arn:
        esms = [esm for esm in esms if esm.event_source_arn == event_source_arn]
    if function_name:
        wanted = _split(function_name)
        esms = [esm for esm in esms if _split(esm.function_arn) == wanted]
    return esms


def apply() -> None:
    LambdaBackend.create_event_source_mapping = _create(LambdaBackend.create_event_source_mapping)  # type: ignore[method-assign]
    LambdaBackend.update_event_source_mapping = _update(LambdaBackend.update_event_source_mapping)  # type: ignore[method-assign]
    LambdaBackend.list_event_source_mappings = list_event_source_mappings  # type: ignore[method-assign]
    EventSourceMapping.get_configuration = _get_configuration(EventSourceMapping.get_configuration)  # type: ignore[method-assign]
