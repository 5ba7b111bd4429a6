"""Least-privilege IAM for lambda-ark's roles, generated from what the code calls.

    actions_for(service, operation) -> IAM actions        botocore's names to IAM's (`actions`)
    request_for(role, loaded_policy, ...) -> Request       what a role touches (`build`)
    policy_for(request) -> dict                            its policy document (`build`, `policy`)

Kinds declare their PERMISSIONS, the rest of lambda-ark its CORE calls (`roles`); the test suite
records every AWS call and fails on any the declarations miss and on declarations nothing uses.
"""

from __future__ import annotations

from .actions import actions_for, is_read
from .build import ROLES, Request, policy_for, request_for
from .policy import RepoAccess, Scope

__all__ = ["ROLES", "RepoAccess", "Request", "Scope", "actions_for", "is_read", "policy_for",
           "request_for"]
