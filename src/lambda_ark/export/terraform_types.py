"""One translator per CloudFormation type: its properties as the AWS provider's arguments.

Each takes the translator (for expressions, code and notes), the logical id (the Terraform name),
the CloudFormation properties and the Terraform `depends_on` addresses. Argument names follow the
provider's documentation (tests/export/tf_aws_schema.json holds those the tests check against).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ..kinds import iac

if TYPE_CHECKING:
    from .terraform import Translator

Translate = Callable[["Translator", str, dict[str, Any], list[str]], None]


def _pick(p: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    return {tf: p[cfn] for cfn, tf in names.items() if p.get(cfn) not in (None, "", [], {})}


def _tags(p: dict[str, Any]) -> dict[str, str] | None:
    tags = p.get("Tags")
    if isinstance(tags, list):
        return {t["Key"]: t["Value"] for t in tags} or None
    return tags or None


# -- Lambda ----------------------------------------------------------------------------------------

_FUNCTION = {"FunctionName": "function_name", "Role": "role", "Handler": "handler", "Runtime": "runtime",
             "Description": "description", "Timeout": "timeout", "MemorySize": "memory_size",
             "KmsKeyArn": "kms_key_arn", "Layers": "layers", "Architectures": "architectures",
             "PackageType": "package_type", "ReservedConcurrentExecutions": "reserved_concurrent_executions",
             "CodeSigningConfigArn": "code_signing_config_arn"}


def lambda_function(tf: Translator, lid: str, p: dict[str, Any], depends: list[str]) -> None:
    args = _pick(p, _FUNCTION)
    code = p.get("Code", {})
    if iac.ASSET in code:
        args.update(tf.code(code))
    elif "ImageUri" in code:
        args["image_uri"] = code["ImageUri"]
    if "Environment" in p:
        args["environment"] = {"variables": p["Environment"].get("Variables", {})}
    if "VpcConfig" in p:
        args["vpc_config"] = _pick(p["VpcConfig"], {"SubnetIds": "subnet_ids", "SecurityGroupIds": "security_group_ids",
                                                     "Ipv6AllowedForDualStack": "ipv6_allowed_for_dual_stack"})
    if "DeadLetterConfig" in p:
        args["dead_letter_config"] = {"target_arn": p["DeadLetterConfig"]["TargetArn"]}
    if "TracingConfig" in p:
        args["tracing_config"] = {"mode": p["TracingConfig"]["Mode"]}
    if "EphemeralStorage" in p:
        args["ephemeral_storage"] = {"size": p["EphemeralStorage"]["Size"]}
    if p.get("FileSystemConfigs"):
        fs = p["FileSystemConfigs"][0]
        args["file_system_config"] = {"arn": fs["Arn"], "local_mount_path": fs["LocalMountPath"]}
    if "ImageConfig" in p:
        args["image_config"] = _pick(p["ImageConfig"], {"Command": "command", "EntryPoint": "entry_point",
                                                         "WorkingDirectory": "working_directory"})
    if "LoggingConfig" in p:
        args["logging_config"] = _pick(p["LoggingConfig"], {"LogFormat": "log_format", "LogGroup": "log_group",
                                                             "ApplicationLogLevel": "application_log_level",
                                                             "SystemLogLevel": "system_log_level"})
    if "SnapStart" in p:
        args["snap_start"] = {"apply_on": p["SnapStart"]["ApplyOn"]}
    if any(r["Type"] == "AWS::Lambda::Version" and r["Properties"]["FunctionName"] == {"Ref": lid}
           for r in tf.t.resources.values()):
        args["publish"] = True
    args["tags"] = _tags(p)
    for name in ("TenancyConfig", "CapacityProviderConfig", "DurableConfig"):
        if name in p:
            tf.notes.append(f"{lid}: {name} has no Terraform argument here; not exported")
    tf.add("aws_lambda_function", lid, args, depends)
    if "RecursiveLoop" in p:
        tf.add("aws_lambda_function_recursion_config", lid,
               {"function_name": {"Ref": lid}, "recursive_loop": p["RecursiveLoop"]})
    if "RuntimeManagementConfig" in p:
        rm = p["RuntimeManagementConfig"]
        tf.add("aws_lambda_runtime_management_config", lid, {
            "function_name": {"Ref": lid}, "update_runtime_on": rm.get("UpdateRuntimeOn"),
            "runtime_version_arn": rm.get("RuntimeVersionArn")})


def lambda_version(tf: Translator, lid: str, p: dict[str, Any], depends: list[str]) -> None:
    fn = p["FunctionName"]["Ref"]
    if "ProvisionedConcurrencyConfig" in p:
        _provisioned(tf, lid, fn, {"Fn::GetAtt": [lid, "Version"]}, p["ProvisionedConcurrencyConfig"])
    versions = [k for k, r in tf.t.resources.items()
                if r["Type"] == "AWS::Lambda::Version" and r["Properties"]["FunctionName"] == p["FunctionName"]]
    if len(versions) > 1 and lid == versions[0]:
        tf.notes.append(f"{fn}: Terraform publishes one version per change of the function (publish = true); "
                        f"the template's {len(versions)} versions are that one")


def _provisioned(tf: Translator, lid: str, fn: Any, qualifier: Any, config: dict[str, Any]) -> None:
    tf.add("aws_lambda_provisioned_concurrency_config", lid, {
        "function_name": {"Ref": fn} if isinstance(fn, str) else fn, "qualifier": qualifier,
        "provisioned_concurrent_executions": config["ProvisionedConcurrentExecutions"]})


def lambda_alias(tf: Translator, lid: str, p: dict[str, Any], depends: list[str]) -> None:
    args: dict[str, Any] = {"name": p["Name"], "function_name": p["FunctionName"],
                            "function_version": p["FunctionVersion"], "description": p.get("Description")}
    weights = (p.get("RoutingConfig") or {}).get("AdditionalVersionWeights")
    if weights:
        args["routing_config"] = {"additional_version_weights": {
            tf.expr(w["FunctionVersion"]): w["FunctionWeight"] for w in weights}}
    tf.add("aws_lambda_alias", lid, args, depends)
    if "ProvisionedConcurrencyConfig" in p:
        _provisioned(tf, lid + "Provisioned", p["FunctionName"], p["Name"], p["ProvisionedConcurrencyConfig"])
        tf.resources["aws_lambda_provisioned_concurrency_config"][lid + "Provisioned"]["depends_on"] = [
            f"aws_lambda_alias.{lid}"]


def lambda_layerversion(tf: Translator, lid: str, p: dict[str, Any], depends: list[str]) -> None:
    args = _pick(p, {"LayerName": "layer_name", "Description": "description", "LicenseInfo": "license_info",
                     "CompatibleRuntimes": "compatible_runtimes",
                     "CompatibleArchitectures": "compatible_architectures"})
    args.update(tf.code(p["Content"]))
    tf.add("aws_lambda_layer_version", lid, args, depends)


def lambda_permission(tf: Translator, lid: str, p: dict[str, Any], depends: list[str]) -> None:
    fn, qualifier = tf.function_of(p["FunctionName"])
    args = _pick(p, {"Action": "action", "Principal": "principal", "SourceArn": "source_arn",
                     "SourceAccount": "source_account", "EventSourceToken": "event_source_token",
                     "PrincipalOrgID": "principal_org_id", "FunctionUrlAuthType": "function_url_auth_type"})
    tf.add("aws_lambda_permission", lid, {"statement_id": lid, "function_name": fn, "qualifier": qualifier, **args},
           depends)


_MAPPING = {"EventSourceArn": "event_source_arn", "Enabled": "enabled", "BatchSize": "batch_size",
            "MaximumBatchingWindowInSeconds": "maximum_batching_window_in_seconds",
            "ParallelizationFactor": "parallelization_factor", "StartingPosition": "starting_position",
            "MaximumRecordAgeInSeconds": "maximum_record_age_in_seconds",
            "BisectBatchOnFunctionError": "bisect_batch_on_function_error",
            "MaximumRetryAttempts": "maximum_retry_attempts", "TumblingWindowInSeconds": "tumbling_window_in_seconds",
            "Topics": "topics", "Queues": "queues", "FunctionResponseTypes": "function_response_types",
            "KmsKeyArn": "kms_key_arn"}


def lambda_eventsourcemapping(tf: Translator, lid: str, p: dict[str, Any], depends: list[str]) -> None:
    fn, qualifier = tf.function_of(p["FunctionName"])
    args: dict[str, Any] = {"function_name": p["FunctionName"], **_pick(p, _MAPPING), "tags": _tags(p)}
    if "StartingPositionTimestamp" in p:
        stamp = datetime.fromtimestamp(float(p["StartingPositionTimestamp"]), UTC)
        args["starting_position_timestamp"] = stamp.strftime("%Y-%m-%dT%H:%M:%SZ")
    if "DestinationConfig" in p:
        args["destination_config"] = {"on_failure": {
            "destination_arn": p["DestinationConfig"]["OnFailure"]["Destination"]}}
    if "FilterCriteria" in p:
        args["filter_criteria"] = {"filter": [{"pattern": f["Pattern"]} for f in p["FilterCriteria"]["Filters"]]}
    if "ScalingConfig" in p:
        args["scaling_config"] = {"maximum_concurrency": p["ScalingConfig"]["MaximumConcurrency"]}
    if "SourceAccessConfigurations" in p:
        args["source_access_configuration"] = [{"type": s["Type"], "uri": s["URI"]}
                                               for s in p["SourceAccessConfigurations"]]
    if "SelfManagedEventSource" in p:
        args["self_managed_event_source"] = {"endpoints": p["SelfManagedEventSource"]["Endpoints"]}
    if "DocumentDBEventSourceConfig" in p:
        args["document_db_event_source_config"] = _pick(p["DocumentDBEventSourceConfig"], {
            "DatabaseName": "database_name", "CollectionName": "collection_name", "FullDocument": "full_document"})
    if "MetricsConfig" in p:
        args["metrics_config"] = {"metrics": p["MetricsConfig"]["Metrics"]}
    for name in ("AmazonManagedKafkaEventSourceConfig", "SelfManagedKafkaEventSourceConfig",
                 "ProvisionedPollerConfig", "LoggingConfig"):
        if name in p:
            tf.notes.append(f"{lid}: {name} is not translated to Terraform; not exported")
    tf.add("aws_lambda_event_source_mapping", lid, args, depends)


def lambda_url(tf: Translator, lid: str, p: dict[str, Any], depends: list[str]) -> None:
    args: dict[str, Any] = {"function_name": p["TargetFunctionArn"], "qualifier": p.get("Qualifier"),
                            "authorization_type": p["AuthType"], "invoke_mode": p.get("InvokeMode")}
    if "Cors" in p:
        args["cors"] = _pick(p["Cors"], {"AllowCredentials": "allow_credentials", "AllowHeaders": "allow_headers",
                                          "AllowMethods": "allow_methods", "AllowOrigins": "allow_origins",
                                          "ExposeHeaders": "expose_headers", "MaxAge": "max_age"})
    tf.add("aws_lambda_function_url", lid, args, depends)


def lambda_eventinvokeconfig(tf: Translator, lid: str, p: dict[str, Any], depends: list[str]) -> None:
    args = {"function_name": p["FunctionName"], "qualifier": p.get("Qualifier"),
            **_pick(p, {"MaximumEventAgeInSeconds": "maximum_event_age_in_seconds",
                        "MaximumRetryAttempts": "maximum_retry_attempts"})}
    dest = p.get("DestinationConfig") or {}
    blocks = {tf_name: {"destination": dest[cfn]["Destination"]}
              for cfn, tf_name in (("OnSuccess", "on_success"), ("OnFailure", "on_failure")) if cfn in dest}
    if blocks:
        args["destination_config"] = blocks
    tf.add("aws_lambda_function_event_invoke_config", lid, args, depends)


def lambda_codesigningconfig(tf: Translator, lid: str, p: dict[str, Any], depends: list[str]) -> None:
    tf.add("aws_lambda_code_signing_config", lid, {
        "description": p.get("Description"),
        "allowed_publishers": {"signing_profile_version_arns": p["AllowedPublishers"]["SigningProfileVersionArns"]},
        "policies": {"untrusted_artifact_on_deployment": p["CodeSigningPolicies"]["UntrustedArtifactOnDeployment"]},
        "tags": _tags(p)}, depends)


TRANSLATORS: dict[str, Translate] = {
    "AWS::Lambda::Function": lambda_function,
    "AWS::Lambda::Version": lambda_version,
    "AWS::Lambda::Alias": lambda_alias,
    "AWS::Lambda::LayerVersion": lambda_layerversion,
    "AWS::Lambda::Permission": lambda_permission,
    "AWS::Lambda::EventSourceMapping": lambda_eventsourcemapping,
    "AWS::Lambda::Url": lambda_url,
    "AWS::Lambda::EventInvokeConfig": lambda_eventinvokeconfig,
    "AWS::Lambda::CodeSigningConfig": lambda_codesigningconfig,
}


def _register() -> None:
    from .terraform_triggers import TRIGGER_TRANSLATORS

    TRANSLATORS.update(TRIGGER_TRANSLATORS)


_register()
