"""Dependents: what names a function without invoking it through its resource policy — Step Functions
state machine definitions, other functions' environment variables and destinations.

Recorded with the function they reference (`referenced_by`), so `show` says who depends on it and a
cross-region restore can say what still points at the source. Discovery reads the region's state
machines once (ListStateMachines, DescribeStateMachine per machine); environments and destinations
come from the snapshot's own records (`link`, after every region is captured: no AWS call), so a
function in one region referenced from another is found too.

Restore rewrites a dependent only with `--rewire-dependents`, one plan line per dependent: the
dependent as it is in the target (the same one, or the same-named one in the target region when it
lived in a region being restored) gets this function's ARNs in its definition, variables or
destinations mapped; nothing else of it changes. Without the option a dependent that would need it
is reported `skipped`, saying so. A dependent restored by the same run rewrites itself (its own
restore maps what it names).
"""

from __future__ import annotations

import json
from functools import partial
from typing import Any

from ..aws import call
from ..restore.arns import FunctionId, split_arns
from .base import Change, RegionContext, RestoreContext
from .common import maybe, offered, pages, wait_updated
from .triggers import is_function_arn, lock, split_function_arn

NAME = "referenced_by"
SERVICE = "stepfunctions"
PERMISSIONS = ("states:ListStateMachines", "states:DescribeStateMachine", "states:UpdateStateMachine",
               "lambda:GetFunctionConfiguration", "lambda:UpdateFunctionConfiguration",
               "lambda:ListFunctionEventInvokeConfigs", "lambda:UpdateFunctionEventInvokeConfig")
SCOPE = "region"
ORDER_REASON = "last: a dependent is rewritten once every restored function and version exists"

_MACHINES = "referenced_by.machines"  # run cache: unqualified function ARN -> state machine entries
_SCANNED = "referenced_by.scanned"  # run cache: regions whose state machines were read


def _functions_in(text: str) -> dict[str, list[str]]:
    """Unqualified function ARN -> the ARNs (as written) of it in `text`."""
    out: dict[str, list[str]] = {}
    for arn in split_arns(text):
        if is_function_arn(arn):
            out.setdefault(split_function_arn(arn)[0], [])
            if arn not in out[split_function_arn(arn)[0]]:
                out[split_function_arn(arn)[0]].append(arn)
    return out


def discover(ctx: RegionContext) -> None:
    if offered(ctx, SERVICE):
        client = ctx.client("stepfunctions")
        found: dict[str, list[dict[str, Any]]] = {}
        for summary in pages(client, "list_state_machines", "stateMachines"):
            got = maybe(client, "describe_state_machine", stateMachineArn=summary["stateMachineArn"])
            if got is None:  # deleted since listed
                continue
            for function, arns in _functions_in(got.get("definition", "")).items():
                found.setdefault(function, []).append({
                    "type": "state_machine", "arn": summary["stateMachineArn"], "name": summary["name"],
                    "region": ctx.region, "detail": "definition", "references": sorted(arns)})
        with lock(ctx.cache):
            machines = ctx.cache.setdefault(_MACHINES, {})
            for function, entries in found.items():
                machines.setdefault(function, []).extend(entries)
    ctx.cache.setdefault(_SCANNED, set()).add(ctx.region)


def capture(ctx: RegionContext, index: Any, fn: dict[str, Any]) -> None:
    return None  # filled in by `link` once every region is captured


def link(records: list[Any], cache: dict[str, Any]) -> None:
    """Set each record's `referenced_by` from the state machines read this run and the other records'
    environments and destinations (FunctionRecord objects, changed in place)."""
    dependents: dict[str, list[dict[str, Any]]] = {}
    for rec in records:
        for entry in _names_in(rec):
            for function, arns in entry.pop("found").items():
                if function != split_function_arn(rec.arn)[0]:
                    dependents.setdefault(function, []).append({**entry, "references": sorted(arns)})
    machines: dict[str, list[dict[str, Any]]] = cache.get(_MACHINES, {})
    scanned: set[str] = cache.get(_SCANNED, set())
    for rec in records:
        mine = split_function_arn(rec.arn)[0]
        kept = [e for e in rec.items.get(NAME) or [] if e["type"] == "state_machine" and e["region"] not in scanned]
        entries = kept + machines.get(mine, []) + dependents.get(mine, [])
        entries.sort(key=lambda e: (e["type"], e["arn"], e["detail"]))
        if entries:
            rec.items[NAME] = entries
        else:
            rec.items.pop(NAME, None)


def _names_in(rec: Any) -> list[dict[str, Any]]:
    """What one record's environment and destinations name: entries with the ARNs "found"."""
    base = {"arn": rec.arn, "name": rec.name, "region": rec.region}
    out = []
    config = (rec.items.get("function") or {}).get("config") or {}
    for var, value in sorted(((config.get("Environment") or {}).get("Variables") or {}).items()):
        if found := _functions_in(str(value)):
            out.append({"type": "environment", **base, "detail": var, "found": found})
    for qualifier, conf in sorted((rec.items.get("invoke_config") or {}).items()):
        for outcome, dest in sorted(((conf or {}).get("DestinationConfig") or {}).items()):
            if found := _functions_in(str((dest or {}).get("Destination", ""))):
                out.append({"type": "destination", **base, "detail": outcome, "qualifier": qualifier,
                            "found": found})
    return out


def describe(entry: dict[str, Any]) -> str:
    """One line for `show`: 'state machine orders-flow (eu-west-1)', 'function billing (eu-west-1)
    environment ORDERS_FN'."""
    if entry["type"] == "state_machine":
        return f"state machine {entry['name']} ({entry['region']})"
    if entry["type"] == "environment":
        return f"function {entry['name']} ({entry['region']}) environment {entry['detail']}"
    of = f" of {entry['qualifier']}" if entry.get("qualifier") else ""
    return f"function {entry['name']} ({entry['region']}) destination {entry['detail']}{of}"


def plan(ctx: RestoreContext, record: dict[str, Any], data: list[dict[str, Any]]) -> list[Change]:
    mine = split_function_arn(str(record["arn"]))[0]
    return [_plan_one(ctx, mine, entry) for entry in data]


def _rewrite(ctx: RestoreContext, mine: str, text: str) -> str:
    """`text` with this function's ARNs (any qualifier) mapped to the restored function; nothing else."""
    return ctx.mapper.map_text_where(text, lambda old, new: split_function_arn(old)[0] == mine)


def _plan_one(ctx: RestoreContext, mine: str, entry: dict[str, Any]) -> Change:
    label = f"{describe(entry)} -> {mine.split(':')[6]}"
    if not any(ctx.mapper.arn(a) != a or ctx.arn_unknown(a) for a in entry["references"]):
        return Change(NAME, label, "unchanged", "names the function where it is restored")
    if entry["type"] != "state_machine":
        parts = entry["arn"].split(":")
        if FunctionId(parts[4], parts[3], parts[6]) in ctx.mapper.sources:
            return Change(NAME, label, "skipped", "restored by this run: its own restore maps what it names")
    if not ctx.rewire_dependents:
        # an environment value is a secret: say that it names the function, never what it holds
        named = "its value" if entry["type"] == "environment" else ", ".join(entry["references"])
        return Change(NAME, label, "skipped", f"still names the source function ({named}); "
                                              "--rewire-dependents rewrites it")
    where = ctx.mapper.arn(entry["arn"])
    region = where.split(":")[3]
    if entry["type"] == "state_machine":
        client = ctx.client("stepfunctions", region)
        got = maybe(client, "describe_state_machine", stateMachineArn=where)
        if got is None:
            return Change(NAME, label, "skipped", f"no state machine {entry['name']} in {region}")
        if _rewrite(ctx, mine, got["definition"]) == got["definition"] and not _pending(ctx, entry):
            return Change(NAME, label, "unchanged")
        return Change(NAME, label, "update", "definition", fields=["definition"],
                      apply=partial(_state_machine, ctx, mine, client, where))
    client = ctx.client("lambda", region)
    if maybe(client, "get_function_configuration", FunctionName=where) is None:
        return Change(NAME, label, "skipped", f"no function {entry['name']} in {region}")
    fields = _function_fields(ctx, mine, client, where, entry)
    if not fields and not _pending(ctx, entry):
        return Change(NAME, label, "unchanged")
    return Change(NAME, label, "update", ", ".join(fields), fields=fields,
                  apply=partial(_function, ctx, mine, client, where, entry))


def _pending(ctx: RestoreContext, entry: dict[str, Any]) -> bool:
    return any(ctx.arn_unknown(a) for a in entry["references"])


def _state_machine(ctx: RestoreContext, mine: str, client: Any, arn: str) -> None:
    definition = call(client, "describe_state_machine", stateMachineArn=arn)["definition"]
    call(client, "update_state_machine", stateMachineArn=arn, definition=_rewrite(ctx, mine, definition))


def _function_fields(ctx: RestoreContext, mine: str, client: Any, where: str, entry: dict[str, Any]) -> list[str]:
    """Names (never values) of what would change in the dependent function."""
    if entry["type"] == "environment":
        config = call(client, "get_function_configuration", FunctionName=where)
        value = ((config.get("Environment") or {}).get("Variables") or {}).get(entry["detail"])
        return [entry["detail"]] if value is not None and _rewrite(ctx, mine, value) != value else []
    conf = _invoke_config(client, where, entry)
    text = json.dumps((conf or {}).get("DestinationConfig") or {})
    return [entry["detail"]] if conf is not None and _rewrite(ctx, mine, text) != text else []


def _invoke_config(client: Any, where: str, entry: dict[str, Any]) -> dict[str, Any] | None:
    qualifier = entry.get("qualifier", "")
    args = {"FunctionName": where, **({"Qualifier": qualifier} if qualifier else {})}
    return maybe(client, "get_function_event_invoke_config", **args)


def _function(ctx: RestoreContext, mine: str, client: Any, where: str, entry: dict[str, Any]) -> None:
    if entry["type"] == "environment":
        config = call(client, "get_function_configuration", FunctionName=where)
        variables = dict((config.get("Environment") or {}).get("Variables") or {})
        if entry["detail"] in variables:
            variables[entry["detail"]] = _rewrite(ctx, mine, variables[entry["detail"]])
            call(client, "update_function_configuration", FunctionName=where, Environment={"Variables": variables})
            wait_updated(client, where)
        return
    conf = _invoke_config(client, where, entry)
    if conf is None:
        return
    qualifier = entry.get("qualifier", "")
    destinations = json.loads(_rewrite(ctx, mine, json.dumps(conf.get("DestinationConfig") or {})))
    call(client, "update_function_event_invoke_config", FunctionName=where, DestinationConfig=destinations,
         **({"Qualifier": qualifier} if qualifier else {}))
