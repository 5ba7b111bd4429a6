"""Which accounts a policy covers, and how each is reached.

`accounts:` lists sources: `current` (the credentials lambda-ark runs with), `role_arn` (assumed with
STS, session name `lambda-ark`, external id when set), `organization` (every ACTIVE account that
Organizations' ListAccounts returns, minus `exclude`, each through `role_name`). No sources: the
current credentials. An account is assumed only when its turn comes, so one that cannot be assumed
fails on its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ..aws import Aws, call
from ..errors import describe
from ..kinds.common import pages
from ..policy.models import AccountSource, CurrentAccount, OrganizationAccounts, RoleAccount
from ..policy.values import role_account


@dataclass(frozen=True)
class Target:
    """One account to back up."""

    account: str
    role_arn: str | None = None  # None: the current credentials
    external_id: str | None = None

    @property
    def via(self) -> str:
        return self.role_arn or "the current credentials"

    def connect(self, aws: Aws) -> Aws:
        """An Aws in this account (AwsError if the role cannot be assumed)."""
        return aws if self.role_arn is None else aws.assume(self.role_arn, self.external_id)


@dataclass
class Accounts:
    targets: list[Target] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # a source that could not be listed (an organization)


def resolve_accounts(aws: Aws, sources: Sequence[AccountSource]) -> Accounts:
    out = Accounts()
    seen: set[str] = set()

    def add(target: Target) -> None:
        if target.account not in seen:  # the first source naming an account says how to reach it
            seen.add(target.account)
            out.targets.append(target)

    if not sources:
        add(Target(aws.account_id()))
    for source in sources:
        if isinstance(source, CurrentAccount):
            add(Target(aws.account_id()))
        elif isinstance(source, RoleAccount):
            add(Target(role_account(source.role_arn), source.role_arn, source.external_id))
        elif isinstance(source, OrganizationAccounts):
            org = source.organization
            try:
                members = organization_accounts(aws)
            except Exception as exc:  # noqa: BLE001 - reported as this source's failure; other sources go on
                out.errors.append(f"organization: cannot list its accounts: {describe(exc)}")
                continue
            partition = _partition(aws)
            for account in members:
                if account not in org.exclude:
                    add(Target(account, f"arn:{partition}:iam::{account}:role/{org.role_name}", org.external_id))
    return out


def organization_accounts(aws: Aws) -> list[str]:
    """Ids of the organization's ACTIVE accounts (suspended and closing accounts are left out)."""
    listed = pages(aws.client("organizations"), "list_accounts", "Accounts")
    return sorted(str(a["Id"]) for a in listed if (a.get("State") or a.get("Status")) == "ACTIVE")


def _partition(aws: Aws) -> str:
    arn = str(call(aws.client("sts"), "get_caller_identity")["Arn"])
    return arn.split(":")[1] if arn.count(":") >= 5 else "aws"
