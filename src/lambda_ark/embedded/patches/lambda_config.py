"""Function configuration fields that moto drops or never updates.

AWS: CreateFunction and UpdateFunctionConfiguration accept, and every configuration response
reports, `DeadLetterConfig`, `LoggingConfig` (default `{"LogFormat": "Text", "LogGroup":
"/aws/lambda/<name>"}`), `SnapStart` (with `OptimizationStatus` "On" on published versions when
`ApplyOn` is "PublishedVersions"), `FileSystemConfigs`, and UpdateFunctionConfiguration changes
`TracingConfig`, `EphemeralStorage`, `KMSKeyArn` and `ImageConfig` too; UpdateFunctionCode takes
`Architectures`.
AWS (2025): CreateFunction also takes `TenancyConfig` (never changed afterwards: UpdateFunction-
Configuration has no such member), `CapacityProviderConfig`, `DurableConfig` (durable execution is
enabled only at creation; its settings can be updated later), `RuntimeConfig` and
`AcceleratorConfig`, all reported by every configuration response.
moto: ignores DeadLetterConfig, LoggingConfig, SnapStart and FileSystemConfigs on create, reports
SnapStart as always off, and UpdateFunctionConfiguration silently ignores all of the above (and
fails on an `Environment` without `Variables`); it knows none of the 2025 fields. A backup of such a
function would record the wrong configuration, and a restore could not be verified.

The extra fields live in a dict per function object that is replaced, never changed in place:
PublishVersion shallow-copies $LATEST, and a published version must keep its configuration when
$LATEST changes afterwards.
"""

from __future__ import annotations

from typing import Any

from moto.awslambda.exceptions import InvalidParameterValueException
from moto.awslambda.models import ImageConfig, LambdaBackend, LambdaFunction

_EXTRA = ("DeadLetterConfig", "LoggingConfig", "SnapStart", "FileSystemConfigs")
# Reported as given whenever set (2025 fields).
_PASSED_THROUGH = ("TenancyConfig", "CapacityProviderConfig", "DurableConfig", "RuntimeConfig", "AcceleratorConfig")


def _init(original: Any) -> Any:
    def __init__(self: LambdaFunction, account_id: str, spec: dict[str, Any], *args: Any, **kwargs: Any) -> None:
        original(self, account_id, spec, *args, **kwargs)
        self._ark_extra = {key: spec[key] for key in (*_EXTRA, *_PASSED_THROUGH) if spec.get(key)}  # type: ignore[attr-defined]

    return __init__


def _extra(fn: LambdaFunction) -> dict[str, Any]:
    extra: dict[str, Any] | None = fn.__dict__.get("_ark_extra")
    if extra is None:
        extra = {}
        fn._ark_extra = extra  # type: ignore[attr-defined]
    return extra


def _get_configuration(original: Any) -> Any:
    def get_configuration(self: LambdaFunction, on_create: bool = False) -> dict[str, Any]:
        config: dict[str, Any] = original(self, on_create=on_create)
        extra = _extra(self)
        if extra.get("DeadLetterConfig", {}).get("TargetArn"):
            config["DeadLetterConfig"] = extra["DeadLetterConfig"]
        config["LoggingConfig"] = {"LogFormat": "Text", "LogGroup": f"/aws/lambda/{self.function_name}",
                                   **extra.get("LoggingConfig", {})}
        apply_on = extra.get("SnapStart", {}).get("ApplyOn", "None")
        published = str(self.version) != "$LATEST"
        config["SnapStart"] = {
            "ApplyOn": apply_on,
            "OptimizationStatus": "On" if apply_on == "PublishedVersions" and published else "Off",
        }
        if extra.get("FileSystemConfigs"):
            config["FileSystemConfigs"] = extra["FileSystemConfigs"]
        for key in _PASSED_THROUGH:
            if extra.get(key):
                config[key] = extra[key]
        if not config.get("KMSKeyArn"):
            config.pop("KMSKeyArn", None)  # AWS omits it when the default key is used
        return config

    return get_configuration


def _update_configuration(original: Any) -> Any:
    def update_configuration(self: LambdaFunction, config_updates: dict[str, Any]) -> dict[str, Any]:
        updates = dict(config_updates)
        if "Environment" in updates:
            self.environment_vars = (updates.pop("Environment") or {}).get("Variables", {})
        if updates.get("DurableConfig") and not _extra(self).get("DurableConfig"):
            raise InvalidParameterValueException("Durable execution can only be enabled when the function is created.")
        for key in (*_EXTRA, *_PASSED_THROUGH):
            if key in updates:  # a new dict: a published version may share the old one
                self._ark_extra = {**_extra(self), key: updates.pop(key)}  # type: ignore[attr-defined]
        if "TracingConfig" in updates:
            self.tracing_config = updates.pop("TracingConfig") or {"Mode": "PassThrough"}
        if "EphemeralStorage" in updates:
            self.ephemeral_storage = updates.pop("EphemeralStorage")["Size"]
        if "KMSKeyArn" in updates:
            self.kms_key_arn = updates.pop("KMSKeyArn") or None
        if "ImageConfig" in updates:
            self.image_config = ImageConfig(updates.pop("ImageConfig") or {})
        return original(self, updates)  # type: ignore[no-any-return]

    return update_configuration


def _update_function_code(original: Any) -> Any:
    def update_function_code(self: LambdaBackend, function_name: str, qualifier: str,
                             body: dict[str, Any]) -> dict[str, Any] | None:
        if body.get("Architectures") and not body.get("DryRun"):
            self.get_function(function_name, qualifier).architectures = body["Architectures"]
        return original(self, function_name, qualifier, body)  # type: ignore[no-any-return]

    return update_function_code


def apply() -> None:
    LambdaFunction.__init__ = _init(LambdaFunction.__init__)  # type: ignore[method-assign]
    LambdaFunction.get_configuration = _get_configuration(LambdaFunction.get_configuration)  # type: ignore[method-assign]
    LambdaFunction.update_configuration = _update_configuration(LambdaFunction.update_configuration)  # type: ignore[method-assign]
    LambdaBackend.update_function_code = _update_function_code(LambdaBackend.update_function_code)  # type: ignore[method-assign]
