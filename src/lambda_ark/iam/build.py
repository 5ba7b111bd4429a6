"""Compose one role's policy: which parts it has (`roles`), narrowed to what it touches (`policy.Scope`).

    request_for(role, loaded_policy=None, **overrides) -> Request    what the role touches
    policy_for(request) -> dict                                      the IAM policy document
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..errors import UsageError
from ..kinds import KINDS
from ..policy.loader import LoadedPolicy
from ..policy.models import OrganizationAccounts, RoleAccount
from ..policy.values import queue_region
from .actions import is_read
from .policy import RepoAccess, Scope, document, repository_statements, service_statements
from .roles import CORE, DATA_CAPTURE, DATA_RESTORE, EXTRA

ROLES = ("backup", "member", "restore", "drill", "watch", "deploy", "planner", "worker", "finisher", "watcher")


@dataclass
class Request:
    """What a role touches."""

    role: str
    repositories: list[RepoAccess] = field(default_factory=list)
    kms_keys: list[str] = field(default_factory=list)
    regions: list[str] | None = None
    functions: list[str] = field(default_factory=list)
    kinds: frozenset[str] | None = None  # None: every kind
    data: bool = False  # event-source data (backup/restore --data, opt-in); from a policy: a job has `data:`
    reads_estate: bool = True  # the role itself reads (or writes) the estate, not only assumed roles
    account_roles: list[str] = field(default_factory=list)  # role ARNs (or patterns) it assumes
    organization: bool = False
    cloudwatch_metrics: bool = False
    topics: list[str] = field(default_factory=list)
    queues: list[str] = field(default_factory=list)  # queue ARNs
    secret: str | None = None
    partition: str = "aws"

    def scope(self) -> Scope:
        return Scope(repositories=self.repositories, kms_keys=self.kms_keys, regions=self.regions,
                     functions=self.functions, partition=self.partition)


def _kind_actions(kinds: frozenset[str] | None, write: bool) -> set[str]:
    out: set[str] = set()
    for kind in KINDS:
        if kinds is None or kind.NAME in kinds or kind.NAME == "function":
            out.update(a for a in kind.PERMISSIONS if write or is_read(a))
    return out


def _core(*modules: str) -> set[str]:
    return {a for m in modules for a in CORE[m]}


def queue_arn(url: str, partition: str = "aws") -> str:
    """An SQS queue URL as its ARN (region from the host, account and name from the path)."""
    m = re.search(r"/(\d{12})/([\w-]+(?:\.fifo)?)$", url)
    if m is None:
        raise UsageError(f"cannot tell the ARN of queue {url!r}")
    return f"arn:{partition}:sqs:{queue_region(url) or '*'}:{m.group(1)}:{m.group(2)}"


def request_for(role: str, loaded: LoadedPolicy | None = None, *, repositories: list[str] | None = None,
                kms_keys: list[str] | None = None, regions: list[str] | None = None,
                functions: list[str] | None = None, partition: str = "aws", secret: str | None = None,
                data: bool = False) -> Request:
    """What `role` touches: from the policy file (its repositories, jobs, accounts, targets) and the
    explicit options, which narrow or add to it."""
    if role not in ROLES:
        raise UsageError(f"unknown role {role!r}: use one of {', '.join(ROLES)}")
    req = Request(role=role, kms_keys=list(kms_keys or []), regions=regions, functions=list(functions or []),
                  partition=partition, secret=secret, data=data)
    urls = list(repositories or [])
    copies: list[str] = []
    if loaded is not None:
        policy = loaded.policy
        urls = urls or [policy.repositories.primary.url]
        copies = [c.url for c in policy.repositories.copies]
        jobs = list(policy.jobs.values())
        if regions is None and all(j.select.regions != "all" for j in jobs):
            req.regions = sorted({r for j in jobs for r in j.select.regions if isinstance(j.select.regions, list)})
        if not functions and all(j.select.names for j in jobs):
            req.functions = sorted({n for j in jobs for n in j.select.names})
        req.kinds = frozenset().union(*(j.kinds() for j in jobs))
        req.data = data or any(j.data for j in jobs)
        req.reads_estate = not policy.accounts or any(not isinstance(a, RoleAccount | OrganizationAccounts)
                                                      for a in policy.accounts)
        for source in policy.accounts:
            if isinstance(source, RoleAccount):
                req.account_roles.append(source.role_arn)
            elif isinstance(source, OrganizationAccounts):
                req.organization = True
                req.account_roles.append(f"arn:{partition}:iam::*:role/{source.organization.role_name}")
        targets = set(policy.metrics.targets)
        req.cloudwatch_metrics = bool(targets & {"cloudwatch"}) or (
            "auto" in targets and role not in ("planner", "worker", "finisher"))
        req.topics = sorted({t.address for j in jobs for t in policy.notify_targets(j) if t.kind == "sns"})
        req.queues = sorted({queue_arn(q, partition) for j in jobs if (q := policy.errors_queue_of(j))})
    access = {"backup": "write", "member": None, "restore": "lock", "drill": "write", "watch": "write",
              "deploy": None, "planner": "lock", "worker": "write", "finisher": "prune", "watcher": "write"}[role]
    if role == "backup" and loaded is not None:
        access = "prune"  # `run` applies the job's retention (forget) after its backups
    if access is not None:
        req.repositories = [RepoAccess(u, access) for u in urls]
        if role in ("backup", "finisher") and loaded is not None:
            req.repositories += [RepoAccess(u, "prune") for u in copies]
    return req


def _statement(sid: str, actions: list[str], resources: list[str] | str,
               condition: dict[str, Any] | None = None) -> dict[str, Any]:
    doc: dict[str, Any] = {"Sid": sid, "Effect": "Allow", "Action": sorted(actions), "Resource": resources}
    if condition:
        doc["Condition"] = condition
    return doc


def _automation(req: Request, assume: bool, notify: bool) -> list[dict[str, Any]]:
    out = []
    if assume and req.account_roles:
        out.append(_statement("AssumeAccountRoles", ["sts:AssumeRole"], sorted(set(req.account_roles))))
    if assume and req.organization:
        out.append(_statement("ListOrganizationAccounts", ["organizations:ListAccounts"], "*"))
    if notify and req.cloudwatch_metrics:
        out.append(_statement("Metrics", ["cloudwatch:PutMetricData"], "*",
                              {"StringEquals": {"cloudwatch:namespace": "LambdaArk"}}))
    if notify and req.topics:
        out.append(_statement("Notifications", ["sns:Publish"], req.topics))
    if notify and req.queues:
        out.append(_statement("ErrorsQueue", ["sqs:SendMessage"], req.queues))
    if req.secret:
        out.append(_statement("RepositoryPassword", ["secretsmanager:GetSecretValue"], [req.secret]))
    return out


def policy_for(req: Request) -> dict[str, Any]:
    """The role's policy document (see `roles` for what each role is)."""
    scope = req.scope()
    statements = repository_statements(scope)
    estate: set[str] = set()
    role = req.role
    backup_core = _core("lambda_ark.backup", "lambda_ark.backup_capture", "lambda_ark.backup_select",
                        "lambda_ark.change_feed")
    if role in ("backup", "worker") and req.reads_estate:
        estate |= _kind_actions(req.kinds, write=False) | backup_core
    elif role == "member":
        estate |= _kind_actions(req.kinds, write=False) | backup_core
    elif role == "watch":  # `lambda-ark watch`: its rule and queues, their messages, the snapshots
        estate |= _kind_actions(req.kinds, write=False) | backup_core | _core("lambda_ark.watch",
                                                                              "lambda_ark.watch_channel")
    elif role == "watcher":  # the deployed watcher: its queue's own access comes with the template
        estate |= _kind_actions(req.kinds, write=False) | backup_core | _core("lambda_ark.aws_lambda_watch")
    elif role in ("restore", "drill"):
        estate |= _kind_actions(req.kinds, write=True) | _core("lambda_ark.restore.environment")
        if role == "drill":  # into a scratch account, invoking what it restored, deleting it after
            estate |= _core("lambda_ark.drill.run", "lambda_ark.drill.verify", "lambda_ark.drill.cleanup")
    elif role == "planner" and req.reads_estate:
        estate |= _core("lambda_ark.backup")  # the current account's enabled regions
    elif role == "deploy":  # its own calls, and what CloudFormation does with the deployer's permissions
        estate |= _core("lambda_ark.deploy") | set(EXTRA["deploy"])
    if req.data and role in ("backup", "member", "worker", "watch", "watcher"):
        estate |= _core(*DATA_CAPTURE)
    elif req.data and role in ("restore", "drill"):
        estate |= _core(*DATA_RESTORE)
    statements += service_statements(estate, scope)
    statements += _automation(req, assume=role in ("backup", "planner", "worker"),
                              notify=role in ("backup", "finisher"))
    return document(statements)
