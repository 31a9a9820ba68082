"""Each chapter's exported notebook is valid and, run top to bottom in a fresh kernel, gives the page's outputs."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from builds import ROOT

from literate.blocks import parse_file


pytestmark = pytest.mark.slow
CHAPTERS = sorted(p for p in (ROOT / "docs/chapters").glob("*.md") if "." not in p.stem)


def text_outputs(cell) -> tuple[str, list[str]]:
    """Everything printed (a kernel may split it into several chunks) and the displayed values."""
    printed = "".join(o["text"] for o in cell["outputs"] if o["output_type"] == "stream" and o["name"] == "stdout")
    values = [o["data"]["text/plain"] for o in cell["outputs"] if o["output_type"] == "execute_result"]
    return printed, values


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.name)
def test_notebook_reruns_in_a_fresh_kernel_with_the_same_outputs(built_site, chapter):
    path = built_site / "zh" / "downloads" / f"{chapter.stem}.ipynb"
    exported = nbformat.reads(path.read_text(encoding="utf-8"), as_version=4)
    nbformat.validate(exported)
    code = [c for c in exported.cells if c.cell_type == "code"]
    blocks = parse_file(chapter).python_blocks
    assert [c.source for c in code] == [b.code.rstrip("\n") for b in blocks]
    if code:  # a chapter of prose only (the summary) exports a notebook of prose only
        assert any(c.outputs for c in code), "the exported notebook carries the executed outputs"

    rerun = nbformat.from_dict(json.loads(json.dumps(exported)))
    for cell in rerun.cells:
        if cell.cell_type == "code":
            cell.outputs = []
    NotebookClient(rerun, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}).execute()

    for block, before, after in zip(blocks, code, [c for c in rerun.cells if c.cell_type == "code"]):
        if "varying" in block.options:
            continue
        assert text_outputs(after) == text_outputs(before), f"{chapter.name}:{block.line}: outputs differ"
