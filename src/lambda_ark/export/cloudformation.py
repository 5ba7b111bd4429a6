"""CloudFormation and SAM templates (YAML) from an assembled `Template`.

CloudFormation: packages are deployed from S3, named by two parameters, `CodeS3Bucket` and
`CodeS3KeyPrefix` (the key is the prefix plus the package's SHA-256 and `.zip`); `lambda-ark export
--upload s3://bucket/prefix` puts the packages there and makes those the parameters' defaults.
SAM: functions and layers become AWS::Serverless::Function / LayerVersion whose CodeUri/ContentUri is
the package's path beside the template (`sam deploy` uploads it); everything else stays
CloudFormation (SAM keeps a function's logical id, so Refs to it still hold).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import yaml

from ..kinds import iac
from .template import Template

SAM_TRANSFORM = "AWS::Serverless-2016-10-31"
CODE_DIR = "code"

AssetName = Callable[[str], str]  # snapshot file key -> "<sha256>.zip"
ReadText = Callable[[str], str]  # snapshot file key -> its text (inline code)


def document(template: Template, snapshot_id: str, asset_name: AssetName, read_text: ReadText, *,
             sam: bool = False, code_location: tuple[str, str] | None = None) -> dict[str, Any]:
    """The template as a CloudFormation (or SAM) document; `code_location` is the uploaded (bucket,
    prefix), the defaults of the code parameters."""
    resources = _placed(template.resources, asset_name, read_text, sam)
    parameters: dict[str, Any] = {}
    if not sam and _uses_s3_code(resources):
        bucket, prefix = code_location or (None, "")
        parameters["CodeS3Bucket"] = {"Type": "String", "Description": "the bucket holding the code packages "
                                      "(lambda-ark export --upload s3://bucket/prefix puts them there)",
                                      **({"Default": bucket} if bucket else {})}
        parameters["CodeS3KeyPrefix"] = {"Type": "String", "Default": prefix,
                                         "Description": "the key prefix of the code packages"}
    parameters.update(template.parameters)
    doc: dict[str, Any] = {"AWSTemplateFormatVersion": "2010-09-09"}
    if sam:
        doc["Transform"] = SAM_TRANSFORM
    doc["Description"] = (f"lambda-ark export of snapshot {snapshot_id[:8]}: {len(template.functions)} functions "
                          f"of account {template.account} in {template.region}")
    doc["Metadata"] = {"LambdaArk": {"Snapshot": snapshot_id, "SourceAccount": template.account,
                                     "SourceRegion": template.region, "Functions": template.functions,
                                     **({"NotExported": template.notes} if template.notes else {}),
                                     **({"Snippets": template.snippets} if template.snippets else {})}}
    if parameters:
        doc["Parameters"] = parameters
    doc["Resources"] = resources
    if template.outputs:
        doc["Outputs"] = template.outputs
    return doc


def dump(doc: dict[str, Any]) -> str:
    return str(yaml.safe_dump(doc, sort_keys=False, default_flow_style=False, allow_unicode=True, width=4096))


def _placed(resources: dict[str, dict[str, Any]], asset_name: AssetName, read_text: ReadText,
            sam: bool) -> dict[str, dict[str, Any]]:
    out = {}
    for logical_id, resource in resources.items():
        if sam:
            resource = _serverless(resource, asset_name)
        out[logical_id] = _fill(resource, asset_name, read_text)
    return out


def _fill(value: Any, asset_name: AssetName, read_text: ReadText) -> Any:
    if isinstance(value, dict):
        if iac.ASSET in value:
            key = asset_name(value[iac.ASSET])
            return {"S3Bucket": {"Ref": "CodeS3Bucket"}, "S3Key": {"Fn::Sub": "${CodeS3KeyPrefix}" + key}}
        if iac.TEXT in value:
            return read_text(value[iac.TEXT])
        return {k: _fill(v, asset_name, read_text) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, asset_name, read_text) for v in value]
    return value


def _uses_s3_code(value: Any) -> bool:
    if isinstance(value, dict):
        return value.get("S3Bucket") == {"Ref": "CodeS3Bucket"} or any(_uses_s3_code(v) for v in value.values())
    if isinstance(value, list):
        return any(_uses_s3_code(v) for v in value)
    return False


# AWS::Lambda::Function properties SAM names otherwise or not at all
_SAM_RENAMED = {"TracingConfig", "DeadLetterConfig", "Tags", "Code"}


def _serverless(resource: dict[str, Any], asset_name: AssetName) -> dict[str, Any]:
    props = resource.get("Properties", {})
    kind = resource["Type"]
    if kind == "AWS::Lambda::Function" and iac.ASSET in props.get("Code", {}):
        out = {k: v for k, v in props.items() if k not in _SAM_RENAMED}
        out["CodeUri"] = f"{CODE_DIR}/{asset_name(props['Code'][iac.ASSET])}"
        if "TracingConfig" in props:
            out["Tracing"] = props["TracingConfig"]["Mode"]
        if "DeadLetterConfig" in props:
            target = props["DeadLetterConfig"]["TargetArn"]
            out["DeadLetterQueue"] = {"Type": "SQS" if ":sqs:" in str(target) else "SNS", "TargetArn": target}
        if props.get("Tags"):
            out["Tags"] = {t["Key"]: t["Value"] for t in props["Tags"]}
        return {**resource, "Type": "AWS::Serverless::Function", "Properties": out}
    if kind == "AWS::Lambda::LayerVersion" and iac.ASSET in props.get("Content", {}):
        out = {k: v for k, v in props.items() if k != "Content"}
        out["ContentUri"] = f"{CODE_DIR}/{asset_name(props['Content'][iac.ASSET])}"
        out["RetentionPolicy"] = "Retain"  # as a plain layer version: deleting the stack keeps it
        return {**resource, "Type": "AWS::Serverless::LayerVersion", "Properties": out}
    return resource
