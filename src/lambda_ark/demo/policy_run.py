"""The demo's policy step: the estate as a policy job runs it, once per slot, retention applied."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..automation import Context, run_due
from ..aws import Aws
from ..errors import LambdaArkError
from ..policy import parse_policy
from ..repository import Repository

POLICY = """\
repositories: {{primary: "{repo}"}}
metrics: {{targets: [none]}}
jobs:
  hourly:
    schedule: rate(1 hour)
    retention: {{keep_last: 3}}
    rpo: 2h
"""


def policy_run(aws: Aws, repo_path: Path, password: str, say: Callable[[str], None]) -> dict[str, Any]:
    loaded = parse_policy(POLICY.format(repo=repo_path), "demo policy")
    ctx = Context(loaded=loaded, aws=aws,
                  open_repository=lambda ref: Repository.open(ref.url, password=password, aws=aws))
    first = run_due(ctx).jobs[0]
    run = first.run
    if run is None or run.status != "ok":
        raise LambdaArkError(f"demo policy run failed: {first.message or (run.errors if run else '')}")
    (account,) = run.accounts
    result = account.result
    assert result is not None
    say(f"policy job hourly (rate(1 hour), keep_last 3, rpo 2h) ran for slot {run.slot:%H:%M}Z: snapshot "
        f"{result.snapshot_id[:8]} tagged job:hourly, {result.functions} functions, {result.captured} captured, "
        f"{run.forgotten} forgotten")
    again = run_due(ctx).jobs[0]
    say(f"policy run again within the hour: {again.action} (next slot {again.next:%H:%M}Z): "
        "a job never runs twice for one slot")
    return {"first": first.action, "second": again.action, "snapshot": result.snapshot_id}
