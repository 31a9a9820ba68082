"""Fixture books for the tests that run chapters in the pool without MkDocs (tests/tool/test_execute.py,
tests/tool/test_run_faults.py): a project with a package `pkg` and chapters made of code strings."""

from __future__ import annotations

import textwrap
from pathlib import Path

from builds import PYPROJECT

from literate.project import Project
from literate.run.execute import Executor


def chapter(code: str) -> str:
    """A chapter with one Python block per code string (blocks separated by a line `---`)."""
    blocks = textwrap.dedent(code).strip("\n").split("\n---\n")
    return "# Chapter\n\n" + "\n\n".join(f"```{{.python continuation}}\n{b}\n```" for b in blocks) + "\n"


def project(tmp_path: Path, **chapters: str) -> Project:
    """A book in tmp_path whose package says where it was imported from (`pkg.ORIGIN`)."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    folder = tmp_path / "docs" / "chapters"
    folder.mkdir(parents=True)
    (tmp_path / "src" / "pkg").mkdir(parents=True)
    (tmp_path / "src" / "pkg" / "__init__.py").write_text("ORIGIN = 'project source'\n")
    for name, text in chapters.items():
        (folder / f"{name}.md").write_text(text)
    return Project.load(tmp_path)


def run(book: Project, workers: int = 2, **options):
    """Every chapter of the book, through the executor the build uses."""
    executor = Executor(book, book.root / ".cache", workers=workers, **options)
    return executor.run_all(book.source_chapters())
