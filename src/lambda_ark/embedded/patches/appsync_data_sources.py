"""AppSync data sources: Create/Get/List/Update/DeleteDataSource.

AWS (AppSync API reference, DataSource): a GraphQL API's data sources are named (unique per API)
and typed (`AWS_LAMBDA` with `lambdaConfig.lambdaFunctionArn`, `AMAZON_DYNAMODB`, `HTTP`, `NONE`,
...), with a description, a `serviceRoleArn` AppSync assumes to reach them, and
`dataSourceArn` = `arn:aws:appsync:<region>:<account>:apis/<apiId>/datasources/<name>`. An unknown
API or data source is NotFoundException; a second data source of the same name is
BadRequestException; UpdateDataSource replaces the data source's settings with those given (type
included). ListDataSources pages with `maxResults` / `nextToken`.
moto: none of these operations exists (HTTP 404).
Assumed where the reference is silent: the exact messages; `AWS_LAMBDA` without a function ARN is
BadRequestException.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

from moto.appsync import urls
from moto.appsync.exceptions import AppSyncExceptions
from moto.appsync.models import GraphqlAPI
from moto.appsync.responses import AppSyncResponse

_ATTR = "_ark_data_sources"
_FIELDS = ("description", "type", "serviceRoleArn", "dynamodbConfig", "lambdaConfig", "elasticsearchConfig",
           "openSearchServiceConfig", "httpConfig", "relationalDatabaseConfig", "eventBridgeConfig",
           "metricsConfig")


class _Error(AppSyncExceptions):
    def __init__(self, status: int, code: str, message: str) -> None:
        self.code = status
        super().__init__(code, message)
        self.description = json.dumps({"message": message})


def _store(self: AppSyncResponse) -> tuple[GraphqlAPI, dict[str, dict[str, Any]], str]:
    """The API the path names, its data sources, and the data source name in the path ("" if none)."""
    rest = self.path.split("/v1/apis/", 1)[1].split("?", 1)[0]
    api_id, _, tail = rest.partition("/datasources")
    api = self.appsync_backend.get_graphql_api(unquote(api_id))  # NotFoundException for an unknown API
    store: dict[str, dict[str, Any]] = api.__dict__.setdefault(_ATTR, {})
    return api, store, unquote(tail.strip("/"))


def _body(self: AppSyncResponse) -> dict[str, Any]:
    return json.loads(self.body or "{}")  # type: ignore[no-any-return]


def _settings(api: GraphqlAPI, name: str, body: dict[str, Any]) -> dict[str, Any]:
    if body.get("type") == "AWS_LAMBDA" and not (body.get("lambdaConfig") or {}).get("lambdaFunctionArn"):
        raise _Error(400, "BadRequestException", "A lambdaConfig with a lambdaFunctionArn is required for AWS_LAMBDA.")
    return {"dataSourceArn": f"{api.arn}/datasources/{name}", "name": name,
            **{k: body[k] for k in _FIELDS if body.get(k) is not None}}


def create_data_source(self: AppSyncResponse) -> str:
    api, store, _ = _store(self)
    body = _body(self)
    name = body.get("name", "")
    if name in store:
        raise _Error(400, "BadRequestException", f"Data source with name {name} already exists.")
    store[name] = _settings(api, name, body)
    return json.dumps({"dataSource": store[name]})


def _one(self: AppSyncResponse) -> tuple[GraphqlAPI, dict[str, dict[str, Any]], str]:
    api, store, name = _store(self)
    if name not in store:
        raise _Error(404, "NotFoundException", f"No data source found named {name}.")
    return api, store, name


def get_data_source(self: AppSyncResponse) -> str:
    _, store, name = _one(self)
    return json.dumps({"dataSource": store[name]})


def update_data_source(self: AppSyncResponse) -> str:
    api, store, name = _one(self)
    store[name] = _settings(api, name, _body(self))
    return json.dumps({"dataSource": store[name]})


def delete_data_source(self: AppSyncResponse) -> str:
    _, store, name = _one(self)
    del store[name]
    return "{}"


def list_data_sources(self: AppSyncResponse) -> str:
    _, store, _ = _store(self)
    names = sorted(store)
    start = int(self.querystring.get("nextToken", ["0"])[0] or 0)
    size = int(self.querystring.get("maxResults", ["25"])[0] or 25)
    page = names[start:start + size]
    out: dict[str, Any] = {"dataSources": [store[n] for n in page]}
    if start + size < len(names):
        out["nextToken"] = str(start + size)
    return json.dumps(out)


def apply() -> None:
    urls.url_paths["{0}/v1/apis/(?P<api_id>[^/]+)/datasources$"] = AppSyncResponse.dispatch
    urls.url_paths["{0}/v1/apis/(?P<api_id>[^/]+)/datasources/(?P<name>[^/]+)$"] = AppSyncResponse.dispatch
    for fn in (create_data_source, get_data_source, update_data_source, delete_data_source, list_data_sources):
        setattr(AppSyncResponse, fn.__name__, fn)
