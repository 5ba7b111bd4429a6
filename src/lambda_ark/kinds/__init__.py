"""The registry of recorded kinds, in restore order (each module says why it sits where it does).

Adding a kind: write one module following `kinds.base.Kind`, add one line here.
"""

from __future__ import annotations

from types import ModuleType

from . import (
    alb,
    aliases,
    apigateway,
    apigatewayv2,
    appsync,
    cloudfront,
    cloudwatch_alarms,
    code_signing,
    cognito,
    concurrency,
    eventbridge,
    firehose,
    function,
    invoke_config,
    iot,
    layers,
    logs_subscriptions,
    mapping_tags,
    mappings,
    pipes,
    policy,
    recursion,
    referenced_by,
    role,
    runtime_management,
    s3_notifications,
    scheduler,
    secrets_rotation,
    ses,
    sns,
    url,
    versions,
)

# Restore order: dependencies first. Capture visits the same list.
KINDS: tuple[ModuleType, ...] = (
    role,
    layers,
    function,
    recursion,
    runtime_management,
    versions,
    code_signing,
    aliases,
    concurrency,
    url,
    invoke_config,
    policy,
    mappings,
    mapping_tags,
    s3_notifications,
    apigateway,
    apigatewayv2,
    eventbridge,
    scheduler,
    sns,
    alb,
    logs_subscriptions,
    cognito,
    pipes,
    iot,
    ses,
    secrets_rotation,
    firehose,
    appsync,
    cloudwatch_alarms,
    cloudfront,
    referenced_by,
)


def by_name(name: str) -> ModuleType:
    for kind in KINDS:
        if kind.NAME == name:
            return kind
    raise KeyError(name)
