"""Fitting what a service described to what one of its write operations takes, by the client's model.

Describe calls return read-only fields (ARNs, states, timestamps) beside the settings, and an update
operation often takes fewer members than its create (UpdatePipe's source parameters). Deciding by
botocore's model rather than by a hand-written list means a setting AWS adds later is carried as
soon as botocore knows it, and nothing a write would refuse is sent.
"""

from __future__ import annotations

from typing import Any


def fit(value: Any, shape: Any) -> Any:
    """`value` with every structure member `shape` does not have dropped, recursively; None values too."""
    if shape is None:
        return value
    if shape.type_name == "structure" and isinstance(value, dict):
        return {k: fit(v, shape.members[k]) for k, v in value.items() if k in shape.members and v is not None}
    if shape.type_name == "list" and isinstance(value, list):
        return [fit(v, shape.member) for v in value]
    if shape.type_name == "map" and isinstance(value, dict):
        return {k: fit(v, shape.value) for k, v in value.items()}
    return value


def input_of(client: Any, operation: str, value: dict[str, Any], *, drop: tuple[str, ...] = ()) -> dict[str, Any]:
    """The members of `value` that `operation` (its botocore name, e.g. "UpdatePipe") takes."""
    shape = client.meta.service_model.operation_model(operation).input_shape
    out: dict[str, Any] = fit({k: v for k, v in value.items() if k not in drop}, shape)
    return out
