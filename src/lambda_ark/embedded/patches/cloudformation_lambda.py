"""CloudFormation's Lambda resources create what the same API calls would.

AWS (CloudFormation resource reference): AWS::Lambda::Function takes every CreateFunction setting
(Layers, Tags as a list, Architectures, KmsKeyArn, TracingConfig, DeadLetterConfig, EphemeralStorage,
LoggingConfig, SnapStart, …, plus ReservedConcurrentExecutions, RecursiveLoop and
RuntimeManagementConfig); Ref gives its name, GetAtt Arn its ARN. AWS::Lambda::Version publishes the
function (Description; a CodeSha256 that differs from the function's code fails the resource), Ref
gives the version's ARN and GetAtt Version its number; ProvisionedConcurrencyConfig is set on it.
AWS::Lambda::LayerVersion takes CompatibleArchitectures too; Ref gives its ARN. AWS::Lambda::Permission
is an AddPermission (the statement id is CloudFormation's). AWS::Lambda::Alias, ::Url and
::EventInvokeConfig create an alias (Ref: its ARN), a function URL and an event invoke config.

moto 5.2.5: the function keeps only Description, MemorySize, Timeout, VpcConfig and Environment of
its settings; a version ignores Description and CodeSha256 and its Ref is an object's repr; a layer
version drops CompatibleArchitectures; a permission stores the CloudFormation properties as if they
were a policy statement; Alias, Url and EventInvokeConfig are not supported (skipped with a warning).
Here each goes through the same backend calls (and fidelity patches) as the API.
"""

from __future__ import annotations

from typing import Any

from moto.awslambda.exceptions import InvalidParameterValueException
from moto.awslambda.models import FunctionUrlConfig, LambdaFunction, LambdaVersion, LayerVersion, Permission
from moto.awslambda.utils import get_backend, make_function_arn
from moto.core.common_models import CloudFormationModel
from moto.core.utils import utcnow

from . import event_invoke_configs, function_urls, provisioned_concurrency, recursion, runtime_management

# CloudFormation property -> CreateFunction member, where they are the same thing
_FUNCTION = ("Code", "Handler", "Role", "Runtime", "Description", "MemorySize", "Timeout", "VpcConfig", "Environment",
             "Layers", "Architectures", "PackageType", "TracingConfig", "DeadLetterConfig", "EphemeralStorage",
             "FileSystemConfigs", "ImageConfig", "LoggingConfig", "SnapStart", "TenancyConfig",
             "CapacityProviderConfig", "DurableConfig", "CodeSigningConfigArn")


def _function(cls: Any, /, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str,
              **kwargs: Any) -> LambdaFunction:
    p = cloudformation_json["Properties"]
    spec: dict[str, Any] = {"FunctionName": resource_name, **{k: p[k] for k in _FUNCTION if k in p}}
    if "KmsKeyArn" in p:
        spec["KMSKeyArn"] = p["KmsKeyArn"]
    if "Tags" in p:
        spec["Tags"] = {t["Key"]: t["Value"] for t in p["Tags"]}
    backend = get_backend(account_id, region_name)
    fn = backend.create_function(spec)
    if "ReservedConcurrentExecutions" in p:
        backend.put_function_concurrency(fn.function_name, str(p["ReservedConcurrentExecutions"]))
    if "RecursiveLoop" in p:
        setattr(fn, recursion._ATTR, p["RecursiveLoop"])
    if "RuntimeManagementConfig" in p:
        setattr(fn, runtime_management._ATTR, dict(p["RuntimeManagementConfig"]))
    return fn


def _version(cls: Any, /, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str,
             **kwargs: Any) -> LambdaVersion:
    p = cloudformation_json["Properties"]
    backend = get_backend(account_id, region_name)
    latest = backend.get_function(p["FunctionName"])
    if p.get("CodeSha256") and p["CodeSha256"] != latest.code_sha_256:
        raise InvalidParameterValueException(
            f"CodeSha256 ({p['CodeSha256']}) does not match the function's code ({latest.code_sha_256})")
    published = backend.publish_version(latest.function_name, p.get("Description", ""))
    if published is None:
        raise InvalidParameterValueException(f"{latest.function_name} could not be published")
    version = LambdaVersion({"Version": published.version})  # type: ignore[abstract]
    version._ark_arn = f"{make_function_arn(region_name, account_id, latest.function_name)}:{published.version}"  # type: ignore[attr-defined]
    if "ProvisionedConcurrencyConfig" in p:
        _provisioned(latest, str(published.version), p["ProvisionedConcurrencyConfig"])
    return version


def _provisioned(latest: LambdaFunction, qualifier: str, config: dict[str, Any]) -> None:
    count = int(config["ProvisionedConcurrentExecutions"])
    provisioned_concurrency._configs(latest)[qualifier] = {
        "RequestedProvisionedConcurrentExecutions": count, "AvailableProvisionedConcurrentExecutions": count,
        "AllocatedProvisionedConcurrentExecutions": count, "Status": "READY",
        "LastModified": utcnow().strftime("%Y-%m-%dT%H:%M:%S.000+0000"),
    }


def _version_arn(self: LambdaVersion) -> str:
    return str(self._ark_arn)  # type: ignore[attr-defined]


def _version_att(self: LambdaVersion, name: str) -> Any:
    if name == "Version":
        return str(self.version)
    if name == "FunctionArn":
        return str(self._ark_arn).rsplit(":", 1)[0]  # type: ignore[attr-defined]
    from moto.cloudformation.exceptions import UnformattedGetAttTemplateException

    raise UnformattedGetAttTemplateException()


def _layer(cls: Any, /, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str,
           **kwargs: Any) -> LayerVersion:
    p = cloudformation_json["Properties"]
    spec = {"LayerName": p.get("LayerName", resource_name), **{k: p[k] for k in (
        "Content", "Description", "CompatibleRuntimes", "CompatibleArchitectures", "LicenseInfo") if k in p}}
    return get_backend(account_id, region_name).publish_layer_version(spec)


def _permission(cls: Any, /, resource_name: str, cloudformation_json: dict[str, Any], account_id: str,
                region_name: str, **kwargs: Any) -> Permission:
    import json

    p = dict(cloudformation_json["Properties"])
    target = str(p.pop("FunctionName"))
    name, _, qualifier = target.split(":function:")[-1].partition(":")
    statement = {"StatementId": resource_name[-64:], **p}
    get_backend(account_id, region_name).add_permission(name, qualifier or "$LATEST", json.dumps(statement))
    return Permission(region=region_name)  # type: ignore[abstract]


class _Created:
    """What CloudFormation asks of every model that these resources do not support: no attributes,
    no in-place update (a stack update fails on them), deletion left with the function. A mixin:
    moto finds resource types among CloudFormationModel's direct subclasses only."""

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return False

    @classmethod
    def update_from_cloudformation_json(
        cls, original_resource: Any, new_resource_name: str, cloudformation_json: dict[str, Any], account_id: str,
        region_name: str,
    ) -> Any:
        raise NotImplementedError(f"updating {cls.__name__} resources in a stack")

    @classmethod
    def delete_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str
    ) -> None:
        return None

    def is_created(self) -> bool:
        return True


class Alias(_Created, CloudFormationModel):
    def __init__(self, arn: str) -> None:
        self.arn = arn

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Lambda::Alias"

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str,
        **kwargs: Any,
    ) -> Alias:
        p = cloudformation_json["Properties"]
        backend = get_backend(account_id, region_name)
        latest = backend.get_function(p["FunctionName"])
        weights = {str(w["FunctionVersion"]): float(w["FunctionWeight"])
                   for w in (p.get("RoutingConfig") or {}).get("AdditionalVersionWeights", [])}
        routing: Any = {"AdditionalVersionWeights": weights}
        alias = backend.create_alias(p["Name"], latest.function_name, str(p["FunctionVersion"]),
                                     p.get("Description", ""), routing)
        if "ProvisionedConcurrencyConfig" in p:
            _provisioned(latest, p["Name"], p["ProvisionedConcurrencyConfig"])
        return cls(str(alias.arn))

    @property
    def physical_resource_id(self) -> str:
        return self.arn


class Url(_Created, CloudFormationModel):
    def __init__(self, url: str) -> None:
        self.url = url

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Lambda::Url"

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str,
        **kwargs: Any,
    ) -> Url:
        p = dict(cloudformation_json["Properties"])
        latest = get_backend(account_id, region_name).get_function(p.pop("TargetFunctionArn"))
        qualifier = p.pop("Qualifier", "") or ""
        store = latest.__dict__.setdefault(function_urls._ATTR, {})
        store[qualifier] = FunctionUrlConfig(function=latest, config=p)
        return cls(store[qualifier].url)

    @property
    def physical_resource_id(self) -> str:
        return self.url


class EventInvokeConfig(_Created, CloudFormationModel):
    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Lambda::EventInvokeConfig"

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str,
        **kwargs: Any,
    ) -> EventInvokeConfig:
        p = dict(cloudformation_json["Properties"])
        latest = get_backend(account_id, region_name).get_function(p.pop("FunctionName"))
        qualifier = str(p.pop("Qualifier", "$LATEST"))
        store = latest.__dict__.setdefault(event_invoke_configs._ATTR, {})
        arn = latest.function_arn if qualifier == "$LATEST" else f"{latest.function_arn}:{qualifier}"
        event_invoke_configs._save(store, qualifier, arn, p)
        return cls()


def apply() -> None:
    patched: tuple[tuple[type, str, Any], ...] = (
        (LambdaFunction, "create_from_cloudformation_json", classmethod(_function)),
        (LambdaVersion, "create_from_cloudformation_json", classmethod(_version)),
        (LambdaVersion, "physical_resource_id", property(_version_arn)),
        (LambdaVersion, "get_cfn_attribute", _version_att),
        (LambdaVersion, "has_cfn_attr", classmethod(lambda cls, attr: attr in ("Version", "FunctionArn"))),
        (LayerVersion, "create_from_cloudformation_json", classmethod(_layer)),
        (LayerVersion, "physical_resource_id", property(lambda self: self.arn)),
        (Permission, "create_from_cloudformation_json", classmethod(_permission)),
    )
    for cls, name, value in patched:
        setattr(cls, name, value)
