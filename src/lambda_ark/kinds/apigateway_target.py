"""What restoring REST and HTTP APIs shares: finding or creating the target API, and its grants.

Finding an API: an API lambda-ark created carries a tag naming its source (account/region/id), so a
second restore finds it again; failing that, the source API itself (same id and name: an in-place
restore), then the only API with the same name. Within one restore the answer is remembered, so an
API shared by many functions is created once; an API this restore creates has its id only once the
plan is applied (`ApiRef.id()`).

Grants are exact: where the API keeps its id, the policy kind restores the source's statements as
they are. Where the API gets a new id, the source's statement that let the old id invoke this route
is restored with the new id (same statement id); a route the source never granted stays ungranted,
as it was, unless `--fix-permissions`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import partial
from typing import Any

from ..aws import call
from .base import DRILL_TAG, Change, RestoreContext
from .common import pages
from .policy import NAME as POLICY
from .policy import permission_args
from .triggers import ensure_permission, grants, split_function_arn, statements

SOURCE_TAG = "lambda-ark:source"
_PRINCIPAL = "apigateway.amazonaws.com"


def clean(d: dict[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    """The named fields that carry a value: AWS omits empty ones where moto returns {} or []."""
    return {k: _no_nulls(d[k]) for k in fields if d.get(k) not in (None, {}, [], "")}


def _no_nulls(value: Any) -> Any:
    """API Gateway reads an empty template back as null but accepts only strings: make it "" again."""
    if isinstance(value, dict):
        return {k: "" if v is None else _no_nulls(v) for k, v in value.items()}
    return value


@dataclass(frozen=True)
class ApiShape:
    """Where REST (apigateway) and HTTP (apigatewayv2) APIs keep the same facts under other names."""

    kind: str  # the kind NAME whose shared state remembers found APIs
    list_op: str
    list_key: str
    create_op: str
    id_key: str
    name_key: str
    tags_key: str


REST = ApiShape("apigateway", "get_rest_apis", "items", "create_rest_api", "id", "name", "tags")
HTTP = ApiShape("apigatewayv2", "get_apis", "Items", "create_api", "ApiId", "Name", "Tags")


@dataclass
class ApiRef:
    """The target API standing for one source API."""

    old_id: str
    region: str
    planned: str  # its id when planned; "" if this restore creates it
    _known: dict[tuple[str, str], str]
    _key: tuple[str, str]

    def id(self) -> str:
        """The target API's id; after a planned create has applied, the new one."""
        return self._known[self._key]

    @property
    def moved(self) -> bool:
        return self.planned != self.old_id


def pick_api(apis: list[dict[str, Any]], source: str, old_id: str, name: str, shape: ApiShape,
             drill: str | None = None) -> dict[str, Any] | None:
    """The target API that stands for the source API, or None (see the module docstring). A drill
    uses only a copy of its own, never the source API or anyone else's."""
    if drill is not None:
        return next((a for a in apis if (a.get(shape.tags_key) or {}).get(SOURCE_TAG) == source
                     and (a.get(shape.tags_key) or {}).get(DRILL_TAG) == drill), None)
    for candidates in (
        [a for a in apis if (a.get(shape.tags_key) or {}).get(SOURCE_TAG) == source],
        [a for a in apis if str(a[shape.id_key]) == old_id and str(a[shape.name_key]) == name],
    ):
        if candidates:
            return candidates[0]
    same_name = [a for a in apis if str(a[shape.name_key]) == name]
    return same_name[0] if len(same_name) == 1 else None


def source_key(record: dict[str, Any], old_id: str) -> str:
    return f"{record['account']}/{record['region']}/{old_id}"


def find_or_create_api(
    ctx: RestoreContext, client: Any, record: dict[str, Any], entry: dict[str, Any], shape: ApiShape, label: str
) -> tuple[ApiRef, Change | None]:
    """The target API for `entry` (a Change the first time this restore meets it)."""
    region = client.meta.region_name
    known: dict[tuple[str, str], str] = ctx.shared(shape.kind).setdefault("apis", {})
    source = source_key(record, entry["id"])
    key = (region, source)
    if key in known:
        return ApiRef(entry["id"], region, known[key], known, key), None
    api = entry["api"]
    found = pick_api(
        list(pages(client, shape.list_op, shape.list_key)), source, entry["id"], api[shape.name_key], shape, ctx.drill
    )
    if found is not None:
        known[key] = str(found[shape.id_key])
        return ApiRef(entry["id"], region, known[key], known, key), Change(
            shape.kind, label, "unchanged", f"is API {known[key]}"
        )
    known[key] = ""

    def create() -> str:
        args = {k: v for k, v in api.items() if k != shape.tags_key}
        tags = {**api.get(shape.tags_key, {}), SOURCE_TAG: source, **ctx.drill_tags()}
        known[key] = str(call(client, shape.create_op, **args, **{shape.tags_key: tags})[shape.id_key])
        return f"API {known[key]} from API {entry['id']}"

    ref = ApiRef(entry["id"], region, "", known, key)
    return ref, Change(shape.kind, label, "create", f"from API {entry['id']}", apply=create)


def statement_id(api_id: str, route: str) -> str:
    """Deterministic, so a second restore finds the statement the first one added."""
    return f"lambda-ark-{api_id}-{hashlib.sha256(route.encode()).hexdigest()[:10]}"


def execute_arn(
    region: str, account: str, api_id: str, verb: str, path: str, stage: str = "*", partition: str = "aws"
) -> str:
    """The SourceArn API Gateway invokes with for a route ("ANY" and "$default"-style verbs: *)."""
    verb = "*" if verb in ("ANY", "*") else verb
    return f"arn:{partition}:execute-api:{region}:{account}:{api_id}/{stage}/{verb}{path}"


def plan_grant(
    ctx: RestoreContext,
    kind: str,
    record: dict[str, Any],
    api: ApiRef,
    function_arn: str,
    verb: str,
    path: str,
    stage: str,
) -> Change | None:
    """The invoke permission the target API needs on the restored function (see the module docs)."""
    if not api.moved:
        return None  # same API id: the policy kind restores the source's statements as they were
    _, qualifier = split_function_arn(function_arn)
    partition = str(record["arn"]).split(":")[1]
    old_source = execute_arn(record["region"], record["account"], api.old_id, verb, path, stage, partition)
    statements = ((record.get("items") or {}).get(POLICY) or {}).get(qualifier or "", [])
    granted = next((s for s in statements if grants(s, _PRINCIPAL, old_source)), None)
    fn_label = f"{ctx.mapper.arn(function_arn)}"
    if granted is None and not ctx.fix_permissions:
        ctx.warn(
            f"{kind}: the source did not let API {api.old_id} invoke {function_arn} for {verb} {path}, so the "
            "restored API may not either (the trigger would not fire, as before); --fix-permissions adds it"
        )
        return None
    if granted is None:
        apply = partial(_fix, ctx, kind, api, function_arn, verb, path)
        return Change(kind, f"{fn_label} invoke permission", "create", f"--fix-permissions: {verb} {path}",
                      apply=apply)
    if api.planned and _holds(ctx, function_arn, granted, api.old_id, api.planned):
        return Change(kind, f"{fn_label} {granted['Sid']}", "unchanged", f"API {api.planned} may invoke")
    return Change(
        kind,
        f"{fn_label} {granted['Sid']}",
        "create",
        f"the source's permission, for the API's new id ({verb} {path})",
        apply=partial(_regrant, ctx, function_arn, granted, api),
    )


def _with_api(ctx: RestoreContext, statement: dict[str, Any], old_id: str, new_id: str) -> dict[str, Any]:
    """The source statement's add_permission arguments, mapped, naming the new API id."""
    args: dict[str, Any] = ctx.mapper.map_obj(permission_args(statement))
    if "SourceArn" in args:
        args["SourceArn"] = args["SourceArn"].replace(f":{old_id}/", f":{new_id}/")
    for key in ("SourceAccount", "Principal"):
        if isinstance(args.get(key), str) and args[key].isdigit():
            args[key] = ctx.mapper.account(args[key])
    return args


def _holds(ctx: RestoreContext, function_arn: str, statement: dict[str, Any], old_id: str, new_id: str) -> bool:
    """Whether the target function already has the statement (a second restore)."""
    target = ctx.mapper.arn(function_arn)
    if ctx.arn_unknown(function_arn):
        return False
    want = _with_api(ctx, statement, old_id, new_id)
    have = {s.get("Sid"): permission_args(s) for s in statements(ctx.client("lambda", target.split(":")[3]), target)}
    return have.get(want["StatementId"]) == want


def _regrant(ctx: RestoreContext, function_arn: str, statement: dict[str, Any], api: ApiRef) -> str | None:
    target = ctx.mapper.arn(function_arn)  # now: a republished version has its number
    new_id = api.id()
    if _holds(ctx, function_arn, statement, api.old_id, new_id):
        return None
    unqualified, qualifier = split_function_arn(target)
    client = ctx.client("lambda", target.split(":")[3])
    call(client, "add_permission", FunctionName=unqualified, **({"Qualifier": qualifier} if qualifier else {}),
         **_with_api(ctx, statement, api.old_id, new_id))
    return f"API {new_id} may invoke"


def _fix(ctx: RestoreContext, kind: str, api: ApiRef, function_arn: str, verb: str, path: str) -> str:
    target = ctx.mapper.arn(function_arn)
    new_id = api.id()
    account = target.split(":")[4]
    source = execute_arn(api.region, account, new_id, verb, path, partition=target.split(":")[1])
    return ensure_permission(ctx, target, _PRINCIPAL, source, statement_id(new_id, f"{verb} {path}"))
