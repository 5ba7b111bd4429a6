"""Usage errors as a user meets them: `lambda-ark` in a subprocess, one line on stderr, exit 2, never
a traceback. Every registered command and sub-command is walked (not listed by hand)."""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import typer.main

import lambda_ark
from lambda_ark.cli import app


def _paths(group: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command path, groups included (`key` as well as `key add`)."""
    out = []
    for name, cmd in group.commands.items():
        path = (*prefix, name)
        out.append(path)
        if hasattr(cmd, "commands"):
            out.extend(_paths(cmd, path))
    return out


PATHS = _paths(typer.main.get_command(app))


def _cli(*args: str, tmp: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "LAMBDA_ARK_"))}
    env.update({"AWS_CONFIG_FILE": str(tmp / "none"), "AWS_SHARED_CREDENTIALS_FILE": str(tmp / "none"),
                "AWS_EC2_METADATA_DISABLED": "true"})
    return subprocess.run([sys.executable, "-m", "lambda_ark", *args], capture_output=True, text=True, env=env,
                          timeout=120, stdin=subprocess.DEVNULL)


def _assert_usage_error(out: subprocess.CompletedProcess[str], *needles: str) -> None:
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert out.returncode == 2, out.stderr
    assert "Traceback" not in out.stderr + out.stdout
    assert len(lines) == 1 and lines[0].startswith("lambda-ark: error: "), out.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


def test_the_walk_finds_commands_and_sub_commands() -> None:
    assert {("backup",), ("restore",), ("key",), ("key", "add")} <= set(PATHS)


def test_an_unknown_option_on_every_command_is_one_line_and_exit_2(tmp_path: Path) -> None:
    args = [(), *PATHS]  # the app itself too
    with ThreadPoolExecutor(4) as pool:
        outs = list(pool.map(lambda path: _cli(*path, "--bogus-option", tmp=tmp_path), args))
    for path, out in zip(args, outs, strict=True):
        _assert_usage_error(out, "--bogus-option", f"lambda-ark {' '.join(path)}".strip() + " --help")


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["no-such-command"], "no such command 'no-such-command'"),
        (["diff", "onlyone"], "missing argument"),
        (["backup", "--workers", "many"], "invalid value for '--workers'"),
        (["backup", "--workers", "0"], "--workers"),
        (["key", "add", "--kms-key-id"], "requires an argument"),
    ],
)
def test_other_usage_errors(tmp_path: Path, args: list[str], needle: str) -> None:
    _assert_usage_error(_cli(*args, tmp=tmp_path), needle)


def test_version(tmp_path: Path) -> None:
    out = _cli("--version", tmp=tmp_path)
    assert (out.returncode, out.stdout, out.stderr) == (0, f"lambda-ark {lambda_ark.__version__}\n", "")


def test_no_arguments_shows_help(tmp_path: Path) -> None:
    out = _cli(tmp=tmp_path)
    assert out.returncode == 2 and "Usage: lambda-ark" in out.stderr and "Traceback" not in out.stderr
