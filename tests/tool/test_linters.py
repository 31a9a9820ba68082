"""The tool's code is linted, formatted and type-checked (strict) with the pinned ruff and mypy:
a finding fails the test run and is printed with its file and line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Installed beside the interpreter running the tests (the project's virtualenv), so the pins
# of requirements.lock apply, whatever else is on PATH.
BIN = Path(sys.executable).parent


@pytest.mark.parametrize(
    "command",
    [
        ["ruff", "check", "--no-fix", "--output-format", "concise", "--cache-dir", ".cache/ruff", "."],
        ["ruff", "format", "--check", "--diff", "--cache-dir", ".cache/ruff", "."],
        ["mypy", "--cache-dir", ".cache/mypy"],  # files and strictness: [tool.mypy] in pyproject.toml
    ],
    ids=["ruff-check", "ruff-format", "mypy-strict"],
)
def test_the_tool_passes(command: list[str]) -> None:
    result = subprocess.run([str(BIN / command[0]), *command[1:]], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, f"`{' '.join(command)}` failed:\n{result.stdout}{result.stderr}"
