"""pytest plugin: run a chapter's chained doc tests once each, not once per later block.

pytest-markdown-docs gives the k-th block of a `continuation` chain the source
of blocks 1..k and runs all of it, so a chapter of n blocks costs n(n+1)/2 block
runs. This runner keeps the namespace the previous test of the chain left and
runs only the new block on top of it. When that state is missing (the earlier
test failed, was deselected or ran in another process) it runs the whole chain,
exactly as the default runner would.

Enabled by the project's own pytest configuration (`-p literate.adapter.pytest_plugin` in
pyproject.toml), not for every pytest run in the environment.

pytest-markdown-docs keeps its runner API private until it matures
(modal-labs/pytest-markdown-docs#43). So this plugin uses pytest's own hooks instead: after
each fence item's setup it wraps the runner the item chose (`item.runner`) in a `ChainRunner`
that runs the new block on the chain's namespace, or hands the test to the wrapped runner,
which also reports failures.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Generator
from pathlib import Path
from typing import Any, NoReturn

import pytest

from literate.run.toplevel import FLAGS, run_code
from literate.source.blocks import parse_file

_chains: dict[str, tuple[str, dict[str, Any]]] = {}  # chapter file -> (source run so far, its namespace)
_checked: set[str] = set()  # files read and found well-formed by the tool's own reader


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, object, object]:
    result = yield
    runner = getattr(item, "runner", None)
    if getattr(item, "test_definition", None) is not None and runner is not None:
        setattr(item, "runner", ChainRunner(runner))  # noqa: B010 - pytest-markdown-docs' own attribute
    return result


class ChainRunner:
    """The item's own runner, run once per block of a chain rather than once per block before it."""

    def __init__(self, runner: Any) -> None:
        self.runner = runner

    def runtest(self, test: Any, args: dict[str, Any], *, asyncio_runner: Any = None) -> None:
        path = str(test.source_path)
        if path not in _checked and path.endswith(".md"):
            # The build refuses what its reader refuses (a nested Python fence, CRLF, a BOM, an
            # unclosed fence); the doc tests must not pass on the same file.
            parse_file(Path(path), os.path.relpath(path))
            _checked.add(path)
        previous = _chains.pop(path, None)
        real_exit = os._exit
        os._exit = _refuse_exit  # a block must not end pytest itself, which would report nothing
        try:
            if previous and previous[0] and test.source.startswith(previous[0]):
                prefix, namespace = previous
                # Blank lines stand in for the blocks already run, so line numbers stay the file's.
                source = "\n" * prefix.count("\n") + test.source[len(prefix) :]
            else:
                source, namespace = test.source, args
            # As the build runs a block (`run_code`): top-level `await` runs to its end, where
            # pytest-markdown-docs' runner needs pytest-asyncio for it.
            run_code(compile(source, test.source_path, "exec", flags=FLAGS, dont_inherit=True), namespace)
        finally:
            os._exit = real_exit
            _close_figures()
        _chains[path] = (test.source, namespace)

    def repr_failure(self, test: Any, excinfo: Any, style: Any = None) -> Any:
        return self.runner.repr_failure(test, excinfo, style)


def _refuse_exit(status: int) -> NoReturn:
    raise RuntimeError(f"the block called os._exit({status}), which would end the test run without a report")


def _close_figures() -> None:
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:
        pyplot.close("all")
