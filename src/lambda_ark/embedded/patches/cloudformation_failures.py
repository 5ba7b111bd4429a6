"""A resource that cannot be created fails (and rolls back) the stack, not the CreateStack request.

AWS: CreateStack answers at once with the stack id; a resource CloudFormation cannot create becomes
CREATE_FAILED with the service's error as its reason, the stack rolls back (what it created is
deleted) and ends ROLLBACK_COMPLETE, its events telling the story.
moto: creates the resources inside the CreateStack request, and the first error escapes as that
request's error, in the resource's service's format (a Lambda JSON error in CloudFormation's XML
API, which clients cannot parse).
"""

from __future__ import annotations

import contextlib
from typing import Any

from moto.cloudformation import parsing
from moto.cloudformation.models import CloudFormationBackend, Event, Stack
from moto.cloudformation.parsing import OutputMap

_FAILED = "_ark_failed_resource"


def _parse_and_create(original: Any) -> Any:
    def parse_and_create_resource(logical_id: str, resource_json: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        try:
            return original(logical_id, resource_json, *args, **kwargs)
        except Exception as exc:
            setattr(exc, _FAILED, (logical_id, str(resource_json.get("Type", ""))))
            raise

    return parse_and_create_resource


def _rollback(stack: Stack, exc: Exception) -> None:
    logical, kind = getattr(exc, _FAILED)
    reason = str(getattr(exc, "message", "") or exc)
    stack.events.append(Event(stack_id=stack.stack_id, stack_name=stack.name, logical_resource_id=logical,
                              physical_resource_id="", resource_type=kind, resource_status="CREATE_FAILED",
                              resource_status_reason=reason, resource_properties=None))
    why = f"The following resource(s) failed to create: [{logical}]. Rollback requested by user."
    stack._add_stack_event("ROLLBACK_IN_PROGRESS", why)
    with contextlib.suppress(Exception):  # what was created goes; what was not cannot fail this
        stack.resource_map.delete()
    stack.status = "ROLLBACK_COMPLETE"
    stack._add_stack_event("ROLLBACK_COMPLETE")
    # a rolled-back stack has no outputs (moto would evaluate them, creating what failed again)
    stack.output_map = OutputMap(stack.resource_map, {}, stack.stack_id)


def _create_stack(original: Any) -> Any:
    """moto creates resources when first referenced (an output, an export) or in create_resources:
    a resource failing anywhere in the request fails the stack it was registered as."""

    def create_stack(self: CloudFormationBackend, name: str, *args: Any, **kwargs: Any) -> Stack:
        try:
            return original(self, name, *args, **kwargs)  # type: ignore[no-any-return]
        except Exception as exc:
            stack = next((s for s in self.stacks.values() if s.name == name), None)
            if stack is None or not hasattr(exc, _FAILED):
                raise  # the template itself is wrong: CloudFormation refuses the request then too
            _rollback(stack, exc)
            return stack

    return create_stack


def apply() -> None:
    parsing.parse_and_create_resource = _parse_and_create(parsing.parse_and_create_resource)
    CloudFormationBackend.create_stack = _create_stack(CloudFormationBackend.create_stack)  # type: ignore[method-assign]
