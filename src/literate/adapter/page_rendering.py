"""What one MkDocs build draws into its pages: math, diagrams, and light notebook pages.

One Node process per build (`render.node_renderer`), and only for what the caches lack, runs
KaTeX for the math of chapters (pymdownx.arithmatex spans) and notebook pages (mkdocs-jupyter's
rendered Markdown cells), and Graphviz in WebAssembly for the ```` ```dot ```` blocks (the
plugin registers `fence` as a pymdownx.superfences custom fence). Notebook pages get only the
CSS they use, and links to the figure files the chapters already serve instead of inline copies.

A formula or a diagram that cannot be rendered, or a renderer that cannot run, stops the build,
naming the page's file and the line where the source is found: nothing is published in its
place. (pymdownx.superfences turns any other exception of a fence into a plain code block, so
the fence raises its documented SuperFencesException.)
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mkdocs.exceptions import PluginError
from mkdocs.structure.pages import Page
from pymdownx.superfences import SuperFencesException

from literate.export.notebook import figure_alts
from literate.export.page_notebook import literal_dollars
from literate.render.diagram import DiagramError, Diagrams, source_line
from literate.render.figure_links import link_figures
from literate.render.node_renderer import NodeRenderer
from literate.render.slim_css import slim_styles
from literate.render.typeset import MathError, Typesetter
from literate.source.blocks import ChapterError

log = logging.getLogger("mkdocs.plugins.literate")


class FenceError(SuperFencesException, PluginError):  # type: ignore[misc]  # superfences is untyped
    """Passes through superfences (SuperFencesException) and ends the build cleanly (PluginError)."""


class PageRendering:
    """The Node process, the caches, and the page being rendered, for one build."""

    def __init__(self, root: Path, cache_dir: Path):
        self.root = root
        self.renderer = NodeRenderer(root / "node_modules")
        self.typesetter = Typesetter(cache_dir / "math", self.renderer)
        self.diagrams = Diagrams(cache_dir / "diagrams", self.renderer)
        self.styles = cache_dir / "notebook-css"
        self.page: Page | None = None

    def where(self, line: int | None) -> str:
        """`file:line` of the page being rendered, relative to the project (`file` alone without a line)."""
        path = Path(self.page.file.abs_src_path) if self.page and self.page.file.abs_src_path else None
        if path is None:
            return self.page.file.src_uri if self.page else "<unknown page>"
        name = str(path.relative_to(self.root)) if path.is_relative_to(self.root) else str(path)
        return f"{name}:{line}" if line else name

    def fence(self, source: str, language: str, css_class: str, options: Any, md: Any, **kwargs: Any) -> str:
        """The `dot` fence: pymdownx.superfences' custom fence format (its documented signature)."""
        try:
            return self.diagrams.fence(source)
        except DiagramError as error:
            path = self.page.file.abs_src_path if self.page else None
            try:
                line = source_line(Path(path), source, error.line) if path and path.endswith(".md") else None
            except ChapterError as unreadable:
                # Any exception but superfences' own would publish the diagram's source as a code block.
                raise FenceError(f"{unreadable}\n(and a diagram in it fails: {error})") from None
            raise FenceError(f"{self.where(line)}: {error}\nin the diagram:\n{source}") from None

    def content(self, html: str, page: Page, figure_link: Callable[[str], str | None]) -> str:
        """The page's HTML with its math typeset; a notebook page also made light first, so the
        math reads a page without the notebook stylesheet's bulk."""
        self.page = page
        if 'class="jupyter-wrapper"' in html:
            source = page.file.abs_src_path or ""  # the exported notebook, which holds its figures' alt text
            alts = figure_alts(Path(source).read_text(encoding="utf-8")) if source.endswith(".ipynb") else {}
            html = literal_dollars(slim_styles(link_figures(html, figure_link, alts.get), self.styles))
        try:
            return self.typesetter.page(html)
        except MathError as error:
            raise PluginError(f"{self.where(self._math_line(error.formulas))}: {error}") from None

    def _math_line(self, formulas: tuple[str, ...]) -> int | None:
        """The line of the page's Markdown source where the first of `formulas` is, if found."""
        path = self.page.file.abs_src_path if self.page else None
        if not (formulas and path and path.endswith(".md")):
            return None
        text = Path(path).read_text(encoding="utf-8")
        for probe in (formulas[0], formulas[0].strip().split("\n")[0]):
            if probe and (at := text.find(probe)) >= 0:
                return text.count("\n", 0, at) + 1
        return None

    def close(self) -> None:
        if self.typesetter.rendered or self.diagrams.drawn:
            log.info(
                "literate: %d formula(s) typeset by KaTeX and %d diagram(s) drawn by Graphviz, the rest from the cache",
                self.typesetter.rendered,
                self.diagrams.drawn,
            )
        self.renderer.close()
