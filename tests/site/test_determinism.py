"""The real book's outputs do not depend on how many chapters run at once.

(In a file of its own: the serial run is the suite's longest test after the page crawls, and
another worker can run the other fault tests beside it.)
"""

from __future__ import annotations

import json

import pytest
from builds import ROOT

from literate.project import Project
from literate.run.execute import Executor
from literate.run.outputs import to_json

pytestmark = pytest.mark.slow


def test_one_worker_gives_the_bytes_the_parallel_build_cached(built_site, tmp_path):
    """Every chapter run again from scratch, one at a time, in the checkout the session's build
    ran in: every output that is not marked `varying` is byte for byte what that build cached
    (each chapter is a fresh fork of the same server). On a fresh clone that build ran two
    chapters at a time (tests/conftest.py); tests/tool/test_execute.py compares one worker with
    three on a fixture book. (Found by this test: the loss-surface chapter's least-squares solution, computed
    by LAPACK in float32, changed in its last bit with the size of the process's environment,
    and its contour plot with it; the chapter now solves in float64.)"""
    project = Project.load(ROOT)
    chapters = project.source_chapters()
    cached = Executor(project, ROOT / ".cache/literate").run_all(chapters)
    serial = Executor(project, tmp_path / "serial", workers=1, preload=["torch", "matplotlib.pyplot"]).run_all(chapters)
    for a, b in zip(serial, cached, strict=True):
        assert a.executed and not b.executed
        for block, out_a, out_b in zip(a.chapter.python_blocks, a.outputs, b.outputs, strict=True):
            if "varying" not in block.options:
                same = json.dumps([to_json(o) for o in out_a]) == json.dumps([to_json(o) for o in out_b])
                assert same, f"{a.chapter.name}:{block.line} differs between one worker and the parallel build"
