"""Terraform JSON (`*.tf.json`, hashicorp/aws provider) from an assembled CloudFormation `Template`.

Each CloudFormation resource type the kinds emit has a translator to the provider's resource(s) and
arguments; Ref/GetAtt/Sub become interpolations of resource attributes, `var.*` (environment values:
sensitive variables) and the `aws_partition`/`aws_region`/`aws_caller_identity` data sources. Code
is `filename` (beside the module, under ../code) with its `source_code_hash`.

Differences from the CloudFormation template, by the provider's design: a function's versions are
published by `publish = true` (one per change), so a version is the function's `version` /
`qualified_arn` (the template holds at most the function's current one; see versions.to_iac);
`RecursiveLoop` and `RuntimeManagementConfig` are resources of their own; an API Gateway method's
responses and integration are separate resources. Validated against the provider's argument names
in the tests; not applied with `terraform apply` here.
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any

from ..kinds import iac
from .cloudformation import AssetName, ReadText
from .template import Template
from .terraform_types import TRANSLATORS

PROVIDER_VERSION = ">= 5.80"
_PSEUDO = {
    "AWS::Partition": "${data.aws_partition.current.partition}",
    "AWS::Region": "${data.aws_region.current.name}",
    "AWS::AccountId": "${data.aws_caller_identity.current.account_id}",
}
# CloudFormation type -> (Terraform type, attribute a Ref gives, GetAtt attribute -> Terraform attribute)
_TYPES: dict[str, tuple[str, str, dict[str, str]]] = {
    "AWS::Lambda::Function": ("aws_lambda_function", "function_name", {"Arn": "arn"}),
    "AWS::Lambda::Alias": ("aws_lambda_alias", "arn", {}),
    "AWS::Lambda::LayerVersion": ("aws_lambda_layer_version", "arn", {}),
    "AWS::Lambda::CodeSigningConfig": ("aws_lambda_code_signing_config", "arn", {"CodeSigningConfigArn": "arn"}),
    "AWS::Lambda::Permission": ("aws_lambda_permission", "id", {}),
    "AWS::Lambda::EventSourceMapping": ("aws_lambda_event_source_mapping", "uuid", {}),
    "AWS::Lambda::Url": ("aws_lambda_function_url", "function_url", {}),
    "AWS::Lambda::EventInvokeConfig": ("aws_lambda_function_event_invoke_config", "id", {}),
    "AWS::S3::Bucket": ("aws_s3_bucket", "bucket", {"Arn": "arn"}),
    "AWS::ApiGateway::RestApi": ("aws_api_gateway_rest_api", "id", {"RootResourceId": "root_resource_id"}),
    "AWS::ApiGateway::Resource": ("aws_api_gateway_resource", "id", {}),
    "AWS::ApiGateway::Method": ("aws_api_gateway_method", "id", {}),
    "AWS::ApiGateway::Deployment": ("aws_api_gateway_deployment", "id", {}),
    "AWS::ApiGateway::Stage": ("aws_api_gateway_stage", "stage_name", {}),
    "AWS::ApiGatewayV2::Api": ("aws_apigatewayv2_api", "id", {}),
    "AWS::ApiGatewayV2::Integration": ("aws_apigatewayv2_integration", "id", {}),
    "AWS::ApiGatewayV2::Route": ("aws_apigatewayv2_route", "id", {}),
    "AWS::ApiGatewayV2::Stage": ("aws_apigatewayv2_stage", "name", {}),
    "AWS::Events::Rule": ("aws_cloudwatch_event_rule", "name", {"Arn": "arn"}),
    "AWS::Scheduler::ScheduleGroup": ("aws_scheduler_schedule_group", "name", {"Arn": "arn"}),
    "AWS::Scheduler::Schedule": ("aws_scheduler_schedule", "name", {"Arn": "arn"}),
    "AWS::SNS::Subscription": ("aws_sns_topic_subscription", "arn", {}),
    "AWS::CloudFront::Function": ("aws_cloudfront_function", "name", {"FunctionARN": "arn"}),
    "AWS::IAM::Role": ("aws_iam_role", "name", {"Arn": "arn"}),
    "AWS::IAM::ManagedPolicy": ("aws_iam_policy", "arn", {}),
}


def dump(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2) + "\n"


def document(template: Template, snapshot_id: str, asset_name: AssetName, read_text: ReadText, *,
             code_path: str) -> dict[str, Any]:
    return Translator(template, asset_name, read_text, code_path).document(snapshot_id)


class Raw(str):
    """Terraform text as it is (an interpolation, or JSON already holding interpolations)."""

    __slots__ = ()


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


class Translator:
    def __init__(self, template: Template, asset_name: AssetName, read_text: ReadText, code_path: str) -> None:
        self.t, self.asset_name, self.read_text, self.code_path = template, asset_name, read_text, code_path
        self.resources: dict[str, dict[str, Any]] = {}
        self.notes: list[str] = list(template.notes)

    # -- the document ---------------------------------------------------------------------------
    def document(self, snapshot_id: str) -> dict[str, Any]:
        for logical_id, resource in self.t.resources.items():
            handler = TRANSLATORS.get(resource["Type"])
            if handler is None:
                self.notes.append(f"{logical_id}: {resource['Type']} has no Terraform translation; not exported")
                continue
            depends = [a for d in resource.get("DependsOn", []) if (a := self.address(d))]
            handler(self, logical_id, resource["Properties"], depends)
        variables: dict[str, Any] = {"region": {"type": "string", "default": self.t.region,
                                                "description": "the region to deploy into"}}
        for name, p in self.t.parameters.items():
            variables[name] = {"type": "string", "description": p.get("Description", ""),
                               **({"default": p["Default"]} if "Default" in p else {}),
                               **({"sensitive": True} if p.get("NoEcho") else {})}
        doc: dict[str, Any] = {
            "//": f"lambda-ark export of snapshot {snapshot_id[:8]}: account {self.t.account}, {self.t.region}",
            "terraform": {"required_providers": {"aws": {"source": "hashicorp/aws", "version": PROVIDER_VERSION}}},
            "provider": {"aws": {"region": "${var.region}"}},
            "variable": variables,
            "data": {"aws_partition": {"current": {}}, "aws_region": {"current": {}},
                     "aws_caller_identity": {"current": {}}},
            "resource": self.resources,
        }
        if self.t.outputs:
            doc["output"] = {name: {"value": self.expr(o["Value"]), "description": o.get("Description", "")}
                             for name, o in self.t.outputs.items()}
        if self.notes:
            doc["//notes"] = self.notes
        if self.t.snippets:
            doc["//cloudformation snippets"] = self.t.snippets
        return doc

    def add(self, tf_type: str, name: str, args: dict[str, Any], depends: list[str] | None = None) -> None:
        body = {k: self.expr(v) for k, v in args.items() if v not in (None, "", [], {})}
        if depends:
            body["depends_on"] = sorted(set(depends))
        self.resources.setdefault(tf_type, {})[name] = body

    # -- expressions ------------------------------------------------------------------------------
    def address(self, logical_id: str) -> str | None:
        resource = self.t.resources.get(logical_id)
        if resource is None or resource["Type"] not in _TYPES:
            return None
        return f"{_TYPES[resource['Type']][0]}.{logical_id}"

    def ref(self, logical_id: str, attribute: str | None = None) -> str:
        if logical_id in _PSEUDO:
            return _PSEUDO[logical_id]
        if logical_id in self.t.parameters:
            return f"${{var.{logical_id}}}"
        resource = self.t.resources.get(logical_id)
        if resource is None:
            raise KeyError(logical_id)
        if resource["Type"] == "AWS::Lambda::Version":  # published by the function itself
            fn = resource["Properties"]["FunctionName"]["Ref"]
            return f"${{aws_lambda_function.{fn}.{'version' if attribute == 'Version' else 'qualified_arn'}}}"
        tf_type, ref_attr, atts = _TYPES[resource["Type"]]
        attr = ref_attr if attribute is None else atts.get(attribute, _snake(attribute))
        return f"${{{tf_type}.{logical_id}.{attr}}}"

    def expr(self, value: Any) -> Any:
        if isinstance(value, Raw):
            return str(value)
        if isinstance(value, dict):
            if "Ref" in value:
                return self.ref(value["Ref"])
            if "Fn::GetAtt" in value:
                return self.ref(value["Fn::GetAtt"][0], value["Fn::GetAtt"][1])
            if "Fn::Sub" in value:
                return self._sub(value["Fn::Sub"])
            return {k: self.expr(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.expr(v) for v in value]
        if isinstance(value, str):
            return value.replace("${", "$${").replace("%{", "%%{")  # a literal, not an interpolation
        return value

    def _sub(self, text: str) -> str:
        def one(m: re.Match[str]) -> str:
            inner = m.group(1)
            if inner.startswith("!"):
                return "$${" + inner[1:] + "}"
            name, _, attribute = inner.partition(".")
            return self.ref(name, attribute or None)[2:-1].join(("${", "}"))

        return re.sub(r"\$\{([^}]+)\}", one, text.replace("%{", "%%{"))

    def code(self, value: dict[str, Any]) -> dict[str, Any]:
        """A package placeholder as filename + source_code_hash (base64 SHA-256, as Lambda's CodeSha256)."""
        name = self.asset_name(value[iac.ASSET])
        digest = base64.b64encode(bytes.fromhex(name.removesuffix(".zip"))).decode()
        return {"filename": Raw(f"${{path.module}}/{self.code_path}/{name}"), "source_code_hash": digest}

    def json(self, value: Any) -> Any:
        """A JSON argument (a policy, a pattern) whose values may name resources: interpolated text."""
        if isinstance(value, dict | list):
            return Raw(json.dumps(self.expr(value), sort_keys=True))
        return value

    def function_of(self, value: Any) -> tuple[Any, str | None]:
        """A FunctionName (Ref of a function, alias or version) as (function name, qualifier)."""
        target = self.t.resources.get(value.get("Ref", "")) if isinstance(value, dict) else None
        if target is None:
            return value, None
        props = target["Properties"]
        if target["Type"] == "AWS::Lambda::Alias":
            return props["FunctionName"], props["Name"]
        if target["Type"] == "AWS::Lambda::Version":
            return props["FunctionName"], self.ref(value["Ref"], "Version")
        return value, None
