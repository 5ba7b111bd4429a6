"""What the kinds' `to_iac` return: fragments of a CloudFormation template, assembled by `export`.

`to_iac(record, data) -> Fragment` describes what one kind recorded for one function as CloudFormation
resources (the exporter's one intermediate form: SAM and Terraform are rendered from it). A fragment
never carries secrets or a package's bytes:

- environment values become NoEcho **parameters** (`Ref`), which the deployer fills;
- code is an **asset** placeholder, `{"LambdaArk::Asset": <snapshot file key>}` (and
  `{"LambdaArk::Text": key}` for code CloudFormation takes inline), which each format resolves
  (S3Bucket/S3Key parameters, SAM's CodeUri, Terraform's filename and source_code_hash);
- ARNs are written as the source had them and listed in **arns** when the fragment defines the
  thing they name (a function, version, alias, layer version, API, rule, bucket...): the exporter
  rewrites every ARN in the template into a Ref/GetAtt of the resource that now stands for it, and
  the source's region, account and partition in any other ARN into the pseudo parameters, so the
  template deploys into another region or account as is;
- **patches** are properties of another kind's resource (reserved concurrency and recursion on the
  function, provisioned concurrency on an alias, tags on a mapping), merged in by the exporter;
- **notes** say what could not be expressed, and why.

Logical ids come from the helpers below, so kinds that refer to each other's resources agree.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

ASSET = "LambdaArk::Asset"  # {ASSET: file key}: a package (zip) the template deploys from
TEXT = "LambdaArk::Text"  # {TEXT: file key}: code CloudFormation takes inline (CloudFront Functions)


@dataclass
class Fragment:
    resources: dict[str, dict[str, Any]] = field(default_factory=dict)
    parameters: dict[str, dict[str, Any]] = field(default_factory=dict)
    arns: dict[str, str] = field(default_factory=dict)  # source ARN (or ARN prefix) -> Fn::Sub text for it
    patches: dict[str, dict[str, Any]] = field(default_factory=dict)  # logical id -> properties to merge in
    outputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def add(self, logical_id: str, type_: str, properties: dict[str, Any],
            depends_on: list[str] | None = None) -> dict[str, Any]:
        resource: dict[str, Any] = {"Type": type_, "Properties": clean(properties)}
        if depends_on:
            resource["DependsOn"] = sorted(set(depends_on))
        self.resources[logical_id] = resource
        return resource

    def extend(self, other: Fragment) -> None:
        self.resources.update(other.resources)
        self.parameters.update(other.parameters)
        self.arns.update(other.arns)
        for key, props in other.patches.items():
            self.patches.setdefault(key, {}).update(props)
        self.outputs.update(other.outputs)
        self.notes.extend(other.notes)


def clean(properties: dict[str, Any]) -> dict[str, Any]:
    """Properties without empty values (CloudFormation rejects some empty ones, e.g. Description "")."""
    return {k: v for k, v in properties.items() if v not in (None, "", [], {})}


def logical(*parts: str) -> str:
    """A logical id (letters and digits) for these parts: readable, stable, and distinct for distinct
    parts (a short hash of the parts is added whenever spelling them out lost characters)."""
    words = [w for p in parts for w in re.split(r"[^A-Za-z0-9]+", p) if w]
    base = "".join(w[:1].upper() + w[1:] for w in words)[:200]
    if all(re.fullmatch(r"[A-Za-z0-9]+", p) for p in parts):
        return base
    return base + hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:6]


def short(text: str) -> str:
    """Eight hex characters standing for a long value (an ARN) inside a logical id."""
    return hashlib.sha256(text.encode()).hexdigest()[:8]


def asset(key: str) -> dict[str, str]:
    return {ASSET: key}


def text(key: str) -> dict[str, str]:
    return {TEXT: key}


def function_name(record: dict[str, Any]) -> str:
    return str(record.get("name", "function"))


def function_id(record: dict[str, Any]) -> str:
    return logical("Fn", function_name(record))


def version_id(record: dict[str, Any], version: str) -> str:
    return logical("Fn", function_name(record), "Version", version)


def alias_id(record: dict[str, Any], alias: str) -> str:
    return logical("Fn", function_name(record), "Alias", alias)


def exported_versions(record: dict[str, Any]) -> set[str]:
    """The recorded versions a template can publish (see versions.to_iac): those whose code and
    configuration equal the function's own, since CloudFormation publishes from the function."""
    fn = (record.get("items") or {}).get("function") or {}

    def settings(config: dict[str, Any]) -> dict[str, Any]:  # a version's Description is its own
        return {k: v for k, v in config.items() if k != "Description"}

    return {
        str(v["version"])
        for v in (record.get("items") or {}).get("versions") or []
        if v.get("code_sha256") == fn.get("code_sha256") and settings(v.get("config") or {}) == settings(
            fn.get("config") or {})
    }


def exported_aliases(record: dict[str, Any]) -> set[str]:
    """The recorded aliases a template can declare: those pointing at $LATEST or an exported version."""
    versions = exported_versions(record) | {"$LATEST"}
    return {str(a["name"]) for a in (record.get("items") or {}).get("aliases") or []
            if a["function_version"] in versions}


def qualifier_ref(record: dict[str, Any], qualifier: str) -> Any:
    """What FunctionName should be for the function or one of its qualifiers: a Ref of the function
    (its name), alias or version (their ARNs); None for a version the template cannot publish."""
    if not qualifier or qualifier == "$LATEST":
        return {"Ref": function_id(record)}
    if qualifier.isdigit():
        return {"Ref": version_id(record, qualifier)} if qualifier in exported_versions(record) else None
    return {"Ref": alias_id(record, qualifier)} if qualifier in exported_aliases(record) else None


def version_value(record: dict[str, Any], version: str) -> Any:
    """An alias's FunctionVersion: "$LATEST", the exported version's number, or None."""
    if version == "$LATEST":
        return version
    if version in exported_versions(record):
        return {"Fn::GetAtt": [version_id(record, version), "Version"]}
    return None


def tag_list(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in sorted(tags.items())]
