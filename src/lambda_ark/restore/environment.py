"""Environment variables that name ARNs: rewritten for the target only where the target has them.

A value such as `arn:aws:dynamodb:eu-west-1:…:table/orders` moves with the restore only when the
resource it would then name exists in the target (or is restored by this run, or is mapped
explicitly with --map). Otherwise the value stays as the source had it (the source-region resource
may well still be reachable) and the plan warns, naming the variable, never its value: environment
variables are secrets.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..aws import error_code
from ..errors import AwsError
from ..kinds.base import RestoreContext
from ..kinds.common import maybe
from .arns import FunctionId

Probe = Callable[[Any, str, list[str]], bool]  # (client, arn, arn parts) -> exists


def environment(ctx: RestoreContext, function: str, variables: dict[str, str]) -> dict[str, str]:
    """The variables as the restored `function` should have them."""
    out = {}
    for key, value in variables.items():

        def accept(old: str, new: str, key: str = key) -> bool:
            verdict = _decide(ctx, old, new)
            if verdict is not True:
                ctx.warn(f"environment variable {key} of {function}: {verdict}; kept as in the source")
            return verdict is True

        out[key] = ctx.mapper.map_text_where(value, accept)
    return out


def _decide(ctx: RestoreContext, old: str, new: str) -> bool | str:
    """True to rewrite `old` as `new`; else why not (never naming the value)."""
    if old in ctx.mapper.explicit:
        return True
    parts = new.split(":")
    service, region = parts[2], parts[3]
    if service == "lambda" and len(parts) > 6 and parts[5] == "function":
        source = old.split(":")
        if FunctionId(source[4], source[3], source[6]) in ctx.mapper.sources:
            return True  # restored by this run
    probe = _PROBES.get(service)
    where = f"a {service} resource in {region or 'the target account'}"
    if probe is None:
        return f"names {where} lambda-ark cannot check"
    cache = ctx.shared("environment")
    if new not in cache:
        try:
            cache[new] = probe(ctx.client(_CLIENTS.get(service, service), region or "us-east-1"), new, parts)
        except AwsError as exc:
            cache[new] = f"could not check {where} ({error_code(exc) or 'error'})"
    found = cache[new]
    if found is True:
        return True
    return found if isinstance(found, str) else f"names {where} that does not exist there"


def _resource(parts: list[str]) -> str:
    return ":".join(parts[5:])


def _after(parts: list[str], prefix: str) -> str:
    return _resource(parts).removeprefix(prefix)


_PROBES: dict[str, Probe] = {
    "lambda": lambda c, arn, p: maybe(c, "get_function", FunctionName=arn) is not None,
    "sqs": lambda c, arn, p: maybe(c, "get_queue_url", QueueName=p[5], QueueOwnerAWSAccountId=p[4]) is not None,
    "sns": lambda c, arn, p: maybe(c, "get_topic_attributes", TopicArn=arn) is not None,
    "dynamodb": lambda c, arn, p: maybe(
        c, "describe_table", TableName=_after(p, "table/").split("/")[0]
    ) is not None,
    "kinesis": lambda c, arn, p: maybe(c, "describe_stream_summary", StreamARN=arn) is not None,
    "secretsmanager": lambda c, arn, p: maybe(c, "describe_secret", SecretId=arn) is not None,
    "ssm": lambda c, arn, p: maybe(c, "get_parameter", Name=arn) is not None,
    "kms": lambda c, arn, p: maybe(c, "describe_key", KeyId=arn) is not None,
    "events": lambda c, arn, p: maybe(c, "describe_event_bus", Name=arn) is not None,
    "states": lambda c, arn, p: maybe(
        c, "describe_state_machine", stateMachineArn=arn
    ) is not None,
    "iam": lambda c, arn, p: (
        maybe(c, "get_role", RoleName=_resource(p).rsplit("/", 1)[-1]) is not None
        if _resource(p).startswith("role/")
        else maybe(c, "get_policy", PolicyArn=arn) is not None
    ),
}
_CLIENTS = {"states": "stepfunctions"}
