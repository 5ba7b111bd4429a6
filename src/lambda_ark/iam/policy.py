"""The least-privilege IAM policy of one lambda-ark role, as a JSON document (`iam-policy`).

A policy is built from what the code declares it calls (each kind's PERMISSIONS, `roles.CORE` for
the rest; the test suite checks both against every call it sees), then narrowed to a `Scope`:

- the repositories: S3 actions on the bucket and prefix only, object writes as the role needs them
  (a restore writes only its lock; a backup writes objects but deletes only locks; retention deletes);
- the repositories' KMS keys;
- the selected regions (`aws:RequestedRegion`), except for what AWS answers from us-east-1 whatever
  the region (IAM, CloudFront, Organizations, STS, `ec2:DescribeRegions`);
- the selected functions' ARNs where Lambda supports resource-level permissions (`resources`).

One statement per service and resource scope, each with a Sid naming it, so a statement removed
makes that service's calls fail by name (the permission proof tests exactly that).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .resource_table import ARNS
from .resources import FUNCTION_ACTIONS, SHARED_RESOURCE_ACTIONS, glob_to_iam, is_global

VERSION = "2012-10-17"


@dataclass(frozen=True)
class RepoAccess:
    """One repository a role uses, and how: read | lock | write | prune (each includes the ones before)."""

    url: str
    access: str = "read"

    @property
    def bucket(self) -> str | None:
        return self.url[len("s3://"):].partition("/")[0] if self.url.startswith("s3://") else None

    @property
    def prefix(self) -> str:
        rest = self.url[len("s3://"):].partition("/")[2].strip("/")
        return rest + "/" if rest else ""


ACCESS_LEVELS = ("read", "lock", "write", "prune")


@dataclass
class Scope:
    """What a role's policy is narrowed to."""

    repositories: list[RepoAccess] = field(default_factory=list)
    kms_keys: list[str] = field(default_factory=list)  # key ARNs (or aliases: then any key, by alias condition)
    regions: list[str] | None = None  # None: every region
    functions: list[str] = field(default_factory=list)  # name globs; empty: every function
    partition: str = "aws"


def _statement(sid: str, actions: Iterable[str], resources: str | list[str],
               condition: dict[str, Any] | None = None) -> dict[str, Any]:
    doc: dict[str, Any] = {"Sid": sid, "Effect": "Allow", "Action": sorted(set(actions)),
                           "Resource": resources if isinstance(resources, str) else sorted(set(resources))}
    if condition:
        doc["Condition"] = condition
    return doc


def _sid(text: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in text.replace("-", " ").replace("_", " ").split())


def repository_statements(scope: Scope) -> list[dict[str, Any]]:
    """S3 and KMS for the repositories: bucket-level reads, object access by level, under the prefix."""
    out: list[dict[str, Any]] = []
    p = scope.partition
    for n, repo in enumerate(scope.repositories, start=1):
        if repo.bucket is None:
            continue  # a local folder needs no AWS permission
        level = ACCESS_LEVELS.index(repo.access)
        bucket, prefix = f"arn:{p}:s3:::{repo.bucket}", repo.prefix
        objects = f"{bucket}/{prefix}*"
        sid = f"Repository{n}"
        out.append(_statement(f"{sid}Bucket", ["s3:GetBucketLocation", "s3:GetBucketObjectLockConfiguration"],
                              bucket))
        list_condition = {"StringLike": {"s3:prefix": [f"{prefix}*"]}} if prefix else None
        out.append(_statement(f"{sid}List", ["s3:ListBucket"], bucket, list_condition))
        out.append(_statement(f"{sid}Read", ["s3:GetObject"], objects))
        if level >= ACCESS_LEVELS.index("write"):
            # large packs go up in parts: an upload a crash left is listed, resumed or aborted
            out.append(_statement(f"{sid}Write", ["s3:PutObject", "s3:PutObjectRetention", "s3:AbortMultipartUpload",
                                                  "s3:ListMultipartUploadParts"], objects))
            out.append(_statement(f"{sid}Uploads", ["s3:ListBucketMultipartUploads"], bucket))
        if level >= ACCESS_LEVELS.index("prune"):
            out.append(_statement(f"{sid}Delete", ["s3:DeleteObject"], objects))
        elif level >= ACCESS_LEVELS.index("lock"):
            # every user of a repository writes and removes its locks (and a job's state); nothing
            # else is deleted but by retention
            locks = [f"{bucket}/{prefix}locks/*", f"{bucket}/{prefix}jobs/*"]
            writes = level >= ACCESS_LEVELS.index("write")
            out.append(_statement(f"{sid}Locks", ["s3:DeleteObject"] if writes else ["s3:PutObject", "s3:DeleteObject"],
                                  locks))
    if scope.kms_keys:
        # opening a KMS-keyed repository decrypts its key; only `init` and `key add` generate one
        out.append(_statement("RepositoryKeys", ["kms:Decrypt"], _key_arns(scope)))
    return out


def _key_arns(scope: Scope) -> list[str]:
    """KMS key ids and aliases as ARNs; an alias allows any key (its own ARN is unknown here)."""
    out = []
    for key in scope.kms_keys:
        if key.startswith("arn:"):
            out.append(key)
        else:
            out.append(f"arn:{scope.partition}:kms:*:*:key/*" if key.startswith("alias/")
                       else f"arn:{scope.partition}:kms:*:*:key/{key}")
    return out


def function_arns(scope: Scope) -> list[str]:
    """The selected functions, unqualified and qualified (versions and aliases are `name:qualifier`)."""
    p = scope.partition
    names = [glob_to_iam(g) for g in scope.functions] or ["*"]
    regions = scope.regions or ["*"]
    return [f"arn:{p}:lambda:{r}:*:function:{n}{q}" for r in regions for n in names for q in ("", ":*")]


def resources_of(action: str, scope: Scope) -> tuple[str, ...]:
    """What a statement granting `action` names: the selected functions for function-level Lambda
    actions, else the ARN patterns of the action's resource types (`resource_table`), else "*"."""
    if scope.functions and action in FUNCTION_ACTIONS and action not in SHARED_RESOURCE_ACTIONS:
        return tuple(function_arns(scope))
    arns = ARNS.get(action, ())
    if scope.functions and action in SHARED_RESOURCE_ACTIONS:
        # a function, or the mappings and code signing configs restore tags: those stay by pattern
        arns = tuple(a for a in arns if ":function:" not in a) + tuple(function_arns(scope))
    return tuple(sorted(a.replace("${Partition}", scope.partition) for a in arns)) or ("*",)


def service_statements(actions: Iterable[str], scope: Scope, sid_prefix: str = "") -> list[dict[str, Any]]:
    """Per service, one statement naming the union of its actions' resources (IAM matches each
    request's resource against them, so an action is never allowed on a type it does not act on),
    and one statement for every action that takes only "*"; region-conditioned unless global
    (global services' requests name us-east-1 whatever the region they are about)."""
    scoped: dict[tuple[bool, str], tuple[set[str], set[str]]] = {}
    star: dict[bool, set[str]] = {}
    for action in set(actions):
        global_, resources = is_global(action), resources_of(action, scope)
        if resources == ("*",):
            star.setdefault(global_, set()).add(action)
            continue
        acts, arns = scoped.setdefault((global_, action.split(":", 1)[0]), (set(), set()))
        acts.add(action)
        arns.update(resources)
    region = {"StringEquals": {"aws:RequestedRegion": sorted(scope.regions)}} if scope.regions else None
    out = []
    for (global_, service), (acts, arns) in sorted(scoped.items()):
        sid = sid_prefix + ("Global" if global_ else "") + _sid(service)
        out.append(_statement(sid, acts, sorted(arns), None if global_ else region))
    for global_, acts in sorted(star.items()):
        sid = sid_prefix + ("GlobalLists" if global_ else "Lists")
        out.append(_statement(sid, acts, "*", None if global_ else region))
    return out


def document(statements: list[dict[str, Any]]) -> dict[str, Any]:
    return {"Version": VERSION, "Statement": statements}
