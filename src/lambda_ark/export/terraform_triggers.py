"""Translators of the trigger and IAM types (S3, API Gateway, EventBridge, Scheduler, SNS,
CloudFront, IAM) to the AWS provider's resources; see terraform_types for the Lambda ones."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ..kinds import iac
from .terraform_types import _pick, _tags

if TYPE_CHECKING:
    from .terraform import Translator


def s3_bucket(tf: Translator, lid: str, p: dict[str, Any], depends: list[str]) -> None:
    tf.add("aws_s3_bucket", lid, {"bucket": p["BucketName"]})
    confs = []
    for c in p.get("NotificationConfiguration", {}).get("LambdaConfigurations", []):
        conf: dict[str, Any] = {"lambda_function_arn": c["Function"], "events": [c["Event"]]}
        for rule in c.get("Filter", {}).get("S3Key", {}).get("Rules", []):
            conf[f"filter_{rule['Name'].lower()}"] = rule["Value"]
        confs.append(conf)
    if confs:
        tf.add("aws_s3_bucket_notification", lid, {"bucket": {"Ref": lid}, "lambda_function": confs}, depends)


def apigateway_restapi(tf: Translator, lid: str, p: dict[str, Any], depends: list[str]) -> None:
    args = _pick(p, {"Name": "name", "Description": "description", "BinaryMediaTypes": "binary_media_types",
                     "ApiKeySourceType": "api_key_source", "MinimumCompressionSize": "minimum_compression_size",
                     "DisableExecuteApiEndpoint": "disable_execute_api_endpoint"})
    if "EndpointConfiguration" in p:
        args["endpoint_configuration"] = {"types": p["EndpointConfiguration"]["Types"]}
    tf.add("aws_api_gateway_rest_api", lid, {**args, "tags": _tags(p)}, depends)


def apigateway_resource(tf: Translator, lid: str, p: dict[str, Any], depends: list[str]) -> None:
    tf.add("aws_api_gateway_resource", lid, {"rest_api_id": p["RestApiId"], "parent_id": p["ParentId"],
                                             "path_part": p["PathPart"]}, depends)


def apigateway_method(tf: Translator, lid: str, p: dict[str, Any], depends: list[str]) -> None:
    ids = {"rest_api_id": p["RestApiId"], "resource_id": p["ResourceId"], "http_method": p["HttpMethod"]}
    tf.add("aws_api_gateway_method", lid, {**ids, "authorization": p.get("AuthorizationType", "NONE"),
                                           **_pick(p, {"ApiKeyRequired": "api_key_required",
                                                       "RequestParameters": "request_parameters",
                                                       "OperationName": "operation_name",
                                                       "AuthorizationScopes": "authorization_scopes"})}, depends)
    method = f"aws_api_gateway_method.{lid}"
    integration = p.get("Integration", {})
    tf.add("aws_api_gateway_integration", lid, {**ids, **_pick(integration, {
        "Type": "type", "IntegrationHttpMethod": "integration_http_method", "Uri": "uri",
        "RequestParameters": "request_parameters", "RequestTemplates": "request_templates",
        "PassthroughBehavior": "passthrough_behavior", "ContentHandling": "content_handling",
        "TimeoutInMillis": "timeout_milliseconds", "CacheKeyParameters": "cache_key_parameters"})}, [method])
    for r in p.get("MethodResponses", []):
        tf.add("aws_api_gateway_method_response", f"{lid}{r['StatusCode']}", {
            **ids, "status_code": r["StatusCode"], **_pick(r, {"ResponseParameters": "response_parameters",
                                                               "ResponseModels": "response_models"})}, [method])
    for r in integration.get("IntegrationResponses", []):
        tf.add("aws_api_gateway_integration_response", f"{lid}{r['StatusCode']}", {
            **ids, "status_code": r["StatusCode"], **_pick(r, {
                "SelectionPattern": "selection_pattern", "ResponseParameters": "response_parameters",
                "ResponseTemplates": "response_templates", "ContentHandling": "content_handling"})},
            [f"aws_api_gateway_integration.{lid}", f"aws_api_gateway_method_response.{lid}{r['StatusCode']}"])


def apigateway_deployment(tf: Translator, lid: str, p: dict[str, Any], depends: list[str]) -> None:
    integrations = [d.replace("aws_api_gateway_method.", "aws_api_gateway_integration.") for d in depends]
    tf.add("aws_api_gateway_deployment", lid, {"rest_api_id": p["RestApiId"], "description": p.get("Description")},
           depends + integrations)


def apigateway_stage(tf: Translator, lid: str, p: dict[str, Any], depends: list[str]) -> None:
    args = {"rest_api_id": p["RestApiId"], "deployment_id": p["DeploymentId"], "stage_name": p["StageName"],
            **_pick(p, {"Description": "description", "Variables": "variables",
                        "TracingEnabled": "xray_tracing_enabled"})}
    if "CanarySetting" in p:
        args["canary_settings"] = _pick(p["CanarySetting"], {
            "PercentTraffic": "percent_traffic", "StageVariableOverrides": "stage_variable_overrides",
            "UseStageCache": "use_stage_cache"})
    tf.add("aws_api_gateway_stage", lid, args, depends)


def apigatewayv2_api(tf: Translator, lid: str, p: dict[str, Any], depends: list[str]) -> None:
    args = _pick(p, {"Name": "name", "ProtocolType": "protocol_type", "Description": "description",
                     "RouteSelectionExpression": "route_selection_expression",
                     "ApiKeySelectionExpression": "api_key_selection_expression",
                     "DisableExecuteApiEndpoint": "disable_execute_api_endpoint"})
    if "CorsConfiguration" in p:
        args["cors_configuration"] = _pick(p["CorsConfiguration"], {
            "AllowCredentials": "allow_credentials", "AllowHeaders": "allow_headers", "AllowMethods": "allow_methods",
            "AllowOrigins": "allow_origins", "ExposeHeaders": "expose_headers", "MaxAge": "max_age"})
    tf.add("aws_apigatewayv2_api", lid, {**args, "tags": _tags(p)}, depends)


def apigatewayv2_integration(tf: Translator, lid: str, p: dict[str, Any], depends: list[str]) -> None:
    tf.add("aws_apigatewayv2_integration", lid, {"api_id": p["ApiId"], **_pick(p, {
        "IntegrationType": "integration_type", "IntegrationUri": "integration_uri",
        "IntegrationMethod": "integration_method", "PayloadFormatVersion": "payload_format_version",
        "TimeoutInMillis": "timeout_milliseconds", "RequestParameters": "request_parameters",
        "Description": "description", "ConnectionType": "connection_type"})}, depends)


def apigatewayv2_route(tf: Translator, lid: str, p: dict[str, Any], depends: list[str]) -> None:
    tf.add("aws_apigatewayv2_route", lid, {"api_id": p["ApiId"], "target": p.get("Target"), **_pick(p, {
        "RouteKey": "route_key", "AuthorizationType": "authorization_type", "ApiKeyRequired": "api_key_required",
        "AuthorizationScopes": "authorization_scopes", "OperationName": "operation_name"})}, depends)


def apigatewayv2_stage(tf: Translator, lid: str, p: dict[str, Any], depends: list[str]) -> None:
    tf.add("aws_apigatewayv2_stage", lid, {"api_id": p["ApiId"], "name": p["StageName"], **_pick(p, {
        "AutoDeploy": "auto_deploy", "StageVariables": "stage_variables", "Description": "description"})}, depends)


def events_rule(tf: Translator, lid: str, p: dict[str, Any], depends: list[str]) -> None:
    args = _pick(p, {"Name": "name", "EventBusName": "event_bus_name", "ScheduleExpression": "schedule_expression",
                     "State": "state", "Description": "description", "RoleArn": "role_arn"})
    if "EventPattern" in p:
        args["event_pattern"] = tf.json(p["EventPattern"])
    tf.add("aws_cloudwatch_event_rule", lid, args, depends)
    for target in p.get("Targets", []):
        t: dict[str, Any] = {"rule": {"Ref": lid}, "event_bus_name": p.get("EventBusName"),
                             "target_id": target["Id"], "arn": target["Arn"],
                             **_pick(target, {"Input": "input", "InputPath": "input_path"})}
        if "InputTransformer" in target:
            t["input_transformer"] = _pick(target["InputTransformer"], {"InputPathsMap": "input_paths",
                                                                         "InputTemplate": "input_template"})
        if "RetryPolicy" in target:
            t["retry_policy"] = _pick(target["RetryPolicy"], {
                "MaximumEventAgeInSeconds": "maximum_event_age_in_seconds",
                "MaximumRetryAttempts": "maximum_retry_attempts"})
        if "DeadLetterConfig" in target:
            t["dead_letter_config"] = {"arn": target["DeadLetterConfig"]["Arn"]}
        tf.add("aws_cloudwatch_event_target", iac.logical(lid, target["Id"]), t, depends)


def scheduler_schedulegroup(tf: Translator, lid: str, p: dict[str, Any], depends: list[str]) -> None:
    tf.add("aws_scheduler_schedule_group", lid, {"name": p["Name"]}, depends)


def scheduler_schedule(tf: Translator, lid: str, p: dict[str, Any], depends: list[str]) -> None:
    args = _pick(p, {"Name": "name", "GroupName": "group_name", "ScheduleExpression": "schedule_expression",
                     "ScheduleExpressionTimezone": "schedule_expression_timezone", "StartDate": "start_date",
                     "EndDate": "end_date", "Description": "description", "State": "state",
                     "KmsKeyArn": "kms_key_arn"})
    args["flexible_time_window"] = _pick(p["FlexibleTimeWindow"], {
        "Mode": "mode", "MaximumWindowInMinutes": "maximum_window_in_minutes"})
    target = p["Target"]
    t = _pick(target, {"Arn": "arn", "RoleArn": "role_arn", "Input": "input"})
    if "RetryPolicy" in target:
        t["retry_policy"] = _pick(target["RetryPolicy"], {"MaximumEventAgeInSeconds": "maximum_event_age_in_seconds",
                                                          "MaximumRetryAttempts": "maximum_retry_attempts"})
    if "DeadLetterConfig" in target:
        t["dead_letter_config"] = {"arn": target["DeadLetterConfig"]["Arn"]}
    tf.add("aws_scheduler_schedule", lid, {**args, "target": t}, depends)


def sns_subscription(tf: Translator, lid: str, p: dict[str, Any], depends: list[str]) -> None:
    args = _pick(p, {"TopicArn": "topic_arn", "Protocol": "protocol", "Endpoint": "endpoint",
                     "FilterPolicyScope": "filter_policy_scope"})
    for cfn, name in (("FilterPolicy", "filter_policy"), ("RedrivePolicy", "redrive_policy")):
        if cfn in p:
            args[name] = tf.json(p[cfn])
    tf.add("aws_sns_topic_subscription", lid, args, depends)


def cloudfront_function(tf: Translator, lid: str, p: dict[str, Any], depends: list[str]) -> None:
    config = p["FunctionConfig"]
    code = p["FunctionCode"]
    tf.add("aws_cloudfront_function", lid, {
        "name": p["Name"], "runtime": config["Runtime"], "comment": config.get("Comment"),
        "code": tf.read_text(code[iac.TEXT]) if isinstance(code, dict) and iac.TEXT in code else code,
        "publish": p.get("AutoPublish", True),
        "key_value_store_associations": [a["KeyValueStoreARN"] for a in config.get("KeyValueStoreAssociations", [])]},
        depends)


def iam_role(tf: Translator, lid: str, p: dict[str, Any], depends: list[str]) -> None:
    tf.add("aws_iam_role", lid, {
        "name": p["RoleName"], "path": p.get("Path"), "description": p.get("Description"),
        "assume_role_policy": tf.json(p["AssumeRolePolicyDocument"]),
        "max_session_duration": p.get("MaxSessionDuration"), "permissions_boundary": p.get("PermissionsBoundary"),
        "tags": _tags(p)}, depends)
    for policy in p.get("Policies", []):
        tf.add("aws_iam_role_policy", iac.logical(lid, policy["PolicyName"]), {
            "name": policy["PolicyName"], "role": {"Ref": lid}, "policy": tf.json(policy["PolicyDocument"])})
    for arn in p.get("ManagedPolicyArns", []):
        tf.add("aws_iam_role_policy_attachment", iac.logical(lid, json.dumps(arn, sort_keys=True)),
               {"role": {"Ref": lid}, "policy_arn": arn})


def iam_managedpolicy(tf: Translator, lid: str, p: dict[str, Any], depends: list[str]) -> None:
    tf.add("aws_iam_policy", lid, {"name": p["ManagedPolicyName"], "path": p.get("Path"),
                                   "description": p.get("Description"), "policy": tf.json(p["PolicyDocument"])},
           depends)


TRIGGER_TRANSLATORS: dict[str, Any] = {
    "AWS::S3::Bucket": s3_bucket,
    "AWS::ApiGateway::RestApi": apigateway_restapi,
    "AWS::ApiGateway::Resource": apigateway_resource,
    "AWS::ApiGateway::Method": apigateway_method,
    "AWS::ApiGateway::Deployment": apigateway_deployment,
    "AWS::ApiGateway::Stage": apigateway_stage,
    "AWS::ApiGatewayV2::Api": apigatewayv2_api,
    "AWS::ApiGatewayV2::Integration": apigatewayv2_integration,
    "AWS::ApiGatewayV2::Route": apigatewayv2_route,
    "AWS::ApiGatewayV2::Stage": apigatewayv2_stage,
    "AWS::Events::Rule": events_rule,
    "AWS::Scheduler::ScheduleGroup": scheduler_schedulegroup,
    "AWS::Scheduler::Schedule": scheduler_schedule,
    "AWS::SNS::Subscription": sns_subscription,
    "AWS::CloudFront::Function": cloudfront_function,
    "AWS::IAM::Role": iam_role,
    "AWS::IAM::ManagedPolicy": iam_managedpolicy,
}
