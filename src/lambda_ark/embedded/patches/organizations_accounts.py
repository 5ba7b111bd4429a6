"""ListAccounts: only the management account (or a delegated administrator) may list, 20 at a time.

AWS: `ListAccounts` answers the management account and delegated administrators; any other member
account gets `AccessDeniedException` ("You don't have permissions to access this resource."), an
account in no organization `AWSOrganizationsNotInUseException`. `MaxResults` is 1-20 and a page
holds at most 20 accounts (with `NextToken`).

moto: a member account gets an empty list (a backup of "every account of the organization" would
quietly cover none), and pages hold 100.
"""

from __future__ import annotations

from typing import Any

from moto.organizations.exceptions import AWSOrganizationsNotInUseException, OrganizationsClientError
from moto.organizations.models import OrganizationsBackend, organizations_backends

PAGE = 20
_original: Any = None


class AccessDeniedException(OrganizationsClientError):
    def __init__(self) -> None:
        super().__init__("AccessDeniedException", "You don't have permissions to access this resource.")


def list_accounts(self: OrganizationsBackend, **kwargs: Any) -> Any:
    kwargs["max_results"] = min(int(kwargs.get("max_results") or PAGE), PAGE)
    if self.org is not None:
        return _original(self, **kwargs)
    membership = organizations_backends.master_accounts.get(self.account_id)
    if membership is None:
        raise AWSOrganizationsNotInUseException
    management = organizations_backends[membership[0]][membership[1]]
    if not any(admin.account.id == self.account_id for admin in management.admins):
        raise AccessDeniedException
    return _original(management, **kwargs)


def apply() -> None:
    global _original
    _original = OrganizationsBackend.list_accounts
    OrganizationsBackend.list_accounts = list_accounts  # type: ignore[method-assign,assignment]
