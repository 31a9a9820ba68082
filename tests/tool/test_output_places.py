"""An output that names a chapter line (a warning, a printed traceback) names the page's own file
and line, whichever edition shows it and after any prose edit, without running the chapter again."""

from __future__ import annotations

import shutil

from pool_books import chapter, project

from literate.project import Project
from literate.run.execute import Executor
from literate.run.outputs import Stream

WARNS = chapter("""
import warnings
x = 1
---
import traceback
warnings.warn("the learning rate is large")
try:
    1 / 0
except ZeroDivisionError:
    traceback.print_exc()
""")


def stderr(run) -> str:
    return "".join(o.text for block in run.outputs for o in block if isinstance(o, Stream) and o.name == "stderr")


def runs(book: Project, folder: str = "docs/chapters"):
    executor = Executor(book, book.root / ".cache", workers=1)
    chapters = [book.parse(p) for p in sorted((book.root / folder).glob("*.md"))]
    return executor, executor.run_all(chapters)


def line_of(text: str, needle: str) -> int:
    return text.split("\n").index(needle) + 1


def test_a_warning_names_the_chapter_line_it_came_from(tmp_path):
    book = project(tmp_path, a=WARNS)
    _, (run,) = runs(book)
    text = (tmp_path / "docs/chapters/a.md").read_text()
    warned, raised = line_of(text, 'warnings.warn("the learning rate is large")'), line_of(text, "    1 / 0")
    assert f"docs/chapters/a.md:{warned}: UserWarning: the learning rate is large" in stderr(run)
    assert f'File "docs/chapters/a.md", line {raised}, in <module>' in stderr(run)


def test_after_a_prose_edit_the_cached_output_names_the_new_line(tmp_path):
    book = project(tmp_path, a=WARNS)
    runs(book)
    path = tmp_path / "docs/chapters/a.md"
    path.write_text(path.read_text().replace("# Chapter\n", "# Chapter\n\nA new paragraph,\nthree lines\nlong.\n"))
    executor, (run,) = runs(book)
    assert executor.executed == [], "a prose edit runs nothing"
    text = path.read_text()
    warned, raised = line_of(text, 'warnings.warn("the learning rate is large")'), line_of(text, "    1 / 0")
    assert f"docs/chapters/a.md:{warned}: UserWarning" in stderr(run)
    assert f'File "docs/chapters/a.md", line {raised}, in <module>' in stderr(run)
    assert f"a.md:{warned - 4}:" not in stderr(run)


def test_the_english_edition_names_its_own_file_and_line(tmp_path):
    book = project(tmp_path, a=WARNS)
    runs(book)
    english = tmp_path / "docs-en/chapters"
    english.mkdir(parents=True)
    shutil.copy(tmp_path / "docs/chapters/a.md", english / "a.md")
    text = WARNS.replace("# Chapter\n", "# The chapter\n\nIn English, and longer.\n")
    (english / "a.md").write_text(text)
    executor, (run,) = runs(book, "docs-en/chapters")
    assert executor.executed == [], "the same code: the Chinese run's outputs are reused"
    warned = line_of(text, 'warnings.warn("the learning rate is large")')
    assert f"docs-en/chapters/a.md:{warned}: UserWarning" in stderr(run)
    assert "docs/chapters" not in stderr(run)


def test_text_that_only_looks_like_a_place_is_kept_as_printed(tmp_path):
    printed = 'print("docs/chapters/a.md:1: not a block line; docs/chapters/b.md:4: another file")\n'
    book = project(tmp_path, a=chapter(printed + "print('\\x00 a NUL kept')"))
    runs(book)
    _, (run,) = runs(book)  # from the cache
    out = "".join(o.text for block in run.outputs for o in block if isinstance(o, Stream))
    assert out == "docs/chapters/a.md:1: not a block line; docs/chapters/b.md:4: another file\n\x00 a NUL kept\n"
