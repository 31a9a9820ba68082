"""What building needs, broken on purpose: `make site` on a small two-edition fixture book.

Building needs Python and Node.js, nothing else: the diagrams are drawn by Graphviz compiled to
WebAssembly (an npm package), never by a `dot` on the PATH. A diagram Graphviz rejects, a formula
KaTeX rejects, a renderer that is not installed, and a Node that is missing or too old each
stop `make` with a message naming what to fix (the file and line where there is one), and leave
the published site as it was: nothing is published in place of what failed.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
from builds import PYPROJECT, ROOT, free_port, make_site

from literate.project import Project
from literate.source import tangle

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        shutil.which("node") is None or not (ROOT / "node_modules/@viz-js/viz").is_dir(),
        reason="needs Node and `npm ci`",
    ),
]

MKDOCS = """\
site_name: Fixture
site_dir: site/zh
strict: true
theme:
  name: material
  font: false
  language: zh
markdown_extensions:
  - pymdownx.arithmatex:
      generic: true
  - pymdownx.superfences
plugins:
  literate:
    execute: false
"""
MKDOCS_EN = "INHERIT: mkdocs.yml\ndocs_dir: docs-en\nsite_dir: site/en\ntheme:\n  language: en\n"
DIAGRAM = """\
```dot
digraph "循环" {
    node [shape=box fontname="sans-serif"]
    D [label=<数据<br/><font face="monospace">data_iter</font>>]
    D -> M -> L
    L -> D [label="下一个"]
}
```
"""
CHAPTER = f"# 第一章\n\n一个公式 $\\ell(w) = w^2$。\n\n{DIAGRAM}\n后文。\n"
ENGLISH = "# Notes\n\nA formula $\\frac{{a}}{{b}}$ and a diagram:\n\n" + DIAGRAM.replace("循环", "Loop")


def fixture_book(folder: Path) -> Path:
    """Two editions (docs/, docs-en/) built by the project's own Makefile, execution off."""
    folder.mkdir()
    (folder / "pyproject.toml").write_text(PYPROJECT)
    (folder / "mkdocs.yml").write_text(MKDOCS)
    (folder / "mkdocs.en.yml").write_text(MKDOCS_EN)
    for name in ("Makefile", "package.json"):  # package.json says which Node it needs
        shutil.copy(ROOT / name, folder / name)
    shutil.copytree(ROOT / "site-root", folder / "site-root")
    (folder / "docs/chapters").mkdir(parents=True)
    (folder / "docs/index.md").write_text("# 首页\n\n[第一章](chapters/01-loop.md)\n")
    (folder / "docs/chapters/01-loop.md").write_text(CHAPTER)
    (folder / "docs-en").mkdir()
    (folder / "docs-en/index.md").write_text(ENGLISH)
    (folder / "node_modules").symlink_to(ROOT / "node_modules")
    tangle.write(Project.load(folder))  # a package with nothing in it: the build checks it
    return folder


def executable(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def snapshot(site: Path) -> dict[str, str]:
    return {
        str(p.relative_to(site)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(site.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def book(tmp_path: Path) -> Path:
    return fixture_book(tmp_path / "book")


@pytest.fixture
def published(book: Path, tmp_path: Path) -> dict[str, str]:
    """The fixture book built and published once, with a `dot` first on the PATH that fails and
    leaves a trace when run: the build must not use Graphviz from the system."""
    trace = tmp_path / "dot-was-run"
    fake = executable(tmp_path / "fake-bin/dot", f'#!/bin/sh\necho "$@" >> {trace}\necho "not this dot" >&2\nexit 1\n')
    result = make_site(
        book, book / "site", f"http://127.0.0.1:{free_port()}", PATH=f"{fake.parent}{os.pathsep}{os.environ['PATH']}"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert not trace.exists(), "the build ran `dot`"
    return snapshot(book / "site")


def test_the_diagrams_are_drawn_without_graphviz_on_the_system(book, published):
    for page in ("zh/chapters/01-loop/index.html", "en/index.html"):
        html = (book / "site" / page).read_text()
        svg = re.search(r'<div class="literate-diagram"><svg role="img".*?</svg></div>', html, re.DOTALL)
        assert svg, f"{page}: no inline SVG diagram"
        assert svg[0].count('class="node"') == 3 and "下一个" in svg[0], page
        assert "```" not in html and "digraph" not in html, f"{page}: the DOT source is on the page"
    assert (book / ".cache/literate/diagrams").is_dir()


def test_a_bad_diagram_and_a_bad_formula_stop_make_site_naming_file_and_line(book, published):
    """One run: the Chinese edition's diagram, the English edition's formula; both are named
    with their file and line, and the published site is left as it was."""
    chapter = book / "docs/chapters/01-loop.md"
    chapter.write_text(chapter.read_text().replace("D -> M -> L", "D -> M -> -> L"))
    bad_line = chapter.read_text().split("\n").index("    D -> M -> -> L") + 1
    english = book / "docs-en/index.md"
    english.write_text(english.read_text() + "\nThen $\\frac{1$ breaks.\n")
    math_line = english.read_text().count("\n")  # the last line
    result = make_site(book, book / "site", f"http://127.0.0.1:{free_port()}")
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert f"docs/chapters/01-loop.md:{bad_line}: Graphviz cannot draw this diagram: syntax error in line 4" in output
    assert f"docs-en/index.md:{math_line}: KaTeX cannot typeset:" in output and "\\frac{1" in output
    assert snapshot(book / "site") == published, "the published site is as it was"
    assert not list(book.glob("site.*")), "no half-built site beside it"


def test_without_the_diagram_renderer_installed_make_site_says_to_run_npm_ci(book, published, tmp_path):
    modules = tmp_path / "node_modules_without_viz"
    modules.mkdir()
    (modules / "katex").symlink_to(ROOT / "node_modules/katex")
    (book / "node_modules").unlink()
    (book / "node_modules").symlink_to(modules)
    shutil.rmtree(book / ".cache/literate/diagrams")  # a warm cache would not need the renderer
    result = make_site(book, book / "site", f"http://127.0.0.1:{free_port()}")
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert re.search(r"docs/chapters/01-loop\.md:\d+: \S+/@viz-js/viz/package\.json not found: run `npm ci`", output), (
        output
    )
    assert snapshot(book / "site") == published


def path_without_node(folder: Path) -> str:
    """A PATH with every command of this one except `node`."""
    folder.mkdir()
    for directory in os.environ["PATH"].split(os.pathsep):
        if not os.path.isdir(directory):
            continue
        for entry in os.scandir(directory):
            target = folder / entry.name
            if entry.name != "node" and not target.exists() and not target.is_symlink():
                target.symlink_to(entry.path)
    return str(folder)


@pytest.mark.parametrize("node", ["missing", "too old"])
def test_make_site_without_a_recent_enough_node_says_which_and_where_before_setting_up(book, tmp_path, node):
    site = book / "site"
    (site / "zh").mkdir(parents=True)
    (site / "zh/index.html").write_text("published before")
    path = path_without_node(tmp_path / "bin")
    if node == "too old":
        executable(tmp_path / "old/node", "#!/bin/sh\necho v18.19.0\n")
        path = f"{tmp_path / 'old'}{os.pathsep}{path}"
    assert shutil.which("node", path=path) != shutil.which("node")
    # BIN names no virtualenv, and the fixture has no requirements.lock: had the check let
    # make go on, setting up would fail, not install anything.
    result = subprocess.run(
        ["make", "--no-print-directory", "site", f"SITE={site}", f"BIN={tmp_path / 'no-venv'}"],
        cwd=book,
        capture_output=True,
        text=True,
        env={**os.environ, "PATH": path},
    )
    assert result.returncode != 0
    found = "v18.19.0" if node == "too old" else "no `node` on PATH"
    assert (
        f"Node.js 20 or newer is needed to build the site (KaTeX and Graphviz run under it); found: {found}."
        in result.stderr
    )
    assert "https://nodejs.org/" in result.stderr
    assert result.stdout == "", "nothing else ran"
    assert not (tmp_path / "no-venv").exists() and not (book / ".cache").exists()
    assert (site / "zh/index.html").read_text() == "published before"
