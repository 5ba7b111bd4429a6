"""CloudFront cache behaviours keep their Lambda@Edge and CloudFront Functions associations; ETags.

AWS: a distribution's DefaultCacheBehavior and each of its CacheBehaviors carry
`LambdaFunctionAssociations` (versioned Lambda ARNs in us-east-1, event type, IncludeBody) and
`FunctionAssociations` (CloudFront Function ARNs, event type); CreateDistribution, GetDistribution,
GetDistributionConfig and UpdateDistribution round-trip them. UpdateDistribution and
DeleteDistribution require `IfMatch` equal to the current ETag (PreconditionFailed otherwise), and
every update issues a new ETag.
moto: every cache behaviour reports `{"Quantity": 0}` for both, whatever was sent; any non-empty
IfMatch is accepted and the ETag never changes.
"""

from __future__ import annotations

from typing import Any

from moto.cloudfront.exceptions import CloudFrontException
from moto.cloudfront.models import CloudFrontBackend, DefaultCacheBehaviour, Distribution
from moto.moto_api._internal import mock_random


class PreconditionFailed(CloudFrontException):
    def __init__(self) -> None:
        super().__init__("PreconditionFailed", "The If-Match version is missing or not valid for the resource.")


def _associations(config: dict[str, Any], field: str) -> dict[str, Any]:
    items = list((config.get(field) or {}).get("Items") or [])
    return {"Quantity": len(items), "Items": items} if items else {"Quantity": 0}


def _behaviour_init(original: Any) -> Any:
    def __init__(self: DefaultCacheBehaviour, config: dict[str, Any]) -> None:
        original(self, config)
        self.lambda_function_associations = _associations(config, "LambdaFunctionAssociations")
        self.function_associations = _associations(config, "FunctionAssociations")

    return __init__


def _check_etag(backend: CloudFrontBackend, distribution_id: str, if_match: Any) -> Distribution:
    dist = backend.distributions.get(distribution_id)
    if dist is not None and if_match and if_match != dist.etag:
        raise PreconditionFailed()
    return dist  # type: ignore[return-value]


def _update_distribution(original: Any) -> Any:
    def update_distribution(self: CloudFrontBackend, dist_config: dict[str, Any], _id: str,
                            if_match: Any) -> tuple[Distribution, str, str]:
        _check_etag(self, _id, if_match)
        dist, location, _ = original(self, dist_config, _id, if_match)
        dist.etag = _new_etag()
        return dist, location, dist.etag

    return update_distribution


def _delete_distribution(original: Any) -> Any:
    def delete_distribution(self: CloudFrontBackend, distribution_id: str, if_match: Any) -> None:
        _check_etag(self, distribution_id, if_match)
        original(self, distribution_id, if_match)

    return delete_distribution


def _new_etag() -> str:
    return "E" + mock_random.get_random_hex(13).upper()


def apply() -> None:
    DefaultCacheBehaviour.__init__ = _behaviour_init(DefaultCacheBehaviour.__init__)  # type: ignore[method-assign]
    CloudFrontBackend.update_distribution = _update_distribution(CloudFrontBackend.update_distribution)  # type: ignore[method-assign]
    CloudFrontBackend.delete_distribution = _delete_distribution(CloudFrontBackend.delete_distribution)  # type: ignore[method-assign]
