"""The chained doc-test runner: each block once, line numbers of the chapter, no silent exit."""

from __future__ import annotations

import pytest

# In a subprocess: the plugin keeps the chains' namespaces in its module, which this session's
# own doc tests use too, and a block here calls os._exit.
OPTIONS = [
    "-p",
    "literate.adapter.pytest_plugin",
    "--markdown-docs",
    "--markdown-docs-syntax=superfences",
    "-p",
    "no:cacheprovider",
]


def doc_tests(pytester: pytest.Pytester, markdown: str) -> pytest.RunResult:
    pytester.makefile(".md", chapter=markdown)
    return pytester.runpytest_subprocess(*OPTIONS, "chapter.md")


def block(code: str) -> str:
    return f"```{{.python continuation}}\n{code}\n```\n\n"


def test_each_block_runs_once_in_one_namespace(pytester):
    counter = pytester.path / "runs.txt"
    result = doc_tests(pytester, block(f"open({str(counter)!r}, 'a').write('1')\nx = 1") + block("assert x == 1") * 3)
    result.assert_outcomes(passed=4)
    assert counter.read_text() == "1", "the first block ran once, not once per later block"


def test_a_block_that_calls_os_exit_fails_with_a_report(pytester):
    result = doc_tests(pytester, block("x = 1") + block("import os\nos._exit(0)") + block("y = 2"))
    result.assert_outcomes(passed=1, failed=2)  # the block, and the one after it that needs it
    result.stdout.fnmatch_lines(["*called os._exit(0)*"])
