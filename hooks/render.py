"""MkDocs hook: the pages' math typeset and their diagrams drawn when the site is built.

One Node process per build (literate.node_renderer), and only for what the caches lack, runs
KaTeX for the math of chapters (pymdownx.arithmatex spans) and notebook pages (mkdocs-jupyter's
rendered Markdown cells), and Graphviz in WebAssembly for the ```` ```dot ```` blocks, which this
hook registers as a pymdownx.superfences custom fence. The HTML a reader gets holds both, so no
script draws them in the browser.

A formula or a diagram that cannot be rendered, or a renderer that cannot run, stops the build,
naming the page's file and the line where the source is found: nothing is published in its
place. (pymdownx.superfences turns any other exception of a fence into a plain code block, so
the fence raises its documented SuperFencesException.)
"""

from __future__ import annotations

import logging
from pathlib import Path

from mkdocs.exceptions import PluginError
from pymdownx.superfences import SuperFencesException

from literate.diagram import DiagramError, Diagrams, source_line
from literate.math import MathError, Typesetter
from literate.node_renderer import NodeRenderer

log = logging.getLogger("mkdocs.hooks.render")


class FenceError(SuperFencesException, PluginError):
    """Passes through superfences (SuperFencesException) and ends the build cleanly (PluginError)."""


class _Build:
    """What one build renders with: the Node process, the two caches, and the page being rendered."""

    def __init__(self, root: Path):
        self.root = root
        self.renderer = NodeRenderer(root / "node_modules")
        self.typesetter = Typesetter(root / ".cache" / "math", self.renderer)
        self.diagrams = Diagrams(root / ".cache" / "diagrams", self.renderer)
        self.page = None

    def where(self, line: int | None) -> str:
        """`file:line` of the page being rendered, relative to the project (`file` alone without a line)."""
        path = Path(self.page.file.abs_src_path) if self.page and self.page.file.abs_src_path else None
        if path is None:
            return self.page.file.src_uri if self.page else "<unknown page>"
        name = str(path.relative_to(self.root)) if path.is_relative_to(self.root) else str(path)
        return f"{name}:{line}" if line else name

    def fence(self, source, language, css_class, options, md, **kwargs):
        """The `dot` fence: pymdownx.superfences' custom fence format (its documented signature)."""
        try:
            return self.diagrams.fence(source)
        except DiagramError as error:
            path = self.page.file.abs_src_path if self.page else None
            line = source_line(Path(path), source, error.line) if path and path.endswith(".md") else None
            raise FenceError(f"{self.where(line)}: {error}\nin the diagram:\n{source}") from None

    def math_line(self, formulas: tuple[str, ...]) -> int | None:
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
                "render: %d formula(s) typeset by KaTeX and %d diagram(s) drawn by Graphviz, the rest from the cache",
                self.typesetter.rendered, self.diagrams.drawn,
            )
        self.renderer.close()


_build: _Build | None = None


def on_config(config):
    global _build
    if _build is not None:
        _build.close()
    _build = _Build(Path(config.config_file_path).parent.resolve())
    if "pymdownx.superfences" not in config.markdown_extensions:
        raise PluginError("hooks/render.py draws ```dot blocks as a pymdownx.superfences fence: add that extension")
    fences = config.mdx_configs.setdefault("pymdownx.superfences", {}).setdefault("custom_fences", [])
    fences[:] = [f for f in fences if f.get("name") != "dot"]
    fences.append({"name": "dot", "class": "literate-diagram", "format": _build.fence})
    return config


def on_page_markdown(markdown, *, page, config, files):
    _build.page = page  # the fence formats this page's diagrams next
    return markdown


def on_page_content(html, *, page, config, files):
    _build.page = page
    try:
        return _build.typesetter.page(html)
    except MathError as error:
        raise PluginError(f"{_build.where(_build.math_line(error.formulas))}: {error}") from None


def on_post_build(*, config):
    _build.close()


def on_build_error(*, error):
    if _build is not None:
        _build.close()
