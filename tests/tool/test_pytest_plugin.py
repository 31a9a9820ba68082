"""The chained doc-test runner: each block once, line numbers of the chapter, no silent exit."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

OPTIONS = ["-p", "literate.pytest_plugin", "--markdown-docs", "--markdown-docs-syntax=superfences", "-p", "no:cacheprovider"]


def doc_tests(tmp_path: Path, markdown: str) -> subprocess.CompletedProcess:
    (tmp_path / "chapter.md").write_text(markdown)
    return subprocess.run(
        [sys.executable, "-m", "pytest", *OPTIONS, "chapter.md", "-q", "-c", "/dev/null", "--rootdir", str(tmp_path)],
        cwd=tmp_path, capture_output=True, text=True,
    )


def block(code: str) -> str:
    return f"```{{.python continuation}}\n{code}\n```\n\n"


def test_each_block_runs_once_in_one_namespace(tmp_path):
    counter = tmp_path / "runs.txt"
    result = doc_tests(tmp_path, block(f"open({str(counter)!r}, 'a').write('1')\nx = 1") + block("assert x == 1") * 3)
    assert result.returncode == 0, result.stdout
    assert "4 passed" in result.stdout
    assert counter.read_text() == "1", "the first block ran once, not once per later block"


def test_a_block_that_calls_os_exit_fails_with_a_report(tmp_path):
    result = doc_tests(tmp_path, block("x = 1") + block("import os\nos._exit(0)") + block("y = 2"))
    assert result.returncode == 1, result.stdout
    assert "called os._exit(0)" in result.stdout
    assert "2 failed, 1 passed" in result.stdout  # the block, and the one after it that needs it
