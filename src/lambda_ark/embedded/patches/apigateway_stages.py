"""REST API stages: CreateDeployment into an existing stage, stage descriptions, canary settings.

AWS: CreateDeployment with the name of an existing stage points that stage at the new deployment and
keeps the stage's own settings (description, tracing, method settings); `stageDescription` describes
a stage it creates; `canarySettings` makes the new deployment the canary of an existing stage (its
`canarySettings.deploymentId`), leaving the stage's main deployment alone. GetStage(s) return
`canarySettings`; UpdateStage patches `/canarySettings/percentTraffic`, `/canarySettings/useStageCache`,
`/canarySettings/stageVariableOverrides/<name>`, `/canarySettings/deploymentId` and removes
`/canarySettings`.
moto: CreateDeployment replaces the stage with a new one (its description and tracing lost), ignores
`stageDescription` and `canarySettings`; stages have no canary; UpdateStage ignores canary paths.
"""

from __future__ import annotations

import json
from typing import Any

from moto.apigateway.exceptions import BadRequestException
from moto.apigateway.models import Stage
from moto.apigateway.responses import APIGatewayResponse
from moto.core.common_types import TYPE_RESPONSE

_CANARY_KEYS = ("percentTraffic", "useStageCache", "deploymentId")


def create_deployment(self: APIGatewayResponse) -> TYPE_RESPONSE:
    api_id = self.path.replace("/restapis/", "", 1).split("/")[0]
    name = self._get_param("stageName")
    variables = self._get_param("variables", if_none={})
    canary = self._get_param("canarySettings")
    api = self.backend.get_rest_api(api_id)
    existing: Stage | None = api.stages.get(name) if name else None
    if canary is not None and existing is None:
        raise BadRequestException("Invalid stage identifier specified")
    # the backend checks that methods and integrations exist; no stage name: we place it ourselves
    deployment = self.backend.create_deployment(api_id, "", self._get_param("description") or "", variables)
    deployment.stage_name = name or ""
    if existing is None and name:
        stage = Stage(name=name, deployment_id=deployment.id, variables=variables,
                      description=self._get_param("stageDescription") or "")
        api.stages[name] = stage
        api.update_integration_mocks(name)
    elif existing is not None and canary is not None:
        existing._ark_canary = {  # type: ignore[attr-defined]
            "percentTraffic": float(canary.get("percentTraffic", 0.0)),
            "useStageCache": bool(canary.get("useStageCache", False)),
            "stageVariableOverrides": dict(canary.get("stageVariableOverrides") or {}),
            "deploymentId": deployment.id,
        }
    elif existing is not None:
        existing.deployment_id = deployment.id
        existing.variables.update(variables)
    return 201, {"status": 201}, json.dumps(deployment.to_json())


def _stage_to_json(original: Any) -> Any:
    def to_json(self: Stage) -> dict[str, Any]:
        out: dict[str, Any] = original(self)
        canary = getattr(self, "_ark_canary", None)
        if canary:
            out["canarySettings"] = dict(canary)
        return out

    return to_json


def _apply_operations(original: Any) -> Any:
    def apply_operations(self: Stage, patch_operations: list[dict[str, Any]]) -> Stage:
        rest = []
        for op in patch_operations:
            path = op.get("path", "")
            if path == "/canarySettings" and op["op"] == "remove":
                self._ark_canary = None  # type: ignore[attr-defined]
            elif path.startswith("/canarySettings/"):
                _canary_op(self, op, path.removeprefix("/canarySettings/"))
            else:
                rest.append(op)
        return original(self, rest) if rest else self

    return apply_operations


def _canary_op(stage: Stage, op: dict[str, Any], field: str) -> None:
    canary = getattr(stage, "_ark_canary", None)
    if canary is None:
        raise BadRequestException("Stage has no canary settings; create a canary deployment first")
    if field.startswith("stageVariableOverrides/"):
        key = field.split("/", 1)[1]
        if op["op"] == "remove":
            canary["stageVariableOverrides"].pop(key, None)
        else:
            canary["stageVariableOverrides"][key] = op["value"]
    elif field == "percentTraffic":
        canary["percentTraffic"] = float(op["value"])
    elif field == "useStageCache":
        canary["useStageCache"] = str(op["value"]).lower() == "true"
    elif field == "deploymentId":
        canary["deploymentId"] = op["value"]
    else:
        raise BadRequestException(f"Invalid patch path /canarySettings/{field}")


def apply() -> None:
    APIGatewayResponse.create_deployment = create_deployment  # type: ignore[method-assign]
    Stage.to_json = _stage_to_json(Stage.to_json)  # type: ignore[method-assign]
    Stage.apply_operations = _apply_operations(Stage.apply_operations)  # type: ignore[method-assign]
