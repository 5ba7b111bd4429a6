"""What an automated run needs from its caller: the policy, AWS, how to open a repository, a clock.

The clock and the sleep are injected so tests move time instead of waiting; the repository opener is
injected so the CLI decides where passwords come from (its flags, or the policy's sources).
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TextIO

from ..aws import Aws
from ..policy.loader import LoadedPolicy
from ..policy.models import Policy, RepositoryRef
from ..repository import Repository


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Context:
    loaded: LoadedPolicy
    aws: Aws  # the credentials lambda-ark runs with: repositories, metrics, notifications, assuming roles
    open_repository: Callable[[RepositoryRef], Repository]
    clock: Callable[[], datetime] = utc_now  # decides which slot is due
    sleep: Callable[[float], None] = time.sleep  # between webhook attempts
    metrics: list[str] | None = None  # metric targets: overrides the policy's `metrics.targets`
    emf_stream: TextIO = field(default_factory=lambda: sys.stdout)  # where EMF lines go inside Lambda
    _repos: dict[str, Repository] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def policy(self) -> Policy:
        return self.loaded.policy

    def repository(self, ref: RepositoryRef) -> Repository:
        """Each repository opened once per context (opening reads its keys and config)."""
        with self._lock:
            if ref.url not in self._repos:
                self._repos[ref.url] = self.open_repository(ref)
            return self._repos[ref.url]

    def primary(self) -> Repository:
        return self.repository(self.policy.repositories.primary)
