"""RevisionId on functions, versions and aliases, changing when (and only when) AWS changes it.

AWS: every function configuration (CreateFunction, GetFunction, GetFunctionConfiguration,
ListFunctions, ListVersionsByFunction, Update*) carries a `RevisionId`, and `RevisionId` request
parameters are preconditions (412 on mismatch). $LATEST's id changes when its code or configuration
changes and when a version is published from it; each published version has its own, fixed id; an
alias has its own id, new on every update. Creating, updating or deleting an alias changes neither
$LATEST's id nor the version's (LocalStack's AWS-validated `test_function_revisions_version_and_alias`).
Aliases, tags, reserved and provisioned concurrency, URLs, event invoke configs, event source mappings
and permissions live beside the configuration: backup must not expect them to move `RevisionId`,
and neither does this endpoint (see `policies.py` for the policy's own id, and
docs/embedded-endpoint.md for what is known of tags on AWS).
moto: functions have no RevisionId at all; alias RevisionIds never change on update.

Here $LATEST gets a new id on code and configuration updates and on PublishVersion; a version gets
its own id when published and keeps it; an alias gets a new id whenever it is updated.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

from moto.awslambda.models import LambdaAlias, LambdaBackend, LambdaFunction
from moto.awslambda.responses import LambdaResponse

from . import revisions


def _init(original: Any) -> Any:
    def __init__(self: LambdaFunction, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        revisions.bump(self)

    return __init__


def _get_configuration(original: Any) -> Any:
    def get_configuration(self: LambdaFunction, on_create: bool = False) -> dict[str, Any]:
        config: dict[str, Any] = original(self, on_create=on_create)
        config["RevisionId"] = revisions.revision_of(self)
        return config

    return get_configuration


def _update_function_code(original: Any) -> Any:
    def update_function_code(self: LambdaBackend, function_name: str, qualifier: str,
                             body: dict[str, Any]) -> dict[str, Any] | None:
        fn = self.get_function(function_name, qualifier)
        revisions.check(fn, body.get("RevisionId"))
        if body.get("DryRun"):
            return original(self, function_name, qualifier, body)  # type: ignore[no-any-return]
        # Bump before the call: with Publish=True moto copies $LATEST into the new version, which
        # must then carry a revision of its own (set in publish_version below).
        revisions.bump(fn)
        result: dict[str, Any] | None = original(self, function_name, qualifier, body)
        if result is not None and not body.get("Publish"):
            result["RevisionId"] = revisions.revision_of(fn)
        return result

    return update_function_code


def _update_function_configuration(original: Any) -> Any:
    def update_function_configuration(self: LambdaBackend, function_name: str, qualifier: str,
                                      body: dict[str, Any]) -> dict[str, Any] | None:
        fn = self.get_function(function_name, qualifier)
        revisions.check(fn, body.get("RevisionId"))
        result: dict[str, Any] | None = original(self, function_name, qualifier, body)
        revisions.bump(fn)
        return fn.get_configuration() if result is not None else None

    return update_function_configuration


def _publish_version(original: Any) -> Any:
    def publish_version(self: LambdaBackend, function_name: str, description: str = "") -> Any:
        latest = self.get_function(function_name)
        before = revisions.revision_of(latest)
        version = original(self, function_name, description)
        if version is not None and version is not latest:
            if revisions.revision_of(version) == revisions.revision_of(latest):
                # A new version is a copy of $LATEST, id included; AWS gives it its own.
                revisions.bump(version)
            if revisions.revision_of(latest) == before:
                revisions.bump(latest)  # publishing is a change to $LATEST on AWS too
        return version

    return publish_version


def _alias_change(original: Any) -> Any:
    def alias_change(self: LambdaBackend, *args: Any, **kwargs: Any) -> Any:
        # The alias gets a new id; the function's (and its versions') stay as they are.
        result = original(self, *args, **kwargs)
        if isinstance(result, LambdaAlias):
            revisions.bump(result)
        return result

    return alias_change


def _response_update_alias(original: Any) -> Any:
    def update_alias(self: LambdaResponse) -> Any:
        # moto's handler drops the RevisionId precondition; check it before delegating.
        expected = json.loads(self.body or "{}").get("RevisionId")
        if expected:
            function_name = unquote(self.path.rsplit("/")[-3])
            alias_name = unquote(self.path.rsplit("/", 2)[-1])
            revisions.check(self.backend.get_alias(name=alias_name, function_name=function_name), expected)
        return original(self)

    return update_alias


def apply() -> None:
    LambdaFunction.__init__ = _init(LambdaFunction.__init__)  # type: ignore[method-assign]
    LambdaFunction.get_configuration = _get_configuration(LambdaFunction.get_configuration)  # type: ignore[method-assign]
    LambdaBackend.update_function_code = _update_function_code(LambdaBackend.update_function_code)  # type: ignore[method-assign]
    LambdaBackend.update_function_configuration = _update_function_configuration(  # type: ignore[method-assign]
        LambdaBackend.update_function_configuration
    )
    LambdaBackend.publish_version = _publish_version(LambdaBackend.publish_version)  # type: ignore[method-assign]
    for name in ("create_alias", "update_alias"):
        setattr(LambdaBackend, name, _alias_change(getattr(LambdaBackend, name)))
    LambdaResponse.update_alias = _response_update_alias(LambdaResponse.update_alias)  # type: ignore[method-assign]
