"""Zone-scoped access to a repository bucket: bucket-policy statements and a CORS rule.

    rules.py     pure: the statements lambda-ark owns, merging them with others, the CORS rule, diffs
    explain.py   pure: a policy and CORS rules in words (`access show`)
    s3.py        reading and writing them (`access apply`), with the lock-out checks
"""

from __future__ import annotations

from .explain import explain
from .rules import Plan, Zones, cors_rules, merge, statements
from .s3 import Bucket, apply_access, caller_arn, plan_access

__all__ = ["Bucket", "Plan", "Zones", "apply_access", "caller_arn", "cors_rules", "explain", "merge",
           "plan_access", "statements"]
