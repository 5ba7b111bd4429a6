"""The template for one policy: the stack's inputs gathered from the policy file and the roles'
least-privilege policies from `lambda_ark.iam` (the same documents `iam-policy --for` prints).

    template_for(loaded, stack_name, code, ...) -> (template dict, warnings)
"""

from __future__ import annotations

from typing import Any

from ..automation.alarms import desired_alarms
from ..errors import UsageError
from ..iam import policy_for, request_for
from ..policy import LoadedPolicy
from ..policy.models import RoleAccount
from .template import TemplateInput, build

# The template's functions and the iam role each runs as.
ROLE_OF = {"Planner": "planner", "Worker": "worker", "Finisher": "finisher", "Watcher": "watcher"}
MAX_CONCURRENCY = 40  # shards backed up at once (Distributed Map); each region's shards share its quota


def template_for(loaded: LoadedPolicy, stack_name: str, code: dict[str, str], *, watch_job: str | None = None,
                 password_secret: str | None = None, max_concurrency: int = MAX_CONCURRENCY,
                 architecture: str = "x86_64", partition: str = "aws") -> tuple[dict[str, Any], list[str]]:
    """The stack's template and what the person deploying it should know (alarms left out, say)."""
    policy = loaded.policy
    warnings: list[str] = []
    if not policy.jobs:
        raise UsageError(f"{loaded.file}: no jobs: there is nothing to schedule")
    if watch_job is not None and watch_job not in policy.jobs:
        raise UsageError(f"--watch {watch_job!r}: no such job in {loaded.file} (jobs: {', '.join(policy.jobs)})")
    if max_concurrency < 1:
        raise UsageError(f"--max-concurrency {max_concurrency}: at least 1")
    if policy.repositories.primary.url.startswith(("/", "file:")) or "://" not in policy.repositories.primary.url:
        raise UsageError(f"{loaded.file}: the primary repository {policy.repositories.primary.url!r} is a folder; "
                         "inside AWS it must be an S3 repository (s3://bucket/prefix)")
    # Per-account alarms need the accounts' ids: the policy's role ARNs name them; an organization's
    # accounts are known only when a run lists them (its failures still reach the alerts topic).
    accounts = sorted({a.role_arn.split(":")[4] for a in policy.accounts if isinstance(a, RoleAccount)})
    if any(not isinstance(a, RoleAccount) for a in policy.accounts) and policy.accounts:
        warnings.append("accounts of an organization or the current credentials get no per-account alarms; "
                        "the state machine's alarms and the alerts topic still cover their failures")
    roles = {name: policy_for(request_for(role, loaded, partition=partition, secret=password_secret))
             for name, role in ROLE_OF.items() if name != "Watcher" or watch_job}
    spec = TemplateInput(
        stack_name=stack_name,
        jobs={name: job.schedule for name, job in policy.jobs.items() if job.schedule},
        code=code, role_policies=roles, architecture=architecture, max_concurrency=max_concurrency,
        password_secret=password_secret, alarms=desired_alarms(policy, accounts),
        rpo={name: job.rpo for name, job in policy.jobs.items() if job.rpo}, watch_job=watch_job)
    unscheduled = sorted(set(policy.jobs) - set(spec.jobs))
    if unscheduled:
        warnings.append(f"jobs without a schedule get no Scheduler schedule (start them by hand): "
                        f"{', '.join(unscheduled)}")
    return build(spec), warnings
