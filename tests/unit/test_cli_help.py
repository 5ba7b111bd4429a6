"""Every command and subcommand the CLI registers has --help with an example (walked, not listed)."""

from __future__ import annotations

from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner

from lambda_ark.cli import app


def _commands(group: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out = []
    for name, cmd in group.commands.items():
        path = (*prefix, name)
        out.extend(_commands(cmd, path) if hasattr(cmd, "commands") else [path])
    return out


COMMANDS = _commands(typer.main.get_command(app))


def test_the_issue_s_command_names_are_all_there() -> None:
    names = {path[0] for path in COMMANDS}
    wanted = {
        "init",
        "backup",
        "snapshots",
        "show",
        "diff",
        "restore",
        "check",
        "forget",
        "prune",
        "copy",
        "demo",
        "endpoint",
    }
    assert wanted <= names


@pytest.mark.parametrize("path", COMMANDS, ids=" ".join)
def test_help_has_an_example(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Example" in result.output, f"lambda-ark {' '.join(path)} --help shows no example"
