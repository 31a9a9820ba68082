"""The GitHub Actions workflows (.github/workflows), which cannot run here: actionlint checks them
(syntax, expressions, job needs, action inputs), and every action they use is pinned to a commit."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((ROOT / ".github/workflows").glob("*.yml"))
# actionlint comes with the test extra (a wheel that carries the binary), in the virtualenv.
ACTIONLINT = shutil.which("actionlint", path=str(Path(sys.executable).parent)) or shutil.which("actionlint")


def actionlint(*files: Path) -> subprocess.CompletedProcess:
    if ACTIONLINT is None:
        pytest.fail("actionlint is not installed: it comes with the test extra (`make test` installs it)")
    # -shellcheck= and -pyflakes=: the same checks on every machine, whatever else is on its PATH.
    return subprocess.run(
        [ACTIONLINT, "-no-color", "-shellcheck=", "-pyflakes=", *map(str, files)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )


def test_the_workflows_pass_actionlint():
    assert WORKFLOWS, "no workflow in .github/workflows"
    result = actionlint(*WORKFLOWS)
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_names_the_file_and_line_of_a_mistake(tmp_path):
    """The check above can fail: a job (at line 7) that needs a job that does not exist."""
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    steps:\n      - run: echo a\n"
        "  b:\n    needs: nowhere\n    runs-on: ubuntu-24.04\n    steps:\n      - run: echo b\n"
    )
    result = actionlint(broken)
    assert result.returncode == 1
    assert re.search(r'broken\.yml:7:\d+: job "b" needs job "nowhere" which does not exist', result.stdout), (
        result.stdout
    )


def test_every_action_is_pinned_to_a_commit():
    for workflow in WORKFLOWS:
        uses = [
            step["uses"]
            for job in yaml.safe_load(workflow.read_text())["jobs"].values()
            for step in job.get("steps", [])
            if "uses" in step
        ]
        assert uses, workflow
        for action in uses:
            assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", action), (
                f"{workflow.name}: {action} is not pinned to a commit"
            )
