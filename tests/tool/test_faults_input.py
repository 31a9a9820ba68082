"""Every file the tool reads is validated: encoding, BOM, line endings, fences, front matter.

Issue 26's input faults, each on a small fixture: what MkDocs, the doc tests and the tool would
each read differently is refused, naming the file and line and the real cause; what can be built
right (a chapter linked to its source, a title not on a `# ` line, a docstring with quotes,
dollars in prose) is built right.
"""

from __future__ import annotations

import ast
import html as htmllib
import json
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from builds import fixture_mkdocs, mkdocs_build
from nbconvert.filters.markdown_mistune import markdown2html_mistune

from literate.export.page_notebook import literal_dollars, mark_escaped_dollars
from literate.project import Project
from literate.render.typeset import Typesetter
from literate.source import tangle
from literate.source.blocks import ChapterError, parse_file, parse_markdown, title_end

ROOT = Path(__file__).resolve().parents[2]
SAVING = (
    "---\nmodule: shapes\n---\n# Shapes\n\n```{.python continuation}\ndef area(r):  #@save\n    return r * r\n```\n"
)


def project_book(folder: Path, chapters: dict[str, str]) -> Path:
    (folder / "pyproject.toml").write_text(
        '[tool.literate]\nchapters = "docs/chapters"\npackage = "pkg"\npackage_dir = "src/pkg"\n'
    )
    (folder / "docs/chapters").mkdir(parents=True)
    for name, text in chapters.items():
        (folder / "docs/chapters" / name).write_text(text)
    return folder


def write_chapter(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "ch.md"
    path.write_bytes(data)
    return path


# -- faults 4 and 12: one reader for encoding, BOM and line endings ----------------------------


def test_a_byte_order_mark_is_refused_naming_it(tmp_path):
    path = write_chapter(tmp_path, "\ufeff# T\n\n```python\nx = 1\n```\n".encode())
    with pytest.raises(ChapterError, match=r"^ch.md:1: the file starts with a UTF-8 byte order mark"):
        parse_file(path, "ch.md")


def test_a_byte_order_mark_with_save_names_the_bom_not_the_front_matter(tmp_path):
    """The front matter after a BOM was not seen, so the old error blamed a missing `module:`."""
    book = project_book(tmp_path, {"01-shapes.md": "\ufeff" + SAVING})
    with pytest.raises(ChapterError, match=r"docs/chapters/01-shapes.md:1: .*byte order mark"):
        tangle.expected_files(Project.load(book))


@pytest.mark.parametrize(("ending", "kind"), [("\r\n", "CRLF"), ("\r", "CR")])
def test_carriage_returns_are_refused_naming_the_first_line(tmp_path, ending, kind):
    text = "# T\n\nprose\n\n```python\nx = 1" + ending + "y = 2\n```\n"
    path = write_chapter(tmp_path, text.encode())
    with pytest.raises(ChapterError, match=rf"^ch.md:6: {kind} line endings: save the file with LF"):
        parse_file(path, "ch.md")


def test_a_whole_crlf_file_is_refused_at_line_one(tmp_path):
    path = write_chapter(tmp_path, SAVING.replace("\n", "\r\n").encode())
    with pytest.raises(ChapterError, match=r"^ch.md:1: CRLF line endings"):
        parse_file(path, "ch.md")


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("# T\n\n- a step:\n\n    ```python\n    x = 1\n    ```\n", 5),
        ("# T\n\n> quoted:\n>\n> ```{.python continuation}\n> x = 1\n> ```\n", 5),
        ("# T\n\n1. first\n2. second\n   ```py\n   x = 1\n   ```\n", 5),
    ],
)
def test_a_nested_python_fence_is_named(text, line):
    with pytest.raises(ChapterError, match=rf"^ch.md:{line}: nested Python fence at line {line}"):
        parse_markdown(text, "ch.md")


def test_a_nested_fence_of_another_language_is_shown_not_refused():
    chapter = parse_markdown("# T\n\n- a list\n\n    ```text\n    output\n    ```\n", "ch.md")
    assert chapter.blocks == ()


def test_the_doc_tests_refuse_what_the_build_refuses(tmp_path):
    """pytest-markdown-docs runs a nested fence the build skips: the runner checks the file first."""
    (tmp_path / "ch.md").write_text("# T\n\n- a step:\n\n    ```python\n    assert False\n    ```\n")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--markdown-docs", "-p", "literate.adapter.pytest_plugin", "ch.md"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0, result.stdout
    assert "ch.md:5: nested Python fence at line 5" in result.stdout


# -- fault 3: an unclosed fence --------------------------------------------------------------


@pytest.mark.parametrize("info", ["{.python continuation}", "text", ""])
def test_an_unclosed_fence_names_the_line_where_it_opens(info):
    text = f"# T\n\n```python\nx = 1\n```\n\nprose\n\n```{info}\ny = 2\n\nmore prose\n"
    with pytest.raises(ChapterError, match=r"^ch.md:9: the ``` fence opened here is never closed"):
        parse_markdown(text, "ch.md")


def test_a_closing_fence_longer_than_the_opening_or_without_a_newline_closes_it():
    assert [b.code for b in parse_markdown("```python\nx = 1\n`````").blocks] == ["x = 1\n"]
    assert [b.code for b in parse_markdown("````python\n```\n````\n").blocks] == ["```\n"]
    with pytest.raises(ChapterError, match=r"^<string>:1: the ```` fence"):
        parse_markdown("````python\nx = 1\n```\n")


# -- the front matter: closed, and `wraps:` a boolean ----------------------------------------


def test_an_unclosed_front_matter_names_line_one():
    with pytest.raises(ChapterError, match=r"^ch.md:1: the front matter opened here is never closed"):
        parse_markdown("---\nmodule: data\n# Title\n\n```python\nx = 1\n```\n", "ch.md")


@pytest.mark.parametrize("value", ['"true"', "1", "yes please"])
def test_wraps_that_is_not_a_boolean_names_its_line(tmp_path, value):
    book = project_book(tmp_path, {"01-shapes.md": SAVING.replace("---\n#", f"wraps: {value}\n---\n#")})
    with pytest.raises(tangle.TangleError, match=r"^docs/chapters/01-shapes.md:3: `wraps:` is `true` or `false`"):
        tangle.expected_files(Project.load(book))


# -- fault 2: the notebook links go after the real title -------------------------------------


@pytest.mark.parametrize(
    ("markdown", "after"),
    [
        ("# Title\n\ntext\n", 1),
        ("Title\n=====\n\n```python\n# a comment\n```\n", 2),
        ("Some text\n\n```python\n# a comment\nx = 1\n```\n", 0),
        ("```python\n# a comment\n```\n\n# Late title\n", 5),
        ("## Section\n\n# Title\n", 3),
    ],
)
def test_the_title_is_found_by_parsing_not_by_a_line_prefix(markdown, after):
    assert title_end(markdown) == after


# -- fault 11: module_doc becomes a valid docstring, or a clear error ------------------------


@pytest.mark.parametrize(
    "doc",
    ['Shapes, "quoted"', 'Three quotes """ inside', 'Ends in """', "A backslash \\n stays two characters\\"],
)
def test_module_doc_with_quotes_and_backslashes_is_the_module_docstring(tmp_path, doc):
    escaped = doc.replace("\\", "\\\\").replace('"', '\\"')
    book = project_book(tmp_path, {"01-shapes.md": SAVING.replace("---\n#", f'module_doc: "{escaped}"\n---\n#')})
    tangle.write(Project.load(book))
    source = (book / "src/pkg/shapes.py").read_text()
    assert ast.get_docstring(ast.parse(source), clean=False) == doc


@pytest.mark.parametrize(("value", "problem"), [("[1, 2]", "must be text"), ('"nul \\0 inside"', "cannot be")])
def test_a_module_doc_that_cannot_be_a_docstring_names_its_front_matter_line(tmp_path, value, problem):
    book = project_book(tmp_path, {"01-shapes.md": SAVING.replace("---\n#", f"module_doc: {value}\n---\n#")})
    with pytest.raises(tangle.TangleError, match=rf"^docs/chapters/01-shapes.md:3: `module_doc:` {problem}"):
        tangle.expected_files(Project.load(book))


# -- fault 13: dollars in a notebook page's prose ---------------------------------------------


def formulas_found(html: str) -> list[tuple[str, bool]]:
    found: list[tuple[str, bool]] = []

    def note(tex: str, display: bool) -> str:
        found.append((tex, display))
        return "MATH"

    Typesetter._rewrite(Typesetter.__new__(Typesetter), html, note)
    return found


def cell(markdown: str) -> str:
    """A Markdown cell as a notebook page has it: rendered by nbconvert, which drops the `\\` of `\\$`."""
    return f'<div class="jp-RenderedMarkdown jp-MarkdownOutput">\n{markdown2html_mistune(markdown)}\n</div>'


@pytest.mark.parametrize(
    "prose",
    [
        "It costs $5 and the other one $1.",
        "From $5 to $10, then $3.",
        "Escaped: \\$5 and \\$1, from \\$5-\\$10.",
        "A price of $5, of $ 7 and of 8$ here.",
    ],
)
def test_prices_are_not_math_on_notebook_pages(prose):
    assert formulas_found(cell(prose)) == []


def test_math_on_notebook_pages_is_still_typeset():
    found = formulas_found(cell("Loss $\\ell(w) = w^2$, cost \\$5 and $$\\sum_i x_i$$, and $a\\$b$."))
    assert found == [("\\ell(w) = w^2", False), ("\\sum_i x_i", True), ("a\\$b", False)]


def notebook_page_cell(markdown: str) -> str:
    """A Markdown cell the way the notebook page now renders it: escaped dollars marked in the
    page's notebook, rendered by nbconvert, then made literal dollars."""
    return literal_dollars(cell(mark_escaped_dollars(markdown)))


@pytest.mark.parametrize(
    ("prose", "shown", "formulas"),
    [
        ("costs \\$5 and \\$1", "costs $5 and $1", []),
        ("\\$x\\$ and a\\$b\\$c", "$x$ and a$b$c", []),
        ("math $a\\$b$ then \\$y\\$", "math MATH then $y$", [("a\\$b", False)]),
        ("a backslash \\\\$y$", "a backslash \\MATH", [("y", False)]),
        ("code `\\$x\\$` stays", "code \\$x\\$ stays", []),
    ],
)
def test_an_escaped_dollar_is_never_a_delimiter_on_notebook_pages(prose, shown, formulas):
    html = notebook_page_cell(prose)
    assert formulas_found(html) == formulas
    text = Typesetter._rewrite(Typesetter.__new__(Typesetter), html, lambda tex, display: "MATH")
    assert shown_text(text).strip() == shown


PRICES = """\
# Prices

It costs \\$5 and \\$1; \\$x\\$ is a price tag, not math. A formula: $a\\$b$, and $y^2$.

```{.python continuation}
print("done")
```
"""
MKDOCS_NOTEBOOKS = fixture_mkdocs(
    """\
  - literate
  - mkdocs-jupyter:
      include: ["notebooks/*.ipynb"]
      ignore: ["*.md"]
      execute: false
      custom_mathjax_url: "data:text/javascript,"
""",
    ("attr_list", "pymdownx.arithmatex:\n      generic: true", "pymdownx.superfences"),
)


class ShownText(HTMLParser):
    """What a reader sees of a page: its text, each formula as `[math:TeX]` (KaTeX's annotation),
    the formulas' drawn and MathML parts left out."""

    def __init__(self) -> None:
        super().__init__()  # character references are converted: `&#36;` reads `$`
        self.parts: list[str] = []
        self.hidden: list[str] = []  # the open tags whose text is not read as text

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.hidden or tag == "math" or ("aria-hidden", "true") in attrs:
            self.hidden.append(tag)
        if tag == "annotation":
            self.parts.append("[math:")

    def handle_endtag(self, tag: str) -> None:
        if tag == "annotation":
            self.parts.append("]")
        if self.hidden and self.hidden[-1] == tag:
            self.hidden.pop()

    def handle_data(self, data: str) -> None:
        if not self.hidden or self.hidden[-1] == "annotation":
            self.parts.append(data)


def shown_text(html: str) -> str:
    parser = ShownText()
    parser.feed(html)
    return "".join(parser.parts)


@pytest.mark.slow
@pytest.mark.skipif(not (ROOT / "node_modules/katex").is_dir(), reason="needs `npm ci`")
def test_an_escaped_dollar_is_a_dollar_on_both_pages_and_in_the_notebook(tmp_path):
    book = project_book(tmp_path, {"01-prices.md": PRICES})
    (book / "mkdocs.yml").write_text(MKDOCS_NOTEBOOKS)
    (book / "docs/index.md").write_text("# Home\n")
    (book / "node_modules").symlink_to(ROOT / "node_modules")
    tangle.write(Project.load(book))
    result = mkdocs_build(book)
    assert result.returncode == 0, result.stderr
    expected = "It costs $5 and $1; $x$ is a price tag, not math. A formula: [math:a\\$b], and [math:y^2]."
    for page in ("chapters/01-prices/index.html", "notebooks/01-prices/index.html"):
        shown = shown_text((book / "site" / page).read_text())
        at = shown.find("It costs")
        assert shown[at : at + len(expected)] == expected, page
    downloaded = json.loads((book / "site/downloads/01-prices.ipynb").read_text())
    # Jupyter reads `\\$` as a literal dollar (and `$…$` as math), as the chapter's Markdown does.
    assert "It costs \\$5 and \\$1; \\$x\\$ is a price tag" in downloaded["cells"][0]["source"]


FIGURE = """\
# A figure

```{.python continuation}
import matplotlib.pyplot as plt
fig, ax = plt.subplots()
ax.plot([3, 2, 1])
ax.set_title("Loss & “error” per époque")
ax.set_xlabel("epoch")
ax.set_ylabel("loss");
```
"""


@pytest.mark.slow
def test_a_notebook_page_figure_has_the_chapter_pages_alt_text(tmp_path):
    book = project_book(tmp_path, {"01-figure.md": FIGURE})
    (book / "mkdocs.yml").write_text(MKDOCS_NOTEBOOKS)
    (book / "docs/index.md").write_text("# Home\n")
    tangle.write(Project.load(book))
    result = mkdocs_build(book)
    assert result.returncode == 0, result.stderr
    alts = {}
    for page in ("chapters/01-figure/index.html", "notebooks/01-figure/index.html"):
        html = (book / "site" / page).read_text()
        images = re.findall(r"<img\b[^>]*>", html[html.index('<article class="md-content__inner') :])
        alts[page] = [htmllib.unescape(m) for img in images for m in re.findall(r'\balt="([^"]*)"', img)]
    assert alts["chapters/01-figure/index.html"] == ["Loss & “error” per époque"]
    assert alts["notebooks/01-figure/index.html"] == alts["chapters/01-figure/index.html"]
    downloaded = json.loads((book / "site/downloads/01-figure.ipynb").read_text())
    (figure,) = [o for c in downloaded["cells"] for o in c.get("outputs", ()) if "image/svg+xml" in o.get("data", {})]
    assert figure["metadata"] == {"image/svg+xml": {"alt": "Loss & “error” per époque"}}


# -- fault 1 and 2 in a build: a chapter linked to its source; a title not on a `# ` line -----

MKDOCS = fixture_mkdocs("  - literate\n")
MKDOCS_EN = (
    "INHERIT: mkdocs.yml\ndocs_dir: docs-en\nsite_dir: site-en\nplugins:\n  - literate:\n      chapters: chapters\n"
)
SETEXT = """\
---
title: Comments
---
Comments
========

```{.python continuation}
# the answer
print(6 * 7)
```
"""


@pytest.mark.slow
def test_a_linked_chapter_is_built_as_the_chapter_it_points_to(tmp_path):
    book = project_book(tmp_path, {"01-comments.md": SETEXT})
    (book / "mkdocs.yml").write_text(MKDOCS)
    (book / "mkdocs.en.yml").write_text(MKDOCS_EN)
    (book / "docs/index.md").write_text("# Home\n")
    (book / "docs-en/chapters").mkdir(parents=True)
    (book / "docs-en/index.md").write_text("# Home\n")
    (book / "docs-en/chapters/01-comments.md").symlink_to("../../docs/chapters/01-comments.md")
    tangle.write(Project.load(book))
    for config, site in (("mkdocs.yml", "site"), ("mkdocs.en.yml", "site-en")):
        result = mkdocs_build(book, "-f", config)
        assert result.returncode == 0, result.stderr
        html = (book / site / "chapters/01-comments/index.html").read_text()
        assert re.search(r"<code>42\s*</code>", html), f"{site}: the output is woven in"
        assert (book / site / "notebooks/01-comments.ipynb").is_file()
        link = html.index('class="literate-notebook"')
        # Outside the listing, whose `# the answer` line the old rule took for the title.
        assert html.rfind("<pre", 0, link) < html.rfind("</pre>", 0, link) or "<pre" not in html[:link]
        assert html.index("<h1", 0) < link < html.index("# the answer")


@pytest.mark.slow
@pytest.mark.skipif(not (ROOT / "node_modules/@viz-js/viz").is_dir(), reason="needs `npm ci`")
def test_a_failing_diagram_on_a_page_the_reader_refuses_stops_the_build(tmp_path):
    """Finding the diagram's line reads the page; a page with CRLF endings must still fail the build,
    not have superfences publish the diagram's source as a code block."""
    book = project_book(tmp_path, {})
    (book / "mkdocs.yml").write_text(MKDOCS.replace("  - literate\n", "  - literate:\n      execute: false\n"))
    (book / "docs/index.md").write_bytes(b"# Home\r\n\r\n```dot\r\ndigraph { a -> }\r\n```\r\n")
    (book / "node_modules").symlink_to(ROOT / "node_modules")
    tangle.write(Project.load(book))
    result = mkdocs_build(book)
    assert result.returncode != 0
    assert "docs/index.md:1: CRLF line endings: save the file with LF" in result.stderr
    assert not (book / "site/index.html").exists()
