"""Change sets run as AWS runs them: outputs shown afterwards, a failing resource a failed stack.

AWS: DescribeStacks lists a stack's Outputs (their values resolved) once it is CREATE_COMPLETE or
UPDATE_COMPLETE, however it was created. ExecuteChangeSet answers at once; a resource that cannot
be created fails the stack (CREATE_FAILED event with the service's reason), which rolls back:
ROLLBACK_COMPLETE for a new stack, UPDATE_ROLLBACK_COMPLETE for an update.
moto: a stack created by a CREATE change set evaluates its outputs when the empty stack is made
(REVIEW_IN_PROGRESS, before any resource exists) and never again, so it has none; an update keeps
the old ones; and a resource's error escapes as ExecuteChangeSet's own error, in the resource's
service's format (JSON in CloudFormation's XML API, which clients cannot parse).
"""

from __future__ import annotations

from typing import Any

from moto.cloudformation.models import CloudFormationBackend, Event, Stack

from .cloudformation_failures import _FAILED, _rollback


def _stack_of(backend: CloudFormationBackend, change_set_name: str) -> tuple[Stack | None, str]:
    change_set = backend.change_sets.get(change_set_name) or next(
        (c for c in backend.change_sets.values() if c.change_set_name == change_set_name), None)
    if change_set is None:
        return None, ""
    return backend.stacks.get(change_set.stack_id), str(change_set.change_set_type)


def _execute(original: Any) -> Any:
    def execute_change_set(self: CloudFormationBackend, change_set_name: str, stack_name: str | None = None) -> None:
        stack, kind = _stack_of(self, change_set_name)
        try:
            original(self, change_set_name, stack_name)
        except Exception as exc:
            if stack is None or not hasattr(exc, _FAILED):
                raise
            if kind == "CREATE":
                _rollback(stack, exc)
                # rolled back: nothing is left to list (moto would create what failed again on listing)
                stack.resource_map._resource_json_map = {}
                stack.resource_map._parsed_resources = {}
            else:  # an update's failure leaves what the stack had
                logical, resource_type = getattr(exc, _FAILED)
                stack.events.append(Event(stack_id=stack.stack_id, stack_name=stack.name,
                                          logical_resource_id=logical, physical_resource_id="",
                                          resource_type=resource_type, resource_status="UPDATE_FAILED",
                                          resource_status_reason=str(getattr(exc, "message", "") or exc),
                                          resource_properties=None))
                stack.status = "UPDATE_ROLLBACK_COMPLETE"
                stack._add_stack_event("UPDATE_ROLLBACK_COMPLETE")
            return
        if stack is not None and stack.status.endswith("_COMPLETE"):
            stack._parse_template()  # the change set's template, now the stack's
            stack.output_map = stack._create_output_map()

    return execute_change_set


def apply() -> None:
    CloudFormationBackend.execute_change_set = _execute(  # type: ignore[method-assign]
        CloudFormationBackend.execute_change_set)
