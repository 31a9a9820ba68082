"""Faults injected into a copy of the real book: each is caught, named, and nothing stale is shown."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil
import pytest

from literate.blocks import parse_file
from literate.execute import Executor
from literate.project import Project

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]
CHAPTER = "docs/chapters/01-synthetic-data.md"


@pytest.fixture
def book(tmp_path: Path, built_site) -> Path:
    """A copy of the book, with the executions the session's build already cached (so only faults run)."""
    copy = Project.load(ROOT).copy_to(tmp_path / "book")
    cache = copy / ".cache/literate"
    cache.mkdir(parents=True)
    for entry in (ROOT / ".cache/literate").glob("*.json"):
        shutil.copy2(entry, cache / entry.name)
    return copy


def build(book: Path, *extra: str, **env) -> subprocess.CompletedProcess:
    environment = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "PYTHONPATH": str(book / "src"), **env}
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", *extra],
        cwd=book, capture_output=True, text=True, env=environment,
    )


def executed(result) -> set[str]:
    return set(re.findall(r"literate: executed (\S+)", result.stderr))


def append_block(book: Path, code: str, chapter: str = CHAPTER) -> int:
    """Add a Python block at the end of a chapter; returns the line of its first code line."""
    path = book / chapter
    text = path.read_text(encoding="utf-8").rstrip("\n") + "\n\n```{.python continuation}\n"
    first = text.count("\n") + 1
    path.write_text(text + code.rstrip("\n") + "\n```\n", encoding="utf-8")
    return first


def test_a_raising_block_fails_naming_file_and_line_and_is_not_cached(book):
    cache = sorted((book / ".cache/literate").glob("*.json"))
    line = append_block(book, "value = 1\nraise RuntimeError('injected fault')")
    result = build(book)
    assert result.returncode != 0
    assert f"{CHAPTER}:{line + 1}: RuntimeError: injected fault" in result.stderr
    assert sorted((book / ".cache/literate").glob("*.json")) == cache, "nothing from a failed run is cached"
    path = book / CHAPTER
    path.write_text(path.read_text().replace("raise RuntimeError('injected fault')", "print('fixed', value)"))
    fixed = build(book)
    assert fixed.returncode == 0, fixed.stderr
    assert "fixed 1" in (book / "site/zh/chapters/01-synthetic-data/index.html").read_text()


def test_a_block_that_never_ends_is_stopped_and_named(book):
    line = append_block(book, "import time\nwhile True:\n    time.sleep(0.05)")
    result = build(book, LITERATE_TIMEOUT="8")
    assert result.returncode != 0
    assert f"{CHAPTER}:{line}: timed out: the chapter ran longer than 8 s" in result.stderr
    workers = [
        p for p in psutil.process_iter(["cmdline", "cwd"])
        if "literate.worker" in " ".join(p.info["cmdline"] or []) and p.info["cwd"] == str(book)
    ]
    assert workers == [], "no worker process is left running"


def test_a_hand_edit_to_the_package_fails_and_names_the_chapter(book):
    module = book / "src/linreg/data.py"
    module.write_text(module.read_text().replace("torch.normal(0, 0.01", "torch.normal(0, 0.02"))
    check = subprocess.run(
        [sys.executable, "-m", "literate", "tangle", "--check"], cwd=book, capture_output=True, text=True
    )
    assert check.returncode == 1
    assert f"src/linreg/data.py differs from what its chapters produce. Edit {CHAPTER}" in check.stdout
    result = build(book)
    assert result.returncode != 0 and f"Edit {CHAPTER}" in result.stderr


def test_a_package_change_reruns_the_chapters_that_import_it(book):
    before = (book / "site").exists()
    assert not before
    assert build(book).returncode == 0
    page = book / "site/zh/chapters/02-reading-data/index.html"
    old = page.read_text()
    path = book / CHAPTER
    path.write_text(path.read_text().replace("y += torch.normal(0, 0.01, y.shape)", "y += 100 + torch.normal(0, 0.01, y.shape)"))
    subprocess.run([sys.executable, "-m", "literate", "tangle"], cwd=book, check=True, capture_output=True)
    result = build(book)
    assert result.returncode == 0, result.stderr
    ran = executed(result)
    assert {CHAPTER, "docs/chapters/02-reading-data.md"} <= ran
    importers = {
        f"docs/chapters/{p.name}" for p in (book / "docs/chapters").glob("*.md")
        if any("from linreg import" in b.code for b in parse_file(p).python_blocks)
    }
    assert ran <= importers | {CHAPTER}, "only chapters that import the package ran again"
    assert page.read_text() != old, "the page shows the new outputs, not stale ones"


def test_the_cache_key_follows_the_package_source_itself(book, monkeypatch):
    """Even a package edited behind the chapters' back (no tangle check) cannot serve stale outputs."""
    monkeypatch.setenv("PYTHONPATH", str(book / "src"))  # the worker imports the copy's package
    project = Project.load(book)
    chapter = book / "docs/chapters/02-reading-data.md"
    runs = []
    for _ in range(2):
        executor = Executor(project, book / ".cache/literate")
        try:
            runs.append(executor.run(chapter))
        finally:
            executor.close()
        module = book / "src/linreg/data.py"
        module.write_text(module.read_text().replace("return X, y.reshape((-1, 1))", "return X, 100 + y.reshape((-1, 1))"))
    first, second = runs
    assert second.executed and second.key != first.key
    assert second.outputs != first.outputs


def test_broken_links_and_anchors_fail_the_build_naming_the_page(book):
    path = book / CHAPTER
    path.write_text(path.read_text() + "\n[gone](02-no-such-chapter.md) and [nowhere](#no-such-anchor)\n")
    result = build(book)
    assert result.returncode != 0
    assert "chapters/01-synthetic-data.md" in result.stderr
    assert "02-no-such-chapter.md" in result.stderr and "no-such-anchor" in result.stderr


def test_output_that_looks_like_html_or_markdown_is_shown_as_text(book):
    append_block(book, 'print("<script>alert(1)</script> **bold** <img src=x>")\nprint("```python\\nfenced\\n```")')
    result = build(book)
    assert result.returncode == 0, result.stderr
    html = (book / "site/zh/chapters/01-synthetic-data/index.html").read_text()
    assert "&lt;script&gt;alert(1)&lt;/script&gt; **bold** &lt;img src=x&gt;" in html
    assert "<script>alert(1)" not in html and "<strong>bold</strong>" not in html
    assert "```python\nfenced\n```" in html


def test_two_executions_give_byte_identical_outputs(book, tmp_path):
    """The session's build executed every chapter once (its results are in the copied cache); run them all again."""
    project = Project.load(book)
    chapters = project.chapter_files()
    cached, fresh = Executor(project, book / ".cache/literate"), Executor(project, tmp_path / "fresh")
    try:
        for chapter in chapters:
            a, b = cached.run(chapter), fresh.run(chapter)
            assert not a.executed and b.executed
            for block, out_a, out_b in zip(parse_file(chapter).python_blocks, a.outputs, b.outputs):
                if "varying" not in block.options:
                    assert json.dumps(out_a) == json.dumps(out_b), f"{chapter.name}:{block.line} differs between runs"
    finally:
        cached.close()
        fresh.close()


def test_two_builds_at_once_both_succeed_alike_and_leave_a_sound_cache(book):
    project = Project.load(book)
    executor = Executor(project, book / ".cache/literate")
    for name in ("01-synthetic-data.md", "03-parameters.md", "04-model.md"):  # both builds must run these
        key = executor.key(parse_file(book / "docs/chapters" / name).python_blocks)
        (book / ".cache/literate" / f"{key}.json").unlink()
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda d: build(book, "--site-dir", d), ["site-a", "site-b"]))
    for result in results:
        assert result.returncode == 0, result.stderr
    def outputs(page: Path) -> list[str]:
        found = re.findall(r'<div class="(literate-output[^"]*)"(.*?)</div>', page.read_text(), re.S)
        return [body for classes, body in found if "literate-varying" not in classes]

    for page in (book / "site-a/chapters").rglob("index.html"):
        twin = book / "site-b" / page.relative_to(book / "site-a")
        assert outputs(page) == outputs(twin), page
    for entry in (book / ".cache/literate").glob("*.json"):
        json.loads(entry.read_text())  # every cache file is whole
    assert not list((book / ".cache/literate").glob("*.tmp"))
