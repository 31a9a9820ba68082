"""Faults that need the real book: three builds at once (the session's), and a failing build (its links, a translation).

The toolchain's own faults (raising and endless blocks, hand edits, cache keys, output limits,
isolation) are tested on small fixture books in tests/tool, where they cost seconds.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from builds import EXECUTED, ROOT, free_port, make_site

from literate.project import Project
from literate.run.execute import Executor

pytestmark = pytest.mark.slow
CHAPTER = "docs/chapters/01-synthetic-data.md"


@pytest.fixture
def book(tmp_path: Path, built_site) -> Path:
    """A copy of the book, with the executions the session's build already cached (so only faults run)."""
    copy = Project.load(ROOT).copy_to(tmp_path / "book")
    # Not the notebook files and mkdocs-jupyter's pages: both are keyed by the book's own paths.
    ignore = shutil.ignore_patterns("files", "mkdocs-jupyter")
    shutil.copytree(ROOT / ".cache/literate", copy / ".cache/literate", ignore=ignore)
    (copy / "node_modules").symlink_to(ROOT / "node_modules")  # KaTeX, for the math
    return copy


def test_the_session_build_ran_each_chapter_once_and_left_a_sound_cache(built_site, built_site_log):
    """The session's build is `make editions`: the chapters' runner and both editions' builds at
    once, sharing one execution cache (on a fresh clone, empty). Whichever process came first ran
    a chapter; the others waited on the cache's lock and took its outputs: no chapter ran twice,
    both editions show the same outputs, and every cache entry is whole. (On a machine whose
    cache already held every chapter, nothing ran: then only the outputs and the cache are checked.)"""
    ran = EXECUTED.findall(built_site_log)
    assert len(ran) == len(set(ran)), f"a chapter ran twice: {ran}"
    project = Project.load(ROOT)
    chapters = project.source_chapters()
    assert set(ran) <= {chapter.name for chapter in chapters}

    def outputs(page: Path) -> list[str]:
        found = re.findall(r'<div class="(literate-output[^"]*)"(.*?)</div>', page.read_text(), re.S)
        return [body for classes, body in found if "literate-varying" not in classes]

    for chapter in chapters:
        page = f"chapters/{Path(chapter.name).stem}/index.html"
        assert outputs(built_site / "zh" / page) == outputs(built_site / "en" / page), page
    executor = Executor(project, ROOT / ".cache/literate")
    for entry in executor.outputs.folder.glob("*.json"):
        text = executor.outputs.read_text(entry.stem)  # every cache file is whole
        assert text is not None, entry
        json.loads(text)
    assert not list((ROOT / ".cache/literate").rglob("*.tmp"))


def test_a_failing_build_names_each_edition_s_fault_and_leaves_the_published_site_as_it_was(book, built_site):
    """One `make editions` (both editions at once, the link check on): broken links and anchors
    in the Chinese edition, a translation whose code changed in the English one. Both are named,
    and the site that was published is left whole, with nothing half-built beside it."""
    site = book / "site"
    shutil.copytree(built_site, site)
    before = sorted(str(p.relative_to(site)) for p in site.rglob("*"))
    chinese = book / CHAPTER
    chinese.write_text(chinese.read_text() + "\n[gone](02-no-such-chapter.md) and [nowhere](#no-such-anchor)\n")
    english = book / "docs-en/chapters/04-model.md"
    english.write_text(english.read_text().replace("return X @ w + b", "return X @ w - b", 1))
    result = make_site(book, site, f"http://127.0.0.1:{free_port()}", LINK_CHECK="true")
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "chapters/01-synthetic-data.md" in output
    assert "02-no-such-chapter.md" in output and "no-such-anchor" in output
    assert re.search(
        r"docs-en/chapters/04-model\.md:\d+: block \d+ differs from block \d+ of docs/chapters/04-model\.md", output
    )
    assert sorted(str(p.relative_to(site)) for p in site.rglob("*")) == before, "the old site is whole"
    assert not list(book.glob("site.*")), "no half-built site is left beside it"
