"""The real book's outputs do not depend on how many chapters run at once.

(In a file of its own: the serial run is the suite's longest test after the page crawls, and
another worker can run the other fault tests beside it.)
"""

from __future__ import annotations

import json

import pytest
from builds import ROOT

from literate.project import Project
from literate.run.execute import ChapterRun, Executor
from literate.run.outputs import Result, Stream, to_json

pytestmark = pytest.mark.slow


def compared_outputs(run: ChapterRun):
    """(block, its outputs) for every block whose outputs must not change: not `varying`."""
    return [(b, o) for b, o in zip(run.chapter.python_blocks, run.outputs, strict=True) if "varying" not in b.options]


def printed_only(run: ChapterRun) -> bool:
    """Every compared output is text a notebook prints (standard output, a last expression's
    value). tests/site/test_downloads.py compares exactly that text already, from a run of one
    notebook at a time in a kernel of its own, against what the parallel build cached."""
    return all(
        (isinstance(output, Stream) and output.name == "stdout") or isinstance(output, Result)
        for _, outputs in compared_outputs(run)
        for output in outputs
    )


def test_one_worker_gives_the_bytes_the_parallel_build_cached(built_site, tmp_path):
    """The chapters with more than printed text (figures above all) run again from scratch,
    one at a time, in the checkout the session's build ran in: every output that is not
    marked `varying` is byte for byte what that build cached (each chapter is a fresh fork of
    the same server). On a fresh clone that build ran two chapters at a time
    (tests/conftest.py); tests/tool/test_execute.py compares one worker with three on a
    fixture book. (Found by this test: the loss-surface chapter's least-squares solution,
    computed by LAPACK in float32, changed in its last bit with the size of the process's
    environment, and its contour plot with it; the chapter now solves in float64.)"""
    project = Project.load(ROOT)
    cached = Executor(project, ROOT / ".cache/literate").run_all(project.source_chapters())
    drawn = [run for run in cached if not printed_only(run)]
    assert drawn, "no chapter draws a figure: is the book's plotting gone?"
    serial = Executor(project, tmp_path / "serial", workers=1, preload=["torch", "matplotlib.pyplot"]).run_all(
        [run.chapter for run in drawn]
    )
    for a, b in zip(serial, drawn, strict=True):
        assert a.executed and not b.executed
        for (block, out_a), (_, out_b) in zip(compared_outputs(a), compared_outputs(b), strict=True):
            same = json.dumps([to_json(o) for o in out_a]) == json.dumps([to_json(o) for o in out_b])
            assert same, f"{a.chapter.name}:{block.line} differs between one worker and the parallel build"
