"""Registering a function in an ALB target group needs the function to let ELB invoke it.

AWS (Lambda functions as targets, ELB user guide): before a function can be registered in a target
group of type `lambda`, its resource policy must allow `elasticloadbalancing.amazonaws.com` to call
`lambda:InvokeFunction` (with the target group's ARN as `SourceArn`, if it names one); otherwise
RegisterTargets fails with AccessDenied ("elasticloadbalancing principal does not have permission
to invoke <function> from target group <target group>", the message AWS users report). A target
group of type `lambda` holds one function.
moto: registers any id without looking.
"""

from __future__ import annotations

from typing import Any

from moto.core import errors
from moto.elbv2.exceptions import ELBClientError
from moto.elbv2.models import ELBv2Backend

from ..permissions import allows


class _AccessDenied(ELBClientError):
    def __init__(self, function: str, target_group: str) -> None:
        super().__init__(
            "AccessDenied",
            f"elasticloadbalancing principal does not have permission to invoke {function} from target group "
            f"{target_group}",
        )


def _register_targets(original: Any) -> Any:
    def register_targets(self: ELBv2Backend, target_group_arn: str, instances: list[Any]) -> None:
        group = self.target_groups.get(target_group_arn)
        if group is not None and group.target_type == "lambda":
            for target in instances:
                if not allows(self.account_id, self.region_name, target["Id"],
                              ("elasticloadbalancing.amazonaws.com",), group.arn, self.account_id):
                    raise _AccessDenied(target["Id"], group.arn)
        original(self, target_group_arn, instances)

    return register_targets


def apply() -> None:
    # AccessDenied is one of AWS's common errors (in no service's model): serialise it without a warning
    if "AccessDenied" not in errors.COMMON_ERROR_CODES:
        errors.COMMON_ERROR_CODES.append("AccessDenied")
    ELBv2Backend.register_targets = _register_targets(ELBv2Backend.register_targets)  # type: ignore[method-assign]
