"""The registry of recorded kinds, in restore order (each module says why it sits where it does).

Adding a kind: write one module following `kinds.base.Kind`, add one line here.
"""

from __future__ import annotations

from types import ModuleType

from . import (
    aliases,
    apigateway,
    apigatewayv2,
    cloudfront,
    concurrency,
    eventbridge,
    function,
    invoke_config,
    layers,
    mappings,
    policy,
    role,
    s3_notifications,
    scheduler,
    sns,
    url,
    versions,
)

# Restore order: dependencies first. Capture visits the same list.
KINDS: tuple[ModuleType, ...] = (
    role,
    layers,
    function,
    versions,
    aliases,
    concurrency,
    url,
    invoke_config,
    policy,
    mappings,
    s3_notifications,
    apigateway,
    apigatewayv2,
    eventbridge,
    scheduler,
    sns,
    cloudfront,
)


def by_name(name: str) -> ModuleType:
    for kind in KINDS:
        if kind.NAME == name:
            return kind
    raise KeyError(name)
