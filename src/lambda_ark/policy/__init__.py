"""Policies: what to protect, how often, how long to keep it, whom to tell (`lambda-ark.yaml`).

    load_policy(path) -> LoadedPolicy       YAML -> models; PolicyError (exit 2) lists located problems
    checks.warnings / checks.reachability   what is valid but probably not meant
    parse_schedule(text) -> Schedule         rate(...), cron(...) (EventBridge), 5-field cron
    policy_schema()                          the JSON Schema (docs/policy.schema.json)

docs/policy.md describes the file.
"""

from __future__ import annotations

from .loader import LoadedPolicy, PolicyError, Problem, load_policy, parse_policy
from .models import INCLUDE_KINDS, Job, Policy, RepositoryRef, policy_schema
from .schedule import Schedule, ScheduleError, parse_schedule

__all__ = [
    "INCLUDE_KINDS",
    "Job",
    "LoadedPolicy",
    "Policy",
    "PolicyError",
    "Problem",
    "RepositoryRef",
    "Schedule",
    "ScheduleError",
    "load_policy",
    "parse_policy",
    "parse_schedule",
    "policy_schema",
]
