"""`lambda-ark demo` end to end, as a subprocess: its embedded endpoint (and moto state) is its own."""

from __future__ import annotations

import json
import os
import subprocess
import sys


def _demo(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_ENDPOINT_URL", "LAMBDA_ARK_"))}
    return subprocess.run([sys.executable, "-m", "lambda_ark", "demo", *args], capture_output=True, text=True,
                          env=env, timeout=180)


def test_demo_restores_every_kind_and_verifies() -> None:
    done = _demo()
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[-1] == "demo: restore verified"
    out = done.stdout
    for kind in ("1 S3 notification", "1 REST API", "1 HTTP API", "1 EventBridge rule", "1 schedule",
                 "1 SNS subscription"):
        assert kind in out, kind
    assert "mapped to lambda-ark-demo-uploads-us-west-2" in out
    assert "edge-rewrite:2 republished as edge-rewrite:1" in out
    assert "now runs edge-rewrite:1" in out
    assert "demo: policy job hourly (rate(1 hour), keep_last 3, rpo 2h) ran for slot " in out
    assert "demo: policy run again within the hour: not due" in out
    assert "demo-secret" not in done.stdout + done.stderr  # environment variables are secrets
    drill = [line for line in lines if line.startswith("demo: drill ") and " passed: RTO " in line]
    assert len(drill) == 1 and drill[0].endswith("s for 12 functions")  # the demo ends with a drill
    assert len(lines) <= 24


def test_demo_json_report() -> None:
    done = _demo("--json", "--per-region", "2")
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert report["verified"] is True and report["problems"] == []
    assert report["restored"]["apigateway"] == 1 and report["restored"]["sns"] == 1
    # everything is as restored; the two skipped are the old API ids' grants (the APIs got new ids)
    assert set(report["verify"]) <= {"unchanged", "skipped"} and report["verify"].get("skipped", 0) == 2
    # unchanged: one, plus the recreated function's recursion and runtime settings (AWS's defaults)
    assert report["edge_restore"] == {"create": 2, "update": 1, "unchanged": 3}
    assert report["drill"]["status"] == "passed" and report["drill"]["rto_seconds"] > 0
    assert (report["policy"]["first"], report["policy"]["second"]) == ("ran", "not due")
