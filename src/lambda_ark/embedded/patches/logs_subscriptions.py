"""CloudWatch Logs subscription filters: every member kept, and Lambda destinations must let Logs in.

AWS (PutSubscriptionFilter API reference): a filter keeps `filterPattern`, `destinationArn`,
`roleArn`, `distribution` (`ByLogStream` by default, or `Random`), `applyOnTransformedLogs`,
`fieldSelectionCriteria` and `emitSystemFields`, and DescribeSubscriptionFilters reports them. A
Lambda destination must allow `logs.amazonaws.com` (or the regional `logs.<region>.amazonaws.com`)
to invoke it from the log group (`arn:aws:logs:<region>:<account>:log-group:<name>:*`), else the
call fails with InvalidParameterException "Could not execute the lambda function. Make sure you
have given CloudWatch Logs permission to execute your function." (the message AWS users report).
moto: drops `distribution` (always reports `ByLogStream`) and the three newer members, and checks
only that the function exists.
"""

from __future__ import annotations

from typing import Any

from moto.logs.exceptions import InvalidParameterException
from moto.logs.models import LogsBackend, SubscriptionFilter
from moto.logs.responses import LogsResponse

from ..permissions import allows

_EXTRA = ("distribution", "applyOnTransformedLogs", "fieldSelectionCriteria", "emitSystemFields")
_ATTR = "_ark_extra"
_NO_PERMISSION = (
    "Could not execute the lambda function. Make sure you have given CloudWatch Logs permission to execute "
    "your function."
)


def _put_subscription_filter(original: Any) -> Any:
    def put_subscription_filter(self: LogsResponse) -> str:
        name, destination = self._get_param("logGroupName"), self._get_param("destinationArn") or ""
        if name in self.logs_backend.groups and destination.split(":")[2:3] == ["lambda"]:
            backend: LogsBackend = self.logs_backend
            source = f"arn:aws:logs:{backend.region_name}:{backend.account_id}:log-group:{name}:*"
            principals = ("logs.amazonaws.com", f"logs.{backend.region_name}.amazonaws.com")
            if not allows(backend.account_id, backend.region_name, destination, principals, source,
                          backend.account_id):
                raise InvalidParameterException(msg=_NO_PERMISSION)
        result: str = original(self)
        group = self.logs_backend.groups[name]
        subscription = group.subscription_filters[self._get_param("filterName")]
        extra = {k: self._get_param(k) for k in _EXTRA if self._get_param(k) is not None}
        setattr(subscription, _ATTR, {"distribution": "ByLogStream", **extra})
        return result

    return put_subscription_filter


def _to_json(original: Any) -> Any:
    def to_json(self: SubscriptionFilter) -> dict[str, Any]:
        out: dict[str, Any] = original(self)
        out.update(self.__dict__.get(_ATTR, {}))
        if not out.get("roleArn"):
            out.pop("roleArn", None)
        return out

    return to_json


def apply() -> None:
    LogsResponse.put_subscription_filter = _put_subscription_filter(  # type: ignore[method-assign]
        LogsResponse.put_subscription_filter
    )
    SubscriptionFilter.to_json = _to_json(SubscriptionFilter.to_json)  # type: ignore[method-assign]
