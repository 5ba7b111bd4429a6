"""REST API stages and what they serve: stage → deployment (its description), stage variables,
canary settings, tracing.

A deployment is a frozen copy of the API's methods; restore cannot bring back an old copy, only make
a new one of the methods it restores. So a stage comes back pointing at a fresh deployment carrying
the recorded description, and a canary comes back with its recorded traffic share, variable
overrides and stage-cache choice on a fresh canary deployment (its old deployment's content is not
recorded: it was the API as it once was).
"""

from __future__ import annotations

from functools import partial
from typing import Any

from ..aws import call
from .apigateway_target import ApiRef, clean
from .base import Change, RestoreContext
from .common import maybe

NAME = "apigateway"
_STAGE = ("stageName", "description", "variables")
_CANARY = ("percentTraffic", "stageVariableOverrides", "useStageCache")


def capture(client: Any, api_id: str) -> list[dict[str, Any]]:
    return sorted(
        (_stage(client, api_id, s) for s in call(client, "get_stages", restApiId=api_id).get("item", [])),
        key=lambda s: s["stageName"],
    )


def _stage(client: Any, api_id: str, live: dict[str, Any]) -> dict[str, Any]:
    stage = clean(live, _STAGE)
    if live.get("tracingEnabled"):
        stage["tracingEnabled"] = True
    if live.get("canarySettings"):
        stage["canarySettings"] = clean(live["canarySettings"], _CANARY)
    if live.get("deploymentId"):
        got = maybe(client, "get_deployment", restApiId=api_id, deploymentId=live["deploymentId"])
        if got and got.get("description"):
            stage["deploymentDescription"] = got["description"]
    return stage


def plan(
    ctx: RestoreContext, client: Any, api: ApiRef, label: str, stages: list[dict[str, Any]], methods_changed: bool
) -> list[Change]:
    """Missing stages are created (deployed); existing ones are brought to the recorded settings,
    and redeployed when a method changed (a stage serves its deployment, not the live methods)."""
    live = {s["stageName"]: _stage(client, api.planned, s) for s in _live(client, api.planned)} if api.planned else {}
    out = []
    for stage in stages:
        name = stage["stageName"]
        target = f"{label} stage {name}"
        have = live.get(name)
        if have is None:
            out.append(Change(NAME, target, "create", "deployed", apply=partial(_create, client, api, stage)))
            continue
        fields = sorted(k for k in set(stage) | set(have) if stage.get(k) != have.get(k))
        if methods_changed:
            fields.append("deployment")
        if not fields:
            out.append(Change(NAME, target, "unchanged"))
            continue
        apply = partial(_update, client, api, stage, have, redeploy="deployment" in fields or
                        "deploymentDescription" in fields)
        out.append(Change(NAME, target, "update", ", ".join(fields), fields=fields, apply=apply))
    return out


def _live(client: Any, api_id: str) -> list[dict[str, Any]]:
    return list(call(client, "get_stages", restApiId=api_id).get("item", []))


def _deploy(client: Any, api_id: str, stage: dict[str, Any], **extra: Any) -> None:
    args = {"restApiId": api_id, "stageName": stage["stageName"], **extra}
    if stage.get("deploymentDescription"):
        args["description"] = stage["deploymentDescription"]
    call(client, "create_deployment", **args)


def _create(client: Any, api: ApiRef, stage: dict[str, Any]) -> None:
    api_id = api.id()
    extra: dict[str, Any] = {}
    if stage.get("variables"):
        extra["variables"] = stage["variables"]
    if stage.get("description"):
        extra["stageDescription"] = stage["description"]
    _deploy(client, api_id, stage, **extra)
    if stage.get("canarySettings"):  # a canary is a second deployment on the stage
        _deploy(client, api_id, stage, canarySettings=stage["canarySettings"])
    if stage.get("tracingEnabled"):
        _patch(client, api_id, stage["stageName"], [_replace("/tracingEnabled", "true")])


def _update(client: Any, api: ApiRef, want: dict[str, Any], have: dict[str, Any], *, redeploy: bool) -> None:
    api_id, name = api.id(), want["stageName"]
    if redeploy:  # deploy, then point the stage at it: the stage keeps its variables and settings
        args = {"description": want["deploymentDescription"]} if want.get("deploymentDescription") else {}
        deployment = call(client, "create_deployment", restApiId=api_id, **args)["id"]
        _patch(client, api_id, name, [_replace("/deploymentId", deployment)])
    ops = []
    if want.get("description", "") != have.get("description", ""):
        ops.append(_replace("/description", want.get("description", "")))
    ops += _map_ops("/variables", want.get("variables", {}), have.get("variables", {}))
    if bool(want.get("tracingEnabled")) != bool(have.get("tracingEnabled")):
        ops.append(_replace("/tracingEnabled", str(bool(want.get("tracingEnabled"))).lower()))
    canary, live_canary = want.get("canarySettings"), have.get("canarySettings")
    if canary and not live_canary:
        _deploy(client, api_id, want, canarySettings=canary)
    elif live_canary and not canary:
        ops.append({"op": "remove", "path": "/canarySettings"})
    elif canary and live_canary and canary != live_canary:
        for key in ("percentTraffic", "useStageCache"):
            if canary.get(key) != live_canary.get(key):
                ops.append(_replace(f"/canarySettings/{key}", str(canary.get(key, "")).lower()))
        ops += _map_ops(
            "/canarySettings/stageVariableOverrides",
            canary.get("stageVariableOverrides", {}),
            live_canary.get("stageVariableOverrides", {}),
        )
    if ops:
        _patch(client, api_id, name, ops)


def _replace(path: str, value: str) -> dict[str, str]:
    return {"op": "replace", "path": path, "value": value}


def _map_ops(prefix: str, want: dict[str, str], have: dict[str, str]) -> list[dict[str, str]]:
    ops = [_replace(f"{prefix}/{k}", v) for k, v in sorted(want.items()) if have.get(k) != v]
    return ops + [{"op": "remove", "path": f"{prefix}/{k}"} for k in sorted(set(have) - set(want))]


def _patch(client: Any, api_id: str, stage: str, ops: list[dict[str, str]]) -> None:
    call(client, "update_stage", restApiId=api_id, stageName=stage, patchOperations=ops)
