"""Fidelity patches: each module makes one part of moto behave as AWS documents.

Every module exposes `apply()`; `apply_all()` runs them once per process, in this order, before the
first server starts. moto's backends and classes are process-global, so the patches are too.
"""

from __future__ import annotations

import threading
from types import ModuleType

from . import (
    apigateway_stages,
    appsync_data_sources,
    cloudformation_change_sets,
    cloudformation_failures,
    cloudformation_lambda,
    cloudfront_associations,
    code_signing,
    code_urls,
    conflicts,
    dynamodb_exports,
    dynamodb_stream_events,
    elb_lambda_targets,
    event_invoke_configs,
    event_source_mappings,
    events_envelope,
    function_urls,
    iam_enforcement,
    image_digests,
    invoke,
    kinesis_shards,
    lambda_config,
    layers,
    list_paging,
    logs_subscriptions,
    organizations_accounts,
    policies,
    provisioned_concurrency,
    recursion,
    revision_ids,
    runtime_management,
    s3_bucket_policies,
    s3_multipart_uploads,
    secrets_rotation,
    ses_receipt_rules,
    sts_assume_role,
)

# Order matters only where patches wrap the same method: revision ids wrap the policy methods that
# `policies` replaces, so policies goes first.
PATCHES: tuple[ModuleType, ...] = (
    invoke,  # before anything creates a Lambda backend: it picks which backend class is used
    code_urls,
    image_digests,  # after code_urls: both wrap get_code
    lambda_config,
    policies,
    revision_ids,
    list_paging,
    provisioned_concurrency,
    event_source_mappings,
    event_invoke_configs,
    layers,
    function_urls,
    cloudfront_associations,
    apigateway_stages,
    events_envelope,
    conflicts,
    code_signing,
    recursion,
    runtime_management,
    sts_assume_role,
    organizations_accounts,
    logs_subscriptions,
    elb_lambda_targets,
    ses_receipt_rules,
    secrets_rotation,
    appsync_data_sources,
    s3_bucket_policies,
    s3_multipart_uploads,
    dynamodb_stream_events,
    dynamodb_exports,
    kinesis_shards,
    cloudformation_lambda,  # after the patches whose stores it fills (URLs, invoke configs, ...)
    cloudformation_failures,
    cloudformation_change_sets,
    iam_enforcement,
)

_applied = False
_lock = threading.Lock()


def apply_all() -> None:
    """Apply every patch once; later calls do nothing."""
    global _applied
    with _lock:
        if _applied:
            return
        for patch in PATCHES:
            patch.apply()
        _applied = True
