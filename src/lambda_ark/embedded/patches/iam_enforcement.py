"""IAM enforcement (off unless asked for): identity policies checked as AWS checks them.

moto enforces IAM once `INITIAL_NO_AUTH_ACTION_COUNT` requests have passed (POST
/moto-api/reset-auth sets the count; the default is never), but not as AWS does:
- the action is `<signing name>:<operation>`: `monitoring:PutMetricData`, `apigateway:GetRestApis`,
  `s3:ListBuckets` are not actions on AWS (cloudwatch:PutMetricData, apigateway:GET,
  s3:ListAllMyBuckets), so a correct policy is refused and a wrong one allowed;
- every statement with a Condition is an explicit Deny (no request context), so a policy scoped by
  `aws:RequestedRegion` or `s3:prefix` refuses everything;
- the resource of most calls is "*", which no statement naming ARNs matches;
- actions a call implies (iam:PassRole for CreateFunction) are not checked;
- the signature is recomputed over the parsed query parameters as if they were the body, so every
  REST call with parameters (Lambda's GetFunction, ListFunctions?MaxItems=50) fails
  SignatureDoesNotMatch: here the payload signed is the request's own body, as SigV4 defines it.

Here (the `IAMRequestBase.check_action_permitted` moto calls for every request once enforcement is
on): the call's IAM actions are AWS's (`lambda_ark.iam.actions`, checked against the Service
Authorization Reference by the tests), each must be allowed and none denied; conditions are evaluated
on `aws:RequestedRegion` (the request's signing region), `s3:prefix`, `cloudwatch:namespace`,
with StringEquals / StringLike / StringNotEquals / StringNotLike / Bool (and IfExists); Lambda
requests name the function (or version or alias) ARN, S3 requests the bucket or object, AssumeRole
the role. Other services' requests name no resource: a statement's Resource is not held against
them (kinder than AWS there; their ARN patterns are checked against the reference by parliament
instead). Trust policies stay with the sts_assume_role patch.
"""

from __future__ import annotations

import fnmatch
import json
import re
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import botocore.session
from botocore.awsrequest import AWSRequest
from moto.iam import access_control
from moto.iam.access_control import IAMPolicy, IAMRequestBase
from werkzeug.exceptions import HTTPException

from ...iam.actions import actions_for

UNKNOWN = None  # the request's resource is not known (a service whose ARNs are not computed here)
_FUNCTION = re.compile(r"^/[^/]+/functions/([^/?]+)")
_LAYER = re.compile(r"^/[^/]+/layers/([^/?]+)/versions(?:/(\d+))?")
_CREATE_FUNCTION = re.compile(r"^/[^/]+/functions/?$")
_TAGS = re.compile(r"^/[^/]+/tags/(.+)$")
_MAPPING = re.compile(r"^/[^/]+/event-source-mappings/([^/?]+)")
_SIGNING_CONFIG = re.compile(r"^/[^/]+/code-signing-configs/([^/?]+)")


@lru_cache(maxsize=1)
def _services_by_signing_name() -> dict[str, list[str]]:
    session = botocore.session.get_session()
    out: dict[str, list[str]] = {}
    for service in session.get_available_services():
        try:
            signing = session.get_service_model(service).signing_name
        except Exception:  # noqa: BLE001 - a model botocore cannot load is not one we serve
            continue
        out.setdefault(str(signing), []).append(service)
    return out


def _service(signing: str, operation: str) -> str | None:
    """The botocore service a request is for: the one under its signing name that has the operation."""
    session = botocore.session.get_session()
    for service in _services_by_signing_name().get(signing, []):
        if operation in session.get_service_model(service).operation_names:
            return service
    return None


def _lambda_resource(request: IAMRequestBase, region: str) -> str | None:
    path, _, query = request._path.partition("?")
    account = request.account_id
    if m := _TAGS.match(path):
        return unquote(m.group(1))  # ListTags / TagResource name the tagged resource's ARN
    if m := _MAPPING.match(path):
        return f"arn:aws:lambda:{region}:{account}:event-source-mapping:{unquote(m.group(1))}"
    if m := _SIGNING_CONFIG.match(path):
        return unquote(m.group(1))
    if m := _LAYER.match(path):
        version = f":{m.group(2)}" if m.group(2) else ""
        return f"arn:aws:lambda:{region}:{account}:layer:{unquote(m.group(1))}{version}"
    if _CREATE_FUNCTION.match(path) and request._method.upper() == "POST":
        try:  # CreateFunction is authorized on the function it creates
            return f"arn:aws:lambda:{region}:{account}:function:{json.loads(request._body)['FunctionName']}"
        except (ValueError, KeyError, TypeError):
            return "*"
    m = _FUNCTION.match(path)
    if m is None:
        return "*"  # a list call: AWS authorizes it on "*"
    name = unquote(m.group(1))
    qualifier: str | None = (parse_qs(query).get("Qualifier") or [""])[0] or None
    if name.startswith("arn:"):
        parts = name.split(":")
        name, qualifier = parts[6], parts[7] if len(parts) > 7 else qualifier
    elif ":" in name:
        name, qualifier = name.split(":", 1)
    return f"arn:aws:lambda:{region}:{account}:function:{name}" + (f":{qualifier}" if qualifier else "")


# S3: (method, bucket or object, subresource) -> the IAM action AWS checks (moto's own table names
# some wrongly, e.g. HeadBucket, and reads an unknown subresource such as ?object-lock as ListBucket).
_S3_BUCKET = {
    "GET": {"location": "GetBucketLocation", "object-lock": "GetBucketObjectLockConfiguration",
            "notification": "GetBucketNotification", "versions": "ListBucketVersions", "policy": "GetBucketPolicy",
            "encryption": "GetEncryptionConfiguration", "publicAccessBlock": "GetBucketPublicAccessBlock",
            "versioning": "GetBucketVersioning", "lifecycle": "GetLifecycleConfiguration", "tagging":
            "GetBucketTagging", "": "ListBucket"},
    "HEAD": {"": "ListBucket"},
    "PUT": {"object-lock": "PutBucketObjectLockConfiguration", "notification": "PutBucketNotification",
            "policy": "PutBucketPolicy", "encryption": "PutEncryptionConfiguration",
            "publicAccessBlock": "PutBucketPublicAccessBlock", "versioning": "PutBucketVersioning",
            "lifecycle": "PutLifecycleConfiguration", "tagging": "PutBucketTagging", "": "CreateBucket"},
    "DELETE": {"policy": "DeleteBucketPolicy", "": "DeleteBucket"},
    "POST": {"delete": "DeleteObject"},
}
_S3_OBJECT = {
    "GET": {"retention": "GetObjectRetention", "versionId": "GetObjectVersion", "": "GetObject"},
    "HEAD": {"versionId": "GetObjectVersion", "": "GetObject"},
    "PUT": {"retention": "PutObjectRetention", "": "PutObject"},
    "DELETE": {"versionId": "DeleteObjectVersion", "uploadId": "AbortMultipartUpload", "": "DeleteObject"},
    "POST": {"uploads": "PutObject", "uploadId": "PutObject", "": "PutObject"},
}


def _s3_actions(request: IAMRequestBase, resource: str) -> tuple[str, ...] | None:
    path, _, query = request._path.partition("?")
    if path.strip("/") == "":
        return ("s3:ListAllMyBuckets",)
    keys = set(parse_qs(query, keep_blank_values=True))
    table = _S3_OBJECT if "/" in resource.split(":::", 1)[-1] else _S3_BUCKET
    by_sub = table.get(request._method.upper())
    if by_sub is None:
        return None
    sub = next((k for k in by_sub if k and k in keys), "")
    if sub not in by_sub:
        return None
    actions = [f"s3:{by_sub[sub]}"]
    headers = {k.lower(): v for k, v in request._headers.items()}
    if actions == ["s3:PutObject"] and "x-amz-object-lock-mode" in headers:
        actions.append("s3:PutObjectRetention")  # writing an object with a retention date sets it
    return tuple(actions)


def _context(request: IAMRequestBase, region: str) -> dict[str, str]:
    ctx = {"aws:RequestedRegion": region}
    query = parse_qs(urlsplit(request._path).query)
    if "prefix" in query:
        ctx["s3:prefix"] = query["prefix"][0]
    data = request._data if isinstance(request._data, dict) else {}
    namespace = data.get("Namespace")
    if namespace is None and request._body:
        try:
            namespace = json.loads(request._body).get("Namespace")
        except (ValueError, AttributeError):
            namespace = None
    if namespace is not None:
        ctx["cloudwatch:namespace"] = namespace[0] if isinstance(namespace, list) else str(namespace)
    return ctx


def _matches(patterns: Any, value: str, *, case: bool) -> bool:
    items = patterns if isinstance(patterns, list) else [patterns]
    if case:
        return any(fnmatch.fnmatchcase(value, p) for p in items)
    return any(fnmatch.fnmatchcase(value.lower(), str(p).lower()) for p in items)


_OPERATORS = {
    "StringEquals": lambda v, p: v == p, "StringNotEquals": lambda v, p: v != p,
    "StringLike": lambda v, p: fnmatch.fnmatchcase(v, p), "StringNotLike": lambda v, p: not fnmatch.fnmatchcase(v, p),
    "Bool": lambda v, p: v.lower() == str(p).lower(),
}
_Test = Any


def _conditions_hold(conditions: dict[str, Any], ctx: dict[str, str]) -> bool:
    for operator, keys in conditions.items():
        if_exists = operator.endswith("IfExists")
        base = operator.removesuffix("IfExists")
        test: _Test = _OPERATORS.get(base)
        if test is None:
            return False  # an operator not evaluated here is not met: stricter than AWS, never kinder
        for key, wanted in keys.items():
            if key not in ctx:
                if if_exists:
                    continue
                return False
            values = wanted if isinstance(wanted, list) else [wanted]
            negated = base.startswith("StringNot")
            results = [test(ctx[key], str(w)) for w in values]
            if not (all(results) if negated else any(results)):
                return False
    return True


def _verdict(document: dict[str, Any], action: str, resource: str | None, ctx: dict[str, str]) -> str:
    """"deny", "allow" or "" (nothing said) for one action by one policy document."""
    statements = document.get("Statement", [])
    allowed = False
    for st in statements if isinstance(statements, list) else [statements]:
        if "Action" in st and not _matches(st["Action"], action, case=False):
            continue
        if "NotAction" in st and _matches(st["NotAction"], action, case=False):
            continue
        if resource is not UNKNOWN:
            if "Resource" in st and not _matches(st["Resource"], resource, case=True):
                continue
            if "NotResource" in st and _matches(st["NotResource"], resource, case=True):
                continue
        if not _conditions_hold(st.get("Condition") or {}, ctx):
            continue
        if st.get("Effect") == "Deny":
            return "deny"
        allowed = True
    return "allow" if allowed else ""


class _JsonAccessDenied(HTTPException):
    """AccessDeniedException as a JSON-protocol service (Lambda, KMS, ...) answers it."""

    code = 403

    def __init__(self, message: str) -> None:
        super().__init__(description=json.dumps({"__type": "AccessDeniedException", "Message": message}))

    def get_headers(self, *args: Any, **kwargs: Any) -> list[tuple[str, str]]:
        return [("Content-Type", "application/x-amz-json-1.1"), ("x-amzn-ErrorType", "AccessDeniedException")]


def _deny(request: IAMRequestBase, service: str, action: str, resource: str | None) -> None:
    """Refuse as AWS does: the caller, the action and the resource named; in the service's protocol."""
    protocol = botocore.session.get_session().get_service_model(service).protocol
    if protocol in ("json", "rest-json"):
        raise _JsonAccessDenied(f"User: {request._access_key.arn} is not authorized to perform: {action} on "
                                f"resource: {resource or '*'} because no identity-based policy allows the {action} "
                                "action")
    request._raise_access_denied()


_ROLE_KEYS = ("Role", "RoleArn", "roleArn", "RoleARN", "serviceRoleArn")


def _passed_role(request: IAMRequestBase) -> str | None:
    """The role ARN a request passes (Role, RoleArn, ... anywhere in its JSON body), None if unknown."""
    try:
        doc = json.loads(request._body)
    except (ValueError, TypeError):
        return UNKNOWN

    def find(node: Any) -> str | None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in _ROLE_KEYS and isinstance(value, str) and value.startswith("arn:"):
                    return value
                if (found := find(value)) is not None:
                    return found
        elif isinstance(node, list):
            for value in node:
                if (found := find(value)) is not None:
                    return found
        return None

    return find(doc)


def check_action_permitted(self: IAMRequestBase, resource: str) -> None:
    signing, _, operation = self._action.partition(":")
    if signing == "s3":
        service, s3_actions = "s3", _s3_actions(self, resource)
        if s3_actions is None:
            _original(self, resource)
            return None
        actions = s3_actions
    else:
        found = _service(signing, operation)
        if found is None:
            _original(self, resource)
            return None
        service, actions = found, actions_for(found, operation)
    if not actions:
        return None  # sts:GetCallerIdentity: no permission needed
    region = self._region
    if service == "lambda":
        resource = _lambda_resource(self, region) or "*"
    elif service not in ("s3", "sts") and resource == "*":
        resource = UNKNOWN  # type: ignore[assignment]
    ctx = _context(self, region)
    documents = [IAMPolicy(p)._policy_json for p in self._access_key.collect_policies()]
    for n, action in enumerate(actions):
        # an implied action acts on what the call names for it: iam:PassRole on the role passed
        target = resource if n == 0 else (_passed_role(self) if action == "iam:PassRole" else UNKNOWN)
        verdicts = [_verdict(d, action, target, ctx) for d in documents]
        if "deny" in verdicts or "allow" not in verdicts:
            _deny(self, service, action, target)
    if resource and self._is_assuming_role_operation(resource) and not self._check_role_trust_relationship(resource):
        self._raise_access_denied()
    return None


def _create_aws_request(self: IAMRequestBase) -> AWSRequest:
    """The request as the client signed it: method, path and query, signed headers, raw body."""
    signed = self._get_string_between("SignedHeaders=", ",", self._headers["Authorization"]).split(";")
    headers = self._create_headers_for_aws_request(signed, self._headers)
    # a form POST's body was parsed into _data (moto re-encodes it as botocore did); a GET has none
    body: Any = b"" if self._method.upper() in ("GET", "HEAD", "DELETE") else (self._body or self._data)
    request = AWSRequest(method=self._method, url=self._path, data=body, headers=headers)
    request.context["timestamp"] = headers["X-Amz-Date"]
    return request


_original: Any = None


def apply() -> None:
    global _original
    if _original is None:
        _original = access_control.IAMRequestBase.check_action_permitted
        access_control.IAMRequestBase.check_action_permitted = check_action_permitted  # type: ignore[method-assign]
        access_control.IAMRequestBase._create_aws_request = _create_aws_request  # type: ignore[method-assign]
