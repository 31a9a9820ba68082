"""Faults of the cache family: every entry is checked on read (a bad one is a miss, made again,
never published), the notebook-page cache included, whose folder also follows the lock file."""

from __future__ import annotations

import errno
import importlib.metadata
import json
import os
from pathlib import Path

import pytest
from builds import PYPROJECT
from mkdocs.config import load_config

from literate.cache import drop_unreadable_json, environment_digest
from literate.project import Project
from literate.render.diagram import Diagrams
from literate.render.typeset import Typesetter
from literate.run import execute as execute_module
from literate.run.execute import ExecutionError, Executor


class CountingRenderer:
    """Stands in for the Node renderer: answers every question and counts them."""

    def __init__(self) -> None:
        self.asked: list[dict[str, object]] = []

    def ask(self, questions: list[dict[str, object]]) -> list[dict[str, str]]:
        self.asked += questions
        return [{"html": f"<span>{q['tex']}</span>"} if "tex" in q else {"svg": "<svg></svg>"} for q in questions]

    def fingerprint(self, package: str) -> str:
        return "1.0 script"


@pytest.mark.parametrize("damage", ["empty", "truncated"])
def test_a_damaged_math_or_diagram_entry_is_made_again_not_published(tmp_path, damage):
    renderer = CountingRenderer()
    math, diagrams = Typesetter(tmp_path / "math", renderer), Diagrams(tmp_path / "diagrams", renderer)
    assert math.render([("x^2", False)]) == ["<span>x^2</span>"]
    first = diagrams.draw("digraph { a -> b }")
    for entry in [*(tmp_path / "math").iterdir(), *(tmp_path / "diagrams").iterdir()]:
        entry.write_bytes(b"" if damage == "empty" else entry.read_bytes()[: len(entry.read_bytes()) // 2])
    assert math.render([("x^2", False)]) == ["<span>x^2</span>"]
    assert diagrams.draw("digraph { a -> b }") == first
    assert len(renderer.asked) == 4, "each damaged entry was a miss, rendered again"


def test_a_notebook_page_entry_cut_short_is_removed_and_a_whole_one_kept(tmp_path):
    whole = tmp_path / "a.json"
    whole.write_text(json.dumps({"content": "<p>page</p>", "toc_tokens": [], "title": None}))
    cut = tmp_path / "b.json"
    cut.write_text(whole.read_text()[:20])  # what a full disk leaves
    other = tmp_path / "c.json"
    other.write_text("[1, 2]")
    assert drop_unreadable_json(tmp_path, ("content", "toc_tokens")) == [cut, other]
    assert whole.exists() and not cut.exists() and not other.exists()


def test_the_notebook_page_cache_folder_follows_the_lock_file(tmp_path):
    lock = tmp_path / "requirements.lock"
    lock.write_text("nbconvert==7.0.0\n")
    before = environment_digest(lock, ("nbconvert", "mkdocs-jupyter"))
    assert environment_digest(lock, ("nbconvert", "mkdocs-jupyter")) == before
    lock.write_text("nbconvert==7.0.0\nnew-dependency==1.0\n")
    assert environment_digest(lock, ("nbconvert", "mkdocs-jupyter")) != before
    assert environment_digest(lock, ("nbconvert",)) != environment_digest(lock, ("nbconvert", "mkdocs-jupyter"))


JUPYTER_BOOK = """\
site_name: Fixture
markdown_extensions:
  - pymdownx.superfences
plugins:
  - literate
  - mkdocs-jupyter:
      include: ["notebooks/*.ipynb"]
      cache: true
"""


def jupyter_cache_folder(root: Path) -> Path:
    """Where the literate plugin, configuring a build of `root`, has mkdocs-jupyter cache its pages."""
    config = load_config(str(root / "mkdocs.yml"))
    literate = config.plugins["literate"]
    literate.on_config(config)
    literate.on_build_error(error=RuntimeError("configured only"))  # closes what on_config opened
    return Path(config.plugins["mkdocs-jupyter"].config["cache_dir"])


def test_the_plugin_names_the_notebook_page_cache_folder_by_lock_file_and_renderers(tmp_path, monkeypatch):
    """Fault 6: mkdocs-jupyter's own key has no dependency versions; its folder must have them."""
    (tmp_path / "pyproject.toml").write_text(PYPROJECT + 'lock = "requirements.lock"\n')
    (tmp_path / "mkdocs.yml").write_text(JUPYTER_BOOK)
    (tmp_path / "docs/chapters").mkdir(parents=True)
    (tmp_path / "requirements.lock").write_text("nbconvert==7.0.0\n")
    first = jupyter_cache_folder(tmp_path)
    assert first.is_relative_to(tmp_path / ".cache/literate") and first == jupyter_cache_folder(tmp_path)
    (tmp_path / "requirements.lock").write_text("nbconvert==7.0.0\nnew-dependency==1.0\n")
    after_lock = jupyter_cache_folder(tmp_path)
    real_version = importlib.metadata.version
    monkeypatch.setattr(importlib.metadata, "version", lambda name: "99" if name == "nbconvert" else real_version(name))
    after_upgrade = jupyter_cache_folder(tmp_path)
    assert len({first, after_lock, after_upgrade}) == 3, "a new lock file or renderer renders every page anew"


def book(tmp_path: Path) -> Project:
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    (tmp_path / "docs" / "chapters").mkdir(parents=True)
    (tmp_path / "src" / "pkg").mkdir(parents=True)
    (tmp_path / "src" / "pkg" / "__init__.py").write_text("")
    (tmp_path / "docs" / "chapters" / "a.md").write_text("# A\n\n```python\nprint('ran')\n```\n")
    return Project.load(tmp_path)


def test_the_execute_command_runs_a_corrupt_entry_again_rather_than_count_it_found(tmp_path):
    project = book(tmp_path)
    executor = Executor(project, tmp_path / ".cache")
    assert len(executor.fill_cache(project.source_chapters())) == 1
    (entry,) = (tmp_path / ".cache" / "execution").glob("*.json")
    entry.write_bytes(entry.read_bytes()[:-5])
    again = Executor(project, tmp_path / ".cache")
    assert [r.chapter.name for r in again.fill_cache(project.source_chapters())] == ["docs/chapters/a.md"]


def test_a_read_only_cache_is_one_line_naming_it(tmp_path, monkeypatch):
    project = book(tmp_path)
    cache = tmp_path / ".cache"
    cache.mkdir()
    cache.chmod(0o555)
    if os.geteuid() == 0:  # root writes into a read-only folder: the refusal it would get, made here

        def refuse(path, *args, **kwargs):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))

        monkeypatch.setattr(execute_module, "open", refuse, raising=False)
    try:
        with pytest.raises(ExecutionError) as error:
            Executor(project, cache).run_all(project.source_chapters())
    finally:
        cache.chmod(0o755)
    message = str(error.value)
    assert "\n" not in message and str(cache) in message and "cannot write the execution cache" in message


def test_a_notebook_page_entry_cut_short_by_a_full_disk_fails_no_later_build(tmp_path):
    from builds import mkdocs_build
    from tool.test_plugin import book as make_book

    fixture = make_book.__wrapped__(tmp_path)
    config = fixture / "mkdocs.yml"
    config.write_text(
        config.read_text()
        + '  - mkdocs-jupyter:\n      include: ["notebooks/*.ipynb"]\n      execute: false\n      cache: true\n'
    )
    first = mkdocs_build(fixture)
    assert first.returncode == 0, first.stderr
    entries = list((fixture / ".cache" / "literate" / "mkdocs-jupyter").glob("*/*.json"))
    assert entries, "the build cached its notebook pages"
    for entry in entries:
        entry.write_bytes(entry.read_bytes()[:300])  # what `ulimit -f` left
    again = mkdocs_build(fixture)
    assert again.returncode == 0, again.stderr
    assert all(str(entry) in again.stderr for entry in entries)  # each named as removed
    assert all(json.loads(entry.read_text())["content"] for entry in entries)  # and written whole again
