"""A `run` killed (SIGKILL) in the middle of its job: no snapshot, no lock that blocks, its slot stays
claimed, and the next run names the run that died."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator

import pytest
from tests.e2e.conftest import run_cli
from tests.faulty_proxy import FaultyProxy, Rule

from lambda_ark import embedded
from lambda_ark.automation import load_state, run_due
from lambda_ark.automation.run import NOT_DUE, RAN

from .conftest import PASSWORD, REGION, Setup, job_name, member, role_of, snapshots_of


@pytest.fixture
def proxy(endpoint: embedded.Endpoint) -> Iterator[tuple[FaultyProxy, str]]:
    p = FaultyProxy(upstream=endpoint.url)
    url = p.start()
    yield p, url
    p.stop()


def test_a_run_killed_mid_job(setup: Setup, proxy: tuple[FaultyProxy, str], endpoint: embedded.Endpoint) -> None:
    faulty, proxy_url = proxy
    acct, name = member(setup.aws), job_name()
    repo = setup.repo()
    text = f"""
repositories: {{primary: {repo}}}
accounts: [{{role_arn: "{role_of(acct)}"}}]
metrics: {{targets: [none]}}
jobs:
  {name}: {{schedule: rate(1 hour), select: {{regions: [{REGION}]}}}}
"""
    path = setup.tmp / "lambda-ark.yaml"
    path.write_text(text)
    reached, release = threading.Event(), threading.Event()

    def hold() -> None:  # the run is inside its backup: hold it there until it is killed
        reached.set()
        release.wait(30)

    faulty.rules.append(Rule("GET", r"^/2015-03-31/functions/?(\?|$)", times=1, before=hold))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "LAMBDA_ARK_"))}
    env.update(AWS_ENDPOINT_URL=proxy_url, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
               AWS_DEFAULT_REGION="us-east-1", LAMBDA_ARK_PASSWORD=PASSWORD)
    proc = subprocess.Popen([sys.executable, "-m", "lambda_ark", "run", "--policy", str(path)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        while not reached.wait(0.2):  # until the run is held inside its backup (or has ended, which is wrong)
            assert proc.poll() is None, proc.communicate(timeout=5)
        proc.kill()
        proc.wait(timeout=30)
    finally:
        release.set()
        if proc.poll() is None:
            proc.kill()

    state, _ = load_state(setup.open(), name)
    assert state.running is not None and state.last_slot == state.running.slot  # claimed, never finished
    assert snapshots_of(setup.open(), name) == []
    assert run_cli("check", "--repo", repo, endpoint=endpoint.url, password=PASSWORD).returncode == 0

    ctx = setup.context(setup.policy(text))
    assert [j.action for j in run_due(ctx).jobs] == [NOT_DUE]  # its slot stays claimed: never twice
    manual = run_due(ctx, name).jobs[0]  # the dead run's locks (its pid is gone) block nothing
    assert manual.action == RAN and manual.run is not None and manual.run.status == "ok"
    assert any("did not finish" in w for w in manual.run.warnings), manual.run.warnings
    assert len(snapshots_of(setup.open(), name)) == 1
    final, _ = load_state(setup.open(), name)
    assert final.running is None
