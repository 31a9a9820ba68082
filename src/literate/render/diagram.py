"""Diagrams drawn when the site is built: a Graphviz DOT source becomes an inline SVG.

Graphviz compiled to WebAssembly (`@viz-js/viz`, an npm package of the project) draws each
```` ```dot ```` block in the build's Node process (`node_renderer.NodeRenderer`, shared with
the math), so building needs no system package, and the page needs no script. The SVG is
cached by its source and the renderer's version under the cache folder it is given.

Graphviz in WebAssembly has no fonts: it sizes text with built-in metrics of a few families
(an unknown name gets Times', the narrowest), so text would overflow its box. The page's generic
families are laid out with the metrics of the widest common font of each (`monospace`: Courier,
the width of every monospace font; `sans-serif`: DejaVu Sans, Linux's default and wider than
Helvetica or Arial; `serif`: Georgia), and the SVG names the generic family again, so the page's
own fonts draw it in boxes that hold it on every system. (Graphviz counts a character beyond
ASCII as three spaces: with DejaVu Sans' that is 0.95 of a CJK character's width.)

The drawing takes its colours from the page: black strokes, fills and text become
`currentColor`, the white background is dropped, and node fills are left to the stylesheet
(`.literate-diagram`), so one SVG reads in the light and the dark scheme.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

from literate.cache import Cache, digest
from literate.render.node_renderer import NodeRenderer, RendererError
from literate.source.blocks import parse_file

_VERSION = "4"  # bump when the pre- or post-processing below changes: cached drawings are redrawn

# Generic CSS families -> the Graphviz family whose built-in metrics lay them out, and how the
# SVG then names it.
_METRICS = {
    "monospace": ("Courier", "Courier,monospace"),
    "sans-serif": ("DejaVu Sans", "DejaVu Sans"),
    "serif": ("Georgia", "Georgia"),
}
# fontname="sans-serif", fontname=monospace (a DOT ID needs no quotes), <font face="monospace">
_FONT_ATTRIBUTE = re.compile(r'\b(fontname|face)(\s*=\s*)("?)(monospace|sans-serif|serif)\3(?![\w-])', re.IGNORECASE)
_SVG_FAMILY = re.compile("|".join(f'font-family="{re.escape(svg)}"' for _, svg in _METRICS.values()))
_GENERIC = {f'font-family="{svg}"': f'font-family="{generic}"' for generic, (_, svg) in _METRICS.items()}


class DiagramError(ValueError):
    """A source Graphviz rejects, or no way to run Graphviz; `line` is its line in the source, if known."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.line = line


class Diagrams:
    def __init__(self, cache_dir: Path, renderer: NodeRenderer):
        self.cache = Cache(Path(cache_dir), ".svg")
        self.renderer = renderer
        self.drawn = 0  # diagrams Graphviz drew in this build (cache misses)
        self._salt: str | None = None

    @property
    def salt(self) -> str:
        """What else decides the drawing: the renderer's version, its script, this module's processing."""
        if self._salt is None:
            try:
                fingerprint = self.renderer.fingerprint("@viz-js/viz")
            except RendererError as error:
                raise DiagramError(str(error)) from None
            self._salt = f"{_VERSION} viz {fingerprint}"
        return self._salt

    def draw(self, source: str) -> str:
        """The inline SVG for a DOT source (from the cache when drawn before)."""
        key = digest(f"{self.salt}\n{source}")
        cached = self.cache.read_text(key)
        if cached is not None:
            return cached
        try:
            (answer,) = self.renderer.ask([{"dot": _FONT_ATTRIBUTE.sub(_metric_font, source)}])
        except RendererError as error:
            raise DiagramError(str(error)) from None
        if "error" in answer:
            found = re.search(r"\bin line (\d+)", answer["error"])
            raise DiagramError(
                f"Graphviz cannot draw this diagram: {answer['error']}", int(found[1]) if found else None
            )
        svg = themeable(answer["svg"])
        self.cache.write(key, svg)
        self.drawn += 1
        return svg

    def fence(self, source: str) -> str:
        """The HTML that replaces a ```` ```dot ```` block."""
        return f'<div class="literate-diagram">{self.draw(source)}</div>'


def _metric_font(found: re.Match[str]) -> str:
    return f'{found[1]}{found[2]}"{_METRICS[found[4].lower()][0]}"'


def themeable(svg: str) -> str:
    """Graphviz's SVG made to follow the page: see the module docstring."""
    svg = svg[svg.index("<svg") :]
    svg = re.sub(r"<!--.*?-->\s*", "", svg, flags=re.DOTALL)
    label = re.search(r'<g id="graph0" class="graph"[^>]*>\s*<title>(.*?)</title>', svg, re.DOTALL)
    svg = re.sub(r"<title>.*?</title>\s*", "", svg, flags=re.DOTALL)  # no tooltips of node ids
    # The background: the first polygon, white, of the graph.
    svg = re.sub(r'<polygon fill="white" stroke="(?:transparent|none)"[^>]*/>\s*', "", svg, count=1)
    svg = re.sub(r'(fill|stroke)="black"', r'\1="currentColor"', svg)
    svg = _SVG_FAMILY.sub(lambda found: _GENERIC[found[0]], svg)
    svg = re.sub(r'\s(width|height)="[^"]*pt"', "", svg, count=2)  # the stylesheet sizes it
    name = html.escape(html.unescape(label.group(1)), quote=True) if label else "diagram"
    return svg.replace("<svg", f'<svg role="img" aria-label="{name}"', 1).strip()


def source_line(path: Path, source: str, line: int | None) -> int | None:
    """The line, in the Markdown file at `path`, of a ```` ```dot ```` block's `line` (1-based;
    its first line if None), or None if no block of the file holds `source`."""
    wanted = source.strip("\n")
    for block in parse_file(path).blocks:
        if block.lang == "dot" and block.code.strip("\n") == wanted:
            return block.line + (line - 1 if line else 0)
    return None
