"""Small helpers the Lambda-native kinds' `to_iac` share (CloudFormation resource snippets).

Exported templates reference code by a `CodeBucket` parameter and an object key named after the
package's CodeSha256 (an export step uploads the bytes there), and never carry secrets: environment
variable values become SSM dynamic references the deployer fills.
"""

from __future__ import annotations

from typing import Any

CODE_BUCKET = {"Ref": "CodeBucket"}


def resource(type_: str, properties: dict[str, Any]) -> dict[str, Any]:
    return {"Type": type_, "Properties": {k: v for k, v in properties.items() if v not in (None, "", [], {})}}


def code_key(sha: str) -> str:
    """An S3 key for a package: CodeSha256 is base64 and may hold '/' and '+'."""
    return "lambda-ark/" + sha.replace("/", "_").replace("+", "-") + ".zip"


def function_name(record: dict[str, Any]) -> str:
    return str(record.get("name", "function"))


def qualified(record: dict[str, Any], qualifier: str) -> str:
    return f"{function_name(record)}:{qualifier}" if qualifier else function_name(record)
