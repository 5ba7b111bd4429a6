"""Resource policies per qualifier: $LATEST, each published version and each alias has its own.

AWS: `AddPermission`/`RemovePermission`/`GetPolicy` take a `Qualifier`; the unqualified function, a
version and an alias each carry a separate policy, and a statement added with `Qualifier=x` names
`...:function:f:x` as its resource. A newly published version starts with no policy.
moto: a published version is a shallow copy of $LATEST and shares its policy object, so statements
added to one qualifier show up in all; aliases resolve to the version they point at; a qualified
statement's resource gets the qualifier appended to an already qualified ARN (`f:1:1`);
`RemovePermission` ignores `Qualifier`, and its `RevisionId` precondition always fails (it compares
against a list).

AWS also writes AddPermission's optional members as conditions of the statement (recorded from AWS
in LocalStack's parity snapshots): `SourceAccount`, `EventSourceToken`, `FunctionUrlAuthType` and
`PrincipalOrgID` under `StringEquals` (`AWS:SourceAccount`, `lambda:EventSourceToken`,
`lambda:FunctionUrlAuthType`, `aws:PrincipalOrgID`), `SourceArn` under `ArnLike`, and
`InvokedViaFunctionUrl` as `{"Bool": {"lambda:InvokedViaFunctionUrl": "true"}}`; an account id
principal becomes `{"AWS": "arn:aws:iam::<id>:root"}`; a statement id already in the policy is
ResourceConflictException. moto keeps `FunctionUrlAuthType` and `InvokedViaFunctionUrl` as top-level
statement fields, drops `EventSourceToken`, loses `PrincipalOrgID` when `SourceAccount` is given,
leaves account principals bare, and appends a second statement with the same id.

Revision ids: GetPolicy answers the policy's `RevisionId`, and AddPermission/RemovePermission's
`RevisionId` is checked against it ("update the policy only if the revision ID matches"). A
permission change gives the policy a new id but leaves the function's (or alias's) `RevisionId`
alone, so backup cannot rely on `RevisionId` to see it; the policy's id also follows the function's
when the function itself changes (one counter until a permission moves it on).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from moto.awslambda.exceptions import LambdaClientError
from moto.awslambda.models import LambdaAlias, LambdaBackend, LambdaFunction
from moto.awslambda.policy import Policy
from moto.awslambda.responses import LambdaResponse
from moto.core.common_types import TYPE_RESPONSE

from . import revisions


@dataclass
class _Resource:
    """What moto's Policy needs of its parent: the ARN that qualifiers are appended to."""

    function_arn: str


def _split(name_or_arn: str, qualifier: str | None) -> tuple[str, str | None]:
    """Function name and qualifier from a name, `name:qualifier` or (qualified) ARN."""
    # Full and partial ARNs (`123456789012:function:f`) both carry the name after ":function:".
    tail = name_or_arn.split(":function:", 1)[-1]
    name, _, in_name = tail.partition(":")
    return name, (in_name or qualifier or None)


def holder_and_policy(backend: LambdaBackend, name_or_arn: str, qualifier: str | None) -> tuple[Any, Policy]:
    """The function version or alias a (name, qualifier) addresses, with its own policy object."""
    name, qualifier = _split(name_or_arn, qualifier)
    latest: LambdaFunction = backend.get_function(name)
    unqualified = _Resource(latest.function_arn)
    if qualifier is None or qualifier == "$LATEST":
        return latest, latest.policy
    aliases = backend._lambdas._get_function_aliases(name)
    if qualifier in aliases:
        alias: LambdaAlias = aliases[qualifier]
        if "_ark_policy" not in alias.__dict__:
            alias._ark_policy = Policy(unqualified)  # type: ignore[attr-defined,arg-type]
            alias._ark_policy.revision = revisions.revision_of(alias)  # type: ignore[attr-defined]
        return alias, alias._ark_policy  # type: ignore[attr-defined]
    version: LambdaFunction = backend.get_function(name, qualifier)  # ResourceNotFound if unknown
    own_policy(version, latest)
    return version, version.policy


def own_policy(version: LambdaFunction, latest: LambdaFunction) -> None:
    """Give a published version its own (empty) policy instead of the one it shares with $LATEST."""
    if version is latest or isinstance(version.policy.parent, _Resource):
        return
    version.policy = Policy(_Resource(latest.function_arn))  # type: ignore[arg-type]
    version.policy.revision = revisions.revision_of(version)


class StatementExists(LambdaClientError):
    code = 409

    def __init__(self, sid: str) -> None:
        super().__init__(
            "ResourceConflictException",
            f"The statement id ({sid}) provided already exists. Please provide a new statement id, "
            "or remove the existing statement.",
        )


# AddPermission members AWS writes under StringEquals, in AWS's order, with their condition keys.
_STRING_EQUALS = (
    ("SourceAccount", "AWS:SourceAccount"),
    ("EventSourceToken", "lambda:EventSourceToken"),
    ("FunctionUrlAuthType", "lambda:FunctionUrlAuthType"),
    ("PrincipalOrgID", "aws:PrincipalOrgID"),
)


def _split_conditions(raw: str) -> tuple[str, dict[str, Any]]:
    """The request without the members moto mishandles, and those members as AWS's conditions."""
    body = json.loads(raw)
    conditions: dict[str, Any] = {}
    equals = {key: body.pop(member) for member, key in _STRING_EQUALS if body.get(member) is not None}
    if equals:
        conditions["StringEquals"] = equals
    if body.pop("InvokedViaFunctionUrl", None):
        conditions["Bool"] = {"lambda:InvokedViaFunctionUrl": "true"}
    return json.dumps(body), conditions


def _aws_statement(statement: dict[str, Any], conditions: dict[str, Any]) -> dict[str, Any]:
    """moto's statement in AWS's shape and key order, with `conditions` merged in."""
    merged = {**conditions, **statement.get("Condition", {})}
    order = ("StringEquals", "ArnLike", "Bool")
    principal = statement.get("Principal", "*")
    if isinstance(principal, str) and principal.isdigit():
        principal = {"AWS": f"arn:aws:iam::{principal}:root"}
    out = {
        "Sid": statement["Sid"],
        "Effect": statement.get("Effect", "Allow"),
        "Principal": principal,
        "Action": statement["Action"],
        "Resource": statement["Resource"],
    }
    if merged:
        out["Condition"] = {k: merged[k] for k in sorted(merged, key=lambda k: (order.index(k) if k in order else 9))}
    return out


def add_permission(self: LambdaBackend, function_name: str, qualifier: str, raw: str) -> dict[str, Any]:
    holder, policy = holder_and_policy(self, function_name, qualifier)
    _, qualifier_used = _split(function_name, qualifier)
    revisions.check_policy(holder, policy, json.loads(raw).get("RevisionId"))
    sid = json.loads(raw).get("StatementId")
    if sid is not None and any(s.get("Sid") == sid for s in policy.statements):
        raise StatementExists(sid)
    request, conditions = _split_conditions(raw)
    statement, _ = policy.add_statement(request, None if qualifier_used == "$LATEST" else qualifier_used)
    shaped = _aws_statement(statement, conditions)
    policy.statements[-1] = shaped
    changed(policy)
    return shaped


def remove_permission(self: LambdaBackend, function_name: str, sid: str, revision: str = "",
                      qualifier: str | None = None) -> None:
    holder, policy = holder_and_policy(self, function_name, qualifier)
    revisions.check_policy(holder, policy, revision)
    policy.del_statement(sid)
    changed(policy)


def get_policy(self: LambdaBackend, function_name: str, qualifier: str | None = None) -> str:
    _, policy = holder_and_policy(self, function_name, qualifier)
    return policy.wire_format()


def changed(policy: Policy) -> None:
    """A permission changed: the policy has a new revision; the function's and alias's stay."""
    revisions.bump_policy(policy)


def _response_remove_permission(self: LambdaResponse) -> TYPE_RESPONSE:
    from urllib.parse import unquote

    function_name = unquote(self.path.split("/")[-3])
    statement_id = unquote(self.path.split("/")[-1].split("?")[0])
    qualifier = self.querystring.get("Qualifier", [None])[0]
    revision = self.querystring.get("RevisionId", [""])[0]
    self.backend.remove_permission(function_name, statement_id, revision, qualifier)  # type: ignore[call-arg]
    return 204, {"status": 204}, ""


def _publish_version(original: Any) -> Any:
    def publish_version(self: LambdaBackend, function_name: str, description: str = "") -> Any:
        version = original(self, function_name, description)
        if version is not None:
            own_policy(version, self.get_function(version.function_name))
        return version

    return publish_version


def apply() -> None:
    LambdaBackend.add_permission = add_permission  # type: ignore[method-assign]
    LambdaBackend.remove_permission = remove_permission  # type: ignore[method-assign]
    LambdaBackend.get_policy = get_policy  # type: ignore[method-assign]
    LambdaBackend.publish_version = _publish_version(LambdaBackend.publish_version)  # type: ignore[method-assign]
    LambdaResponse.remove_permission = _response_remove_permission  # type: ignore[method-assign]
