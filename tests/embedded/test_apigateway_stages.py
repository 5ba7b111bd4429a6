"""REST API stages as AWS keeps them: redeploying into a stage keeps its settings; canaries."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError


def _api(ag: Any, name: str) -> str:
    api = ag.create_rest_api(name=name)["id"]
    root = ag.get_resources(restApiId=api)["items"][0]["id"]
    ag.put_method(restApiId=api, resourceId=root, httpMethod="GET", authorizationType="NONE")
    ag.put_integration(restApiId=api, resourceId=root, httpMethod="GET", type="MOCK")
    return str(api)


def test_create_deployment_into_an_existing_stage_keeps_its_settings(
    client: Callable[..., Any], unique: Callable[[str], str]
) -> None:
    ag = client("apigateway", "eu-south-1")
    api = _api(ag, unique("stages"))
    first = ag.create_deployment(restApiId=api, stageName="prod", stageDescription="production",
                                 description="release 1", variables={"tier": "gold"})
    stage = ag.get_stage(restApiId=api, stageName="prod")
    assert (stage["description"], stage["deploymentId"], stage["variables"]) == ("production", first["id"],
                                                                                {"tier": "gold"})
    ag.update_stage(restApiId=api, stageName="prod",
                    patchOperations=[{"op": "replace", "path": "/tracingEnabled", "value": "true"}])
    second = ag.create_deployment(restApiId=api, stageName="prod", description="release 2")
    stage = ag.get_stage(restApiId=api, stageName="prod")
    assert stage["deploymentId"] == second["id"] and stage["description"] == "production"
    assert stage["tracingEnabled"] is True and stage["variables"] == {"tier": "gold"}
    assert ag.get_deployment(restApiId=api, deploymentId=second["id"])["description"] == "release 2"


def test_canary_deployments_and_their_settings(client: Callable[..., Any], unique: Callable[[str], str]) -> None:
    ag = client("apigateway", "eu-south-1")
    api = _api(ag, unique("canary"))
    with pytest.raises(ClientError, match="BadRequest"):  # a canary needs its stage
        ag.create_deployment(restApiId=api, stageName="prod", canarySettings={"percentTraffic": 5.0})
    base = ag.create_deployment(restApiId=api, stageName="prod")["id"]
    canary = ag.create_deployment(restApiId=api, stageName="prod", canarySettings={
        "percentTraffic": 10.0, "stageVariableOverrides": {"tier": "beta"}, "useStageCache": False})["id"]
    stage = ag.get_stage(restApiId=api, stageName="prod")
    assert stage["deploymentId"] == base
    assert stage["canarySettings"] == {"percentTraffic": 10.0, "deploymentId": canary,
                                       "stageVariableOverrides": {"tier": "beta"}, "useStageCache": False}
    ag.update_stage(restApiId=api, stageName="prod", patchOperations=[
        {"op": "replace", "path": "/canarySettings/percentTraffic", "value": "25"},
        {"op": "remove", "path": "/canarySettings/stageVariableOverrides/tier"}])
    got = ag.get_stages(restApiId=api)["item"][0]["canarySettings"]
    assert (got["percentTraffic"], got["stageVariableOverrides"]) == (25.0, {})
    ag.update_stage(restApiId=api, stageName="prod", patchOperations=[{"op": "remove", "path": "/canarySettings"}])
    assert "canarySettings" not in ag.get_stage(restApiId=api, stageName="prod")
