"""The function's execution role (optional: only when the backup includes roles).

Recorded: trust policy, inline policies, attached managed policy ARNs (and, for customer managed
ones, the default version's document so a fresh account can get them back), permissions boundary,
description, session duration, tags. Restore never edits an existing role: if the mapped role
exists it is left alone (someone owns it); otherwise it is created, policies put and attached,
before the function that needs it.
"""

from __future__ import annotations

import json
from typing import Any

from ..aws import call
from . import iac
from .base import Change, RegionContext, RestoreContext
from .common import NOT_FOUND, maybe, memo, pages

NAME = "role"
SERVICE = "iam"
PERMISSIONS = (
    "iam:GetRole",
    "iam:ListRolePolicies",
    "iam:GetRolePolicy",
    "iam:ListAttachedRolePolicies",
    "iam:GetPolicy",
    "iam:GetPolicyVersion",
    "iam:CreateRole",
    "iam:PutRolePolicy",
    "iam:AttachRolePolicy",
    "iam:CreatePolicy",
    "iam:TagRole",
)
SCOPE = "function"
ORDER_REASON = "first: creating a function needs its execution role to exist"

_MISSING = NOT_FOUND["iam"]


def discover(ctx: RegionContext) -> None:
    return None


def role_name(arn: str) -> tuple[str, str]:
    """arn:aws:iam::123:role/path/to/name -> ("/path/to/", "name")."""
    resource = arn.split(":", 5)[5].removeprefix("role")
    path, _, name = resource.rpartition("/")
    return path + "/", name


def capture(ctx: RegionContext, index: Any, fn: dict[str, Any]) -> dict[str, Any] | None:
    if not ctx.cache.get("include_roles"):
        return None
    arn = str(fn["Role"])
    return memo(ctx.cache, ("role", arn), lambda: _read_role(ctx, arn))  # a shared role is read once


def _read_role(ctx: RegionContext, arn: str) -> dict[str, Any] | None:
    iam = ctx.client("iam")
    _, name = role_name(arn)
    got = maybe(iam, "get_role", missing=_MISSING, RoleName=name)
    if got is None:
        ctx.warnings.append(f"{NAME}: execution role {arn} does not exist; functions using it cannot run")
        return None
    role = got["Role"]
    inline = {
        p: call(iam, "get_role_policy", RoleName=name, PolicyName=p)["PolicyDocument"]
        for p in pages(iam, "list_role_policies", "PolicyNames", RoleName=name)
    }
    attached = pages(iam, "list_attached_role_policies", "AttachedPolicies", RoleName=name)
    managed = sorted(p["PolicyArn"] for p in attached)
    return {
        "arn": arn,
        "name": name,
        "path": role.get("Path", "/"),
        "description": role.get("Description", ""),
        "max_session_duration": role.get("MaxSessionDuration", 3600),
        "trust_policy": _document(role["AssumeRolePolicyDocument"]),
        "permissions_boundary": role.get("PermissionsBoundary", {}).get("PermissionsBoundaryArn"),
        "tags": role.get("Tags", []),
        "inline": {k: _document(v) for k, v in sorted(inline.items())},
        "managed": managed,
        "customer_managed": {p: _customer_policy(iam, p) for p in managed if p.split(":")[4] != "aws"},
    }


def _document(doc: Any) -> Any:
    """botocore decodes IAM policy documents to dicts; other clients hand over URL-decoded JSON text."""
    return json.loads(doc) if isinstance(doc, str) else doc


def _customer_policy(iam: Any, arn: str) -> dict[str, Any]:
    policy = call(iam, "get_policy", PolicyArn=arn)["Policy"]
    version = call(iam, "get_policy_version", PolicyArn=arn, VersionId=policy["DefaultVersionId"])["PolicyVersion"]
    return {
        "name": policy["PolicyName"],
        "path": policy.get("Path", "/"),
        "description": policy.get("Description", ""),
        "document": _document(version["Document"]),
    }


def plan(ctx: RestoreContext, record: dict[str, Any], data: dict[str, Any]) -> list[Change]:
    target = ctx.mapper.arn(data["arn"])
    seen = ctx.shared(NAME)  # roles shared by functions: planned (and created) once
    if target in seen:
        return [Change(NAME, target, "unchanged", f"{seen[target]} for another function")]
    iam = ctx.client("iam", ctx.target_region(record))
    path, name = role_name(target)
    if maybe(iam, "get_role", missing=_MISSING, RoleName=name) is not None:
        seen[target] = "exists"
        return [Change(NAME, target, "unchanged", "exists (left as it is)")]
    changes = [
        c for arn, p in sorted(data.get("customer_managed", {}).items()) if (c := _plan_policy(ctx, iam, arn, p))
    ]
    seen[target] = "created"
    detail = f"{len(data['inline'])} inline, {len(data['managed'])} attached policies"
    changes.append(Change(NAME, target, "create", detail, apply=lambda: _create_role(ctx, iam, path, name, data)))
    return changes


def _create_role(ctx: RestoreContext, iam: Any, path: str, name: str, data: dict[str, Any]) -> None:
    args: dict[str, Any] = {
        "RoleName": name,
        "Path": path,
        "MaxSessionDuration": data["max_session_duration"],
        "AssumeRolePolicyDocument": json.dumps(ctx.mapper.map_obj(data["trust_policy"])),
    }
    if data["description"]:
        args["Description"] = data["description"]
    if data.get("permissions_boundary"):
        args["PermissionsBoundary"] = ctx.mapper.arn(data["permissions_boundary"])
    tags = [*data.get("tags", []), *({"Key": k, "Value": v} for k, v in ctx.drill_tags().items())]
    if tags:
        args["Tags"] = tags
    call(iam, "create_role", **args)
    for policy, document in data["inline"].items():
        call(
            iam,
            "put_role_policy",
            RoleName=name,
            PolicyName=policy,
            PolicyDocument=json.dumps(ctx.mapper.map_obj(document)),
        )
    for arn in data["managed"]:
        call(iam, "attach_role_policy", RoleName=name, PolicyArn=ctx.mapper.arn(arn))


def _plan_policy(ctx: RestoreContext, iam: Any, arn: str, policy: dict[str, Any]) -> Change | None:
    """A customer managed policy the target account lacks is created from its recorded document."""
    target = ctx.mapper.arn(arn)
    seen = ctx.shared(NAME)
    if f"policy {target}" in seen or maybe(iam, "get_policy", missing=_MISSING, PolicyArn=target) is not None:
        return None
    seen[f"policy {target}"] = "created"

    def create() -> None:
        args = {
            "PolicyName": policy["name"],
            "Path": policy["path"],
            "PolicyDocument": json.dumps(ctx.mapper.map_obj(policy["document"])),
        }
        extra: dict[str, Any] = {"Description": policy["description"]} if policy["description"] else {}
        if ctx.isolated:
            extra["Tags"] = [{"Key": k, "Value": v} for k, v in ctx.drill_tags().items()]
        call(iam, "create_policy", **args, **extra)

    return Change(NAME, target, "create", "customer managed policy", apply=create)


def to_iac(record: dict[str, Any], data: dict[str, Any]) -> iac.Fragment:
    """The role and the customer managed policies it uses (IAM names are global: a second region's
    template declaring the same role is refused by CloudFormation; deploy roles once)."""
    frag = iac.Fragment()
    rid = iac.logical("Role", data["name"])
    for arn, p in sorted(data.get("customer_managed", {}).items()):
        pid = iac.logical("Policy", p["name"])
        frag.add(pid, "AWS::IAM::ManagedPolicy", {"ManagedPolicyName": p["name"], "Path": p["path"],
                                                  "Description": p.get("description"), "PolicyDocument": p["document"]})
        frag.arns[arn] = f"${{{pid}}}"  # Ref of a managed policy is its ARN
    frag.add(rid, "AWS::IAM::Role", {
        "RoleName": data["name"],
        "Path": data["path"],
        "Description": data.get("description"),
        "AssumeRolePolicyDocument": data["trust_policy"],
        "ManagedPolicyArns": data["managed"],
        "MaxSessionDuration": data["max_session_duration"],
        "PermissionsBoundary": data.get("permissions_boundary"),
        "Policies": [{"PolicyName": k, "PolicyDocument": v} for k, v in data["inline"].items()],
        "Tags": data.get("tags"),
    })
    frag.arns[data["arn"]] = f"${{{rid}.Arn}}"
    return frag
