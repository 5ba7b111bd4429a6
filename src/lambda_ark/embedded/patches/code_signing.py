"""Code signing configs: Create/Get/Update/Delete/List CodeSigningConfig(s),
Put/Get/DeleteFunctionCodeSigningConfig, ListFunctionsByCodeSigningConfig, tags on a config.

AWS (errors as recorded from AWS in LocalStack's parity snapshots): a config is
`arn:aws:lambda:<region>:<account>:code-signing-config:csc-<17 hex>` with a description, allowed
publishers (signing profile version ARNs) and a policy (`UntrustedArtifactOnDeployment`, default
Warn); an unknown config is ResourceNotFoundException ("The Lambda code signing configuration <arn>
can not be found."), except where a function is pointed at it (PutFunctionCodeSigningConfig,
CreateFunction): CodeSigningConfigNotFoundException. GetFunctionCodeSigningConfig of a function
without one answers 200 with no ARN; DeleteFunctionCodeSigningConfig of one without is a 204. Lists
page by `Marker`/`MaxItems`. Tags are read and written through ListTags/TagResource/UntagResource.
moto: only GetFunctionCodeSigningConfig exists (answering `"CodeSigningConfigArn": null`); anything
else is 404, and CreateFunction accepts any CodeSigningConfigArn.

Signatures are not verified here: there is no AWS Signer, so `Enforce` blocks nothing.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from moto.awslambda import urls
from moto.awslambda.exceptions import LambdaClientError
from moto.awslambda.models import EventSourceMapping, LambdaBackend, LambdaFunction
from moto.awslambda.responses import LambdaResponse
from moto.core.common_types import TYPE_RESPONSE
from moto.core.utils import utcnow

from . import list_paging

_ATTR = "_ark_code_signing_configs"
_PATHS = (
    r"{0}/(?P<api_version>[^/]+)/code-signing-configs/?$",
    r"{0}/(?P<api_version>[^/]+)/code-signing-configs/(?P<arn>[^/]+)$",
    r"{0}/(?P<api_version>[^/]+)/code-signing-configs/(?P<arn>[^/]+)/functions/?$",
)


class ConfigNotFound(LambdaClientError):
    code = 404

    def __init__(self, arn: str) -> None:
        super().__init__("ResourceNotFoundException", f"The Lambda code signing configuration {arn} can not be found.")


class FunctionConfigNotFound(LambdaClientError):
    code = 404

    def __init__(self, arn: str) -> None:
        super().__init__(
            "CodeSigningConfigNotFoundException",
            "The code signing configuration cannot be found. Check that the provided configuration is not deleted: "
            f"{arn}.",
        )


@dataclass
class CodeSigningConfig:
    arn: str
    id: str
    description: str
    publishers: list[str]
    policies: dict[str, str]
    last_modified: str
    tags: dict[str, str] = field(default_factory=dict)  # what moto's tag_resource/list_tags touch

    def render(self) -> dict[str, Any]:
        return {
            "CodeSigningConfigId": self.id,
            "CodeSigningConfigArn": self.arn,
            "Description": self.description,
            "AllowedPublishers": {"SigningProfileVersionArns": list(self.publishers)},
            "CodeSigningPolicies": dict(self.policies),
            "LastModified": self.last_modified,
        }


def _now() -> str:
    return utcnow().strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+0000"


def configs(backend: LambdaBackend) -> dict[str, CodeSigningConfig]:
    store: dict[str, CodeSigningConfig] | None = backend.__dict__.get(_ATTR)
    if store is None:
        store = {}
        setattr(backend, _ATTR, store)
    return store


def _config(backend: LambdaBackend, arn: str) -> CodeSigningConfig:
    found = configs(backend).get(arn)
    if found is None:
        raise ConfigNotFound(arn)
    return found


def _path_arn(self: LambdaResponse) -> str:
    return unquote(self.path.split("/code-signing-configs/", 1)[1].split("/", 1)[0].split("?", 1)[0])


def create_code_signing_config(self: LambdaResponse) -> TYPE_RESPONSE:
    body = self.json_body
    csc_id = "csc-" + secrets.token_hex(9)[:17]
    arn = f"arn:aws:lambda:{self.region}:{self.current_account}:code-signing-config:{csc_id}"
    config = CodeSigningConfig(
        arn=arn,
        id=csc_id,
        description=body.get("Description", ""),
        publishers=list(body["AllowedPublishers"]["SigningProfileVersionArns"]),
        policies=body.get("CodeSigningPolicies") or {"UntrustedArtifactOnDeployment": "Warn"},
        last_modified=_now(),
        tags=dict(body.get("Tags") or {}),
    )
    configs(self.backend)[arn] = config
    return 201, {"status": 201}, json.dumps({"CodeSigningConfig": config.render()})


def get_code_signing_config(self: LambdaResponse) -> str:
    return json.dumps({"CodeSigningConfig": _config(self.backend, _path_arn(self)).render()})


def update_code_signing_config(self: LambdaResponse) -> str:
    config = _config(self.backend, _path_arn(self))
    body = self.json_body
    if "Description" in body:
        config.description = body["Description"]
    if "AllowedPublishers" in body:
        config.publishers = list(body["AllowedPublishers"]["SigningProfileVersionArns"])
    if "CodeSigningPolicies" in body:
        config.policies = dict(body["CodeSigningPolicies"])
    config.last_modified = _now()
    return json.dumps({"CodeSigningConfig": config.render()})


def delete_code_signing_config(self: LambdaResponse) -> TYPE_RESPONSE:
    arn = _path_arn(self)
    _config(self.backend, arn)
    del configs(self.backend)[arn]
    return 204, {"status": 204}, ""


def list_code_signing_configs(self: LambdaResponse) -> str:
    items = [c.render() for c in configs(self.backend).values()]
    chunk, next_marker = list_paging.page(
        items, lambda c: str(c["CodeSigningConfigId"]), self._get_param("MaxItems"), self._get_param("Marker")
    )
    body: dict[str, Any] = {"CodeSigningConfigs": chunk}
    if next_marker:
        body["NextMarker"] = next_marker
    return json.dumps(body)


def list_functions_by_code_signing_config(self: LambdaResponse) -> str:
    arn = _path_arn(self)
    _config(self.backend, arn)
    arns = [fn.function_arn for fn in self.backend.list_functions() if fn.code_signing_config_arn == arn]
    chunk, next_marker = list_paging.page(arns, str, self._get_param("MaxItems"), self._get_param("Marker"))
    body: dict[str, Any] = {"FunctionArns": chunk}
    if next_marker:
        body["NextMarker"] = next_marker
    return json.dumps(body)


def _function(self: LambdaResponse) -> LambdaFunction:
    name = unquote(self.path.split("/functions/", 1)[1].split("/", 1)[0])
    fn: LambdaFunction = self.backend.get_function(name.split(":function:")[-1].split(":")[0])
    return fn


def put_function_code_signing_config(self: LambdaResponse) -> str:
    arn = self.json_body["CodeSigningConfigArn"]
    if arn not in configs(self.backend):
        raise FunctionConfigNotFound(arn)
    fn = _function(self)
    fn.code_signing_config_arn = arn
    return json.dumps({"CodeSigningConfigArn": arn, "FunctionName": fn.function_name})


def get_function_code_signing_config(self: LambdaResponse) -> str:
    fn = _function(self)
    if not fn.code_signing_config_arn:
        return "{}"
    return json.dumps({"CodeSigningConfigArn": fn.code_signing_config_arn, "FunctionName": fn.function_name})


def delete_function_code_signing_config(self: LambdaResponse) -> TYPE_RESPONSE:
    _function(self).code_signing_config_arn = None
    return 204, {"status": 204}, ""


def _create_function(original: Any) -> Any:
    def create_function(self: LambdaBackend, spec: dict[str, Any]) -> LambdaFunction:
        arn = spec.get("CodeSigningConfigArn")
        if arn and arn not in configs(self):
            raise FunctionConfigNotFound(arn)
        return original(self, spec)  # type: ignore[no-any-return]

    return create_function


def _resource_by_arn(original: Any) -> Any:
    def _get_resource_by_arn(self: LambdaBackend, arn: str) -> EventSourceMapping | LambdaFunction | CodeSigningConfig:
        if ":code-signing-config:" in arn:
            return _config(self, arn)
        return original(self, arn)  # type: ignore[no-any-return]

    return _get_resource_by_arn


def apply() -> None:
    for path in _PATHS:  # read when the server builds its Flask app for Lambda, after apply()
        urls.url_paths[path] = LambdaResponse.dispatch
    for handler in (create_code_signing_config, get_code_signing_config, update_code_signing_config,
                    delete_code_signing_config, list_code_signing_configs, list_functions_by_code_signing_config,
                    put_function_code_signing_config, get_function_code_signing_config,
                    delete_function_code_signing_config):
        setattr(LambdaResponse, handler.__name__, handler)
    LambdaBackend.create_function = _create_function(LambdaBackend.create_function)  # type: ignore[method-assign]
    LambdaBackend._get_resource_by_arn = _resource_by_arn(LambdaBackend._get_resource_by_arn)  # type: ignore[method-assign]
