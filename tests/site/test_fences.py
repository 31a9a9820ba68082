"""One fence syntax, understood alike by the four consumers: renderer, tangler, executor, pytest."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from builds import ROOT
from markdown_it import MarkdownIt
from pytest_markdown_docs.plugin import FenceSyntax, extract_fence_tests

from literate.project import Project
from literate.source.blocks import parse_file
from literate.source.collect import SAVE_MARK

# Both editions' pages: docs/ (Chinese, built into zh/) and docs-en/ (English, built into en/).
EDITIONS = {"zh": ROOT / "docs", "en": ROOT / "docs-en"}
PAGES = sorted(p for docs in EDITIONS.values() for p in docs.rglob("*.md") if "assets" not in p.relative_to(docs).parts)
CHAPTERS = [p for p in PAGES if p.parent.name == "chapters"]


def rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


@pytest.mark.parametrize("page", PAGES, ids=rel)
def test_pytest_markdown_docs_sees_the_blocks_the_executor_runs(page):
    ours = [b.line for b in parse_file(page).python_blocks]
    theirs = [
        t.start_line + 1  # their start_line is the 1-based line of the opening fence
        for t in extract_fence_tests(
            MarkdownIt("commonmark"), page.read_text(encoding="utf-8"), 0, page, "md", FenceSyntax.superfences
        )
    ]
    assert theirs == ours, f"{rel(page)}: a Python block is nested (in a list or quote) or malformed"


@pytest.mark.parametrize("page", CHAPTERS, ids=rel)
def test_every_chapter_block_is_part_of_the_chain(page):
    for block in parse_file(page).python_blocks:
        assert "continuation" in block.options, (
            f"{rel(page)}:{block.fence_line}: write ```{{.python continuation}}: a chapter's blocks "
            "share one namespace when executed, so the doc tests must chain them too"
        )


@pytest.mark.parametrize("page", CHAPTERS, ids=rel)
def test_every_save_mark_is_in_a_block_that_runs(page):
    blocks = parse_file(page).python_blocks
    for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), start=1):
        if SAVE_MARK.search(line) and "`" not in line:  # code, not prose quoting it
            assert any(b.line <= number < b.end_line for b in blocks), (
                f"{rel(page)}:{number}: `#@save` outside a Python block that is executed and tested"
            )


def test_tangled_code_points_back_at_executed_blocks():
    project = Project.load(ROOT)
    for module in sorted(project.package_dir.glob("*.py")):
        for origin in re.findall(r"^# %% (\S+):(\d+)$", module.read_text(encoding="utf-8"), re.M):
            path, line = ROOT / origin[0], int(origin[1])
            assert any(b.line <= line < b.end_line for b in parse_file(path).python_blocks), (
                f"{module.name}: origin {origin[0]}:{line} is not inside a Python block"
            )


@pytest.mark.slow
def test_the_renderer_shows_every_block_as_highlighted_python(built_site):
    for page in CHAPTERS:
        language = next(lang for lang, docs in EDITIONS.items() if page.is_relative_to(docs))
        html = (built_site / language / "chapters" / page.stem / "index.html").read_text(encoding="utf-8")
        python_blocks = len(parse_file(page).python_blocks)
        assert "{.python" not in html, f"{rel(page)}: a fence's attributes leaked into the page"
        rendered = len(re.findall(r'<div class="highlight"><pre>', html))
        assert rendered == python_blocks, f"{rel(page)}: {python_blocks} blocks, {rendered} rendered as code"
