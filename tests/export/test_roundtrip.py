"""An exported template round-trips: deployed into another region through the embedded endpoint's
CloudFormation, it brings back the estate, compared attribute by attribute with the source.

How it deploys: every resource type the Lambda-native kinds export (Function, Version, Alias,
LayerVersion, Permission, EventSourceMapping, Url, EventInvokeConfig) goes through CloudFormation
(moto's, made faithful by the embedded patch `cloudformation_lambda`). The trigger types (API Gateway
v2, Scheduler, SNS subscriptions, API Gateway stages) are not supported by moto's CloudFormation:
those templates are checked by cfn-lint in test_templates.py and are not deployed here.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from lambda_ark.aws import Aws
from lambda_ark.export import export_iac
from lambda_ark.kinds.policy import permission_args

from .conftest import DST, SRC, Estate, env_parameters, queue


def _function(aws: Aws, region: str, name: str) -> dict[str, Any]:
    lam = aws.client("lambda", region)
    got = lam.get_function(FunctionName=name)
    conf = got["Configuration"]
    layers = []
    for layer in conf.get("Layers", []):
        lv = lam.get_layer_version_by_arn(Arn=layer["Arn"])
        layers.append([layer["Arn"].split(":")[6], lv["Content"]["CodeSha256"], lv.get("Description", ""),
                       lv.get("CompatibleRuntimes"), lv.get("CompatibleArchitectures")])
    versions = [[v["Version"], v["CodeSha256"], v.get("Description", "")]
                for v in lam.list_versions_by_function(FunctionName=name)["Versions"] if v["Version"] != "$LATEST"]
    aliases = [[a["Name"], a["FunctionVersion"], a.get("Description", "")]
               for a in lam.list_aliases(FunctionName=name)["Aliases"]]
    return {
        "config": {k: conf.get(k) for k in ("Runtime", "Handler", "Description", "Timeout", "MemorySize",
                                            "TracingConfig", "Architectures", "PackageType", "CodeSha256")},
        "environment": conf.get("Environment", {}).get("Variables", {}),
        "tags": got.get("Tags", {}),
        "reserved": (got.get("Concurrency") or {}).get("ReservedConcurrentExecutions"),
        "layers": layers,
        "versions": versions,
        "aliases": aliases,
    }


def _policy(aws: Aws, region: str, name: str, qualifier: str = "") -> list[dict[str, Any]]:
    """Statements as add_permission's arguments, without the statement id (CloudFormation names its own)."""
    lam = aws.client("lambda", region)
    try:
        doc = lam.get_policy(FunctionName=name, **({"Qualifier": qualifier} if qualifier else {}))
    except lam.exceptions.ResourceNotFoundException:
        return []
    out = []
    for s in json.loads(doc["Policy"])["Statement"]:
        args = permission_args(s)
        args.pop("StatementId")
        out.append(args)
    return sorted(out, key=json.dumps)


def _wiring(aws: Aws, region: str, name: str) -> dict[str, Any]:
    lam = aws.client("lambda", region)
    mappings = [[m["EventSourceArn"], m["BatchSize"], m["State"]]
                for m in lam.list_event_source_mappings(FunctionName=name)["EventSourceMappings"]]
    urls = [[c["FunctionArn"].split(":")[-1], c["AuthType"], c.get("Cors"), c.get("InvokeMode")]
            for c in lam.list_function_url_configs(FunctionName=name)["FunctionUrlConfigs"]]
    invoke = [[c["MaximumRetryAttempts"], c.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")]
              for c in lam.list_function_event_invoke_configs(FunctionName=name)["FunctionEventInvokeConfigs"]]
    return {"mappings": mappings, "urls": urls, "invoke": invoke}


def _moved(value: Any, account: str) -> Any:
    """The source's value as it should read in the target region."""
    return json.loads(json.dumps(value).replace(f":{SRC}:", f":{DST}:").replace(f"lambda:{SRC}", f"lambda:{DST}"))


def test_a_cloudformation_export_deploys_into_another_region_as_the_estate_was(
    lambda_only: Estate, tmp_path: Path
) -> None:
    aws, account = lambda_only.aws, lambda_only.acct.id
    s3 = aws.client("s3", DST)
    bucket = f"deploy-{account}"
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": DST})
    queue(aws, DST, "orders")  # the target region's own event sources, as the template names them
    queue(aws, DST, "orders-dlq")
    result = export_iac(lambda_only.repo, lambda_only.snapshot, "cloudformation", tmp_path,
                        upload=f"s3://{bucket}/code", aws=aws)
    body = (tmp_path / result.templates[0]).read_text()
    doc = yaml.safe_load(body)
    assert {r["Type"] for r in doc["Resources"].values()} == {
        "AWS::Lambda::Function", "AWS::Lambda::Version", "AWS::Lambda::Alias", "AWS::Lambda::LayerVersion",
        "AWS::Lambda::Permission", "AWS::Lambda::EventSourceMapping", "AWS::Lambda::Url",
        "AWS::Lambda::EventInvokeConfig"}

    cfn = aws.client("cloudformation", DST)
    cfn.create_stack(StackName="restored", TemplateBody=body, Parameters=env_parameters(lambda_only.snapshot))
    assert cfn.describe_stacks(StackName="restored")["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"

    for name in ("orders", "search"):
        source, target = _function(aws, SRC, name), _function(aws, DST, name)
        assert target == _moved(source, account), name
        assert _policy(aws, DST, name) == _moved(_policy(aws, SRC, name), account)
        assert _wiring(aws, DST, name) == _moved(_wiring(aws, SRC, name), account)
    assert _policy(aws, DST, "orders", "live") == _moved(_policy(aws, SRC, "orders", "live"), account)
    assert result.notes == []  # nothing of this estate was left out
