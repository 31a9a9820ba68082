"""Export a chapter and its executed outputs as a Jupyter notebook (nbformat 4) that works
away from the site: downloaded, opened anywhere.

- Prose between blocks becomes markdown cells; each Python block a code cell with its outputs.
- It runs with nothing but the chapter's third-party imports installed: a first code cell
  defines the modules of the tangled package the chapter imports, from their source text, so the
  chapter's own `from pkg import ...` lines run unchanged.
- Its prose reads like the page: Chinese lines joined as on the site (`cjk.join_cjk_lines`), and
  relative links made absolute to the site (or reduced to their text when they cannot be).
"""

from __future__ import annotations

import ast
import json
import posixpath
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

from literate.project import Project
from literate.render.cjk import join_cjk_lines
from literate.run.outputs import Error, Figure, Output, Result, Stream, Truncated
from literate.source.blocks import Block, Chapter
from literate.source.imports import package_modules, third_party

Cell = dict[str, Any]
Resolver = Callable[[str], str | None]

# Tag of the package cell: mkdocs-jupyter's `remove_tag_config: {remove_input_tags: [...]}` hides
# its code on the rendered page; Jupyter shows it folded (`jupyter.source_hidden`).
PACKAGE_TAG = "literate-package"
SVG = "image/svg+xml"


@dataclass(frozen=True)
class SetupTexts:
    """The words around the package cell, in the book's language (the plugin's `notebook_setup`).

    `explanation` may use {package}, {modules} and {needs}; `install` uses {wheel_url}.
    """

    explanation: str
    install: str
    separator: str = ", "


SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*:|//)")  # http:, mailto:, //host: already absolute
# A code span or fenced block (left alone), or an inline link or image `[text](target "title")`.
INLINE = re.compile(
    r"(?P<code>`{1,3})(?:.|\n)*?(?P=code)"
    r"|(?P<bang>!?)\[(?P<text>[^\]\n]*)\]\((?P<target>[^)\s]+)(?P<title>\s+\"[^\"\n]*\")?\)"
)
REFERENCE = re.compile(r"^(?P<label> {0,3}\[[^\]\n]+\]:[ \t]*)(?P<target>\S+)(?P<rest>.*)$", re.MULTILINE)


def absolute_links(markdown: str, resolve: Resolver) -> str:
    """Relative link targets replaced by `resolve(target)`; a link it cannot resolve (None)
    becomes its text, an image its alt text, a reference definition is dropped."""

    def inline(match: re.Match[str]) -> str:
        target = match["target"]
        if match["code"] or SCHEME.match(target or ""):
            return str(match[0])
        url = resolve(target)
        if url is None:
            return str(match["text"])
        return f"{match['bang']}[{match['text']}]({url}{match['title'] or ''})"

    def reference(match: re.Match[str]) -> str:
        if SCHEME.match(match["target"]):
            return str(match[0])
        url = resolve(match["target"])
        return "" if url is None else f"{match['label']}{url}{match['rest']}"

    return INLINE.sub(inline, REFERENCE.sub(reference, markdown))


def site_resolver(site_url: str | None, page_src_uri: str, url_of: Callable[[str], str | None]) -> Resolver:
    """Resolve a link written in the page `page_src_uri` (a docs-relative source path) to an
    absolute URL: `url_of` maps a source path to its site URL (MkDocs' `File.url`)."""

    def resolve(target: str) -> str | None:
        path, _, anchor = target.partition("#")
        uri = posixpath.normpath(posixpath.join(posixpath.dirname(page_src_uri), path)) if path else page_src_uri
        url = url_of(uri) if site_url else None
        if site_url is None or url is None:
            return None
        return urljoin(site_url, url) + (f"#{anchor}" if anchor else "")

    return resolve


def package_sources(package: str, package_dir: Path, modules: list[Path]) -> dict[str, str]:
    """Module name -> source text, for `modules` of the package and the package itself, whose
    `__init__` keeps its docstring and the relative imports of those modules only."""
    init = package_dir / "__init__.py"
    text = init.read_text(encoding="utf-8") if init.exists() else ""
    lines = text.split("\n")
    names = {p.stem for p in modules}
    docstring: list[str] = []
    imports: list[str] = []
    for number, node in enumerate(ast.parse(text).body):
        if number == 0 and isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            docstring.append("\n".join(lines[node.lineno - 1 : node.end_lineno]))
        elif isinstance(node, ast.ImportFrom) and node.level == 1 and node.module in names:
            imports.append("\n".join(lines[node.lineno - 1 : node.end_lineno]))
    sources = {package: "\n\n".join(part for part in ("\n".join(docstring), "\n".join(imports)) if part) + "\n"}
    for path in sorted(modules):
        sources[f"{package}.{path.stem}"] = path.read_text(encoding="utf-8")
    return sources


def _literal(text: str) -> str:
    """`text` as a readable Python literal: a raw triple-quoted string where that is exact."""
    if "'''" not in text and not text.endswith(("\\", "'")):
        return "r'''" + text + "'''"
    return repr(text)


def package_code(package: str, sources: dict[str, str]) -> str:
    """A code cell that makes `import package` (and its submodules) load `sources`."""
    entries = "".join(f"    {name!r}: {_literal(text)},\n" for name, text in sources.items())
    return f'''# The package `{package}` as the earlier chapters saved it (#@save), defined here from its
# source so that this notebook needs nothing else. Generated: each definition names the chapter
# line it came from. It prints nothing.
import importlib.abc
import importlib.util
import sys

_PACKAGE_SOURCES = {{
{entries}}}


class _SourceImporter(importlib.abc.MetaPathFinder, importlib.abc.InspectLoader):
    """Imports the modules in _PACKAGE_SOURCES from their text, ahead of any installed copy."""

    def __init__(self, sources):
        self.sources = sources

    def find_spec(self, fullname, path=None, target=None):
        if fullname in self.sources:
            return importlib.util.spec_from_loader(fullname, self, is_package=fullname == {package!r})
        return None

    def get_source(self, fullname):
        return self.sources[fullname]

    def get_code(self, fullname):  # a file name, so that tracebacks show the source lines
        return compile(self.sources[fullname], fullname.replace(".", "/") + ".py", "exec")


# Running this cell again replaces what an earlier run defined.
sys.meta_path[:] = [f for f in sys.meta_path if type(f).__name__ != "_SourceImporter"]
for _name in _PACKAGE_SOURCES:
    sys.modules.pop(_name, None)
sys.meta_path.insert(0, _SourceImporter(_PACKAGE_SOURCES))'''


def package_cells(
    blocks: tuple[Block, ...], package: str, package_dir: Path, texts: SetupTexts, wheel_url: str | None = None
) -> list[Cell]:
    """The explanation and the package cell for a chapter's blocks, or none if they import nothing from the package."""
    modules = package_modules(blocks, package, package_dir)
    if not modules:
        return []
    sources = package_sources(package, package_dir, modules)
    listed = texts.separator.join(f"`{name}`" for name in sources if name != package)
    needed = third_party([b.code for b in blocks] + list(sources.values()), package)
    needs = texts.separator.join(f"`{name}`" for name in needed)
    text = texts.explanation.format(package=package, modules=listed, needs=needs)
    if wheel_url:
        text += "\n\n" + texts.install.format(wheel_url=wheel_url)
    return [
        {"cell_type": "markdown", "metadata": {}, "source": text},
        {
            "cell_type": "code",
            "execution_count": None,
            "metadata": {"jupyter": {"source_hidden": True}, "tags": [PACKAGE_TAG]},
            "source": package_code(package, sources),
            "outputs": [],
        },
    ]


def readable(cells: list[Cell], prelude: Sequence[Cell], resolve: Resolver, join_lines: bool = False) -> list[Cell]:
    """`cells` with their prose cleaned for reading anywhere and `prelude` before the first code
    cell; `join_lines` joins CJK lines as the pages in a CJK language do. `cells` are not changed."""
    out = []
    for cell in cells:
        if cell["cell_type"] == "markdown":
            text = join_cjk_lines(cell["source"]) if join_lines else cell["source"]
            cell = {**cell, "source": absolute_links(text, resolve)}
        out.append(cell)
    first_code = next((i for i, c in enumerate(out) if c["cell_type"] == "code"), len(out))
    out[first_code:first_code] = [dict(c) for c in prelude]
    return out


def notebook(cells: list[Cell]) -> dict[str, Any]:
    """The notebook holding `cells`, numbered once here, in order."""
    return {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
        "cells": [{**cell, "id": f"cell-{number}"} for number, cell in enumerate(cells)],
    }


def export_notebook(
    chapter: Chapter,
    outputs: tuple[tuple[Output, ...], ...],
    project: Project,
    texts: SetupTexts,
    resolve: Resolver,
    *,
    wheel_url: str | None = None,
    join_lines: bool = False,
) -> str:
    """The chapter's executed notebook, made to run and read well once downloaded, as its file's text."""
    prelude = package_cells(chapter.python_blocks, project.package, project.package_dir, texts, wheel_url)
    cells = readable(chapter_cells(chapter, outputs), prelude, resolve, join_lines)
    return json.dumps(notebook(cells), ensure_ascii=False, indent=1, sort_keys=True) + "\n"


def figure_alts(notebook_text: str) -> dict[str, str]:
    """The alt text of each SVG figure in an exported notebook, by the figure's SVG."""
    alts = {}
    for cell in json.loads(notebook_text)["cells"]:
        for output in cell.get("outputs", ()):
            alt = output.get("metadata", {}).get(SVG, {}).get("alt")
            if SVG in output.get("data", {}) and isinstance(alt, str):
                alts[output["data"][SVG]] = alt
    return alts


def _markdown_cell(text: str) -> Cell | None:
    text = text.strip("\n")
    return {"cell_type": "markdown", "metadata": {}, "source": text} if text.strip() else None


def chapter_cells(chapter: Chapter, outputs: tuple[tuple[Output, ...], ...]) -> list[Cell]:
    """Prose between blocks becomes markdown cells; each Python block a code cell with its outputs."""
    lines = chapter.text.split("\n")
    cells, position = [], chapter.body_line - 1  # 0-based line after the front matter
    for count, (block, block_outputs) in enumerate(zip(chapter.python_blocks, outputs, strict=True), start=1):
        prose = _markdown_cell("\n".join(lines[position : block.line - 2]))  # up to the opening fence
        if prose:
            cells.append(prose)
        cells.append(
            {
                "cell_type": "code",
                "execution_count": count,
                "metadata": {},
                "source": block.code.rstrip("\n"),
                "outputs": [_notebook_output(o, count) for o in block_outputs],
            }
        )
        position = block.end_line
    tail = _markdown_cell("\n".join(lines[position:]))
    if tail:
        cells.append(tail)
    return cells


def _notebook_output(output: Output, count: int) -> dict[str, Any]:
    """An output in the shape nbformat defines."""
    if isinstance(output, Stream):
        return {"output_type": "stream", "name": output.name, "text": output.text}
    if isinstance(output, Result):
        return {
            "output_type": "execute_result",
            "execution_count": count,
            "data": {"text/plain": output.text},
            "metadata": {},
        }
    if isinstance(output, Figure):
        # The figure's alt text where nbformat keeps an image's metadata (nbconvert reads `alt`
        # there for PNG and JPEG); the notebook page takes it from there (`figure_alts`).
        metadata = {SVG: {"alt": output.alt}}
        return {"output_type": "display_data", "data": {SVG: output.svg}, "metadata": metadata}
    if isinstance(output, Truncated):
        text = f"[{output.describe()}]\n"
        return {"output_type": "stream", "name": "stderr", "text": text}
    assert isinstance(output, Error)
    return {"output_type": "error", "ename": output.ename, "evalue": output.evalue, "traceback": []}
