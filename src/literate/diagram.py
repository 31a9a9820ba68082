"""Diagrams drawn when the site is built: a Graphviz DOT source becomes an inline SVG.

`fence_format` is a `pymdownx.superfences` custom fence format function (its documented
signature), so a ```` ```dot ```` block in a page is drawn by `dot -Tsvg` (Debian: graphviz)
with no browser and no script at run time. The SVG is cached by its source under
`.cache/diagrams/` (or $LITERATE_DIAGRAM_CACHE): a changed source is drawn again.

The drawing takes its colours from the page: black strokes, fills and text become
`currentColor`, the white background is dropped, and node fills are left to the stylesheet
(`.literate-diagram`), so one SVG reads in the light and the dark scheme.
"""

from __future__ import annotations

import hashlib
import html
import os
import re
import shutil
import subprocess
from pathlib import Path

from .atomic import write_atomic

_VERSION = "1"  # bump when the post-processing below changes: cached drawings are redrawn


class DiagramError(ValueError):
    """A source Graphviz rejects, or no Graphviz."""


def cache_dir() -> Path:
    return Path(os.environ.get("LITERATE_DIAGRAM_CACHE", ".cache/diagrams"))


def draw(source: str) -> str:
    """The inline SVG for a DOT source (from the cache when drawn before)."""
    key = hashlib.sha256(f"{_VERSION}\n{source}".encode()).hexdigest()
    path = cache_dir() / f"{key}.svg"
    if path.is_file():
        return path.read_text(encoding="utf-8")
    dot = shutil.which("dot")
    if dot is None:
        raise DiagramError("`dot` not found: install Graphviz (apt-get install graphviz) to draw the diagrams")
    result = subprocess.run([dot, "-Tsvg"], input=source, capture_output=True, text=True, encoding="utf-8")
    if result.returncode != 0:
        raise DiagramError(f"Graphviz cannot draw this diagram:\n{result.stderr.strip()}")
    svg = themeable(result.stdout)
    write_atomic(path, svg)
    return svg


def themeable(svg: str) -> str:
    """Graphviz's SVG made to follow the page: see the module docstring."""
    svg = svg[svg.index("<svg") :]
    svg = re.sub(r"<!--.*?-->\s*", "", svg, flags=re.DOTALL)
    label = re.search(r'<g id="graph0" class="graph"[^>]*>\s*<title>(.*?)</title>', svg, re.DOTALL)
    svg = re.sub(r"<title>.*?</title>\s*", "", svg, flags=re.DOTALL)  # no tooltips of node ids
    # The background: the first polygon, white, of the graph.
    svg = re.sub(r'<polygon fill="white" stroke="(?:transparent|none)"[^>]*/>\s*', "", svg, count=1)
    svg = re.sub(r'(fill|stroke)="black"', r'\1="currentColor"', svg)
    svg = re.sub(r'\s(width|height)="[^"]*pt"', "", svg, count=2)  # the stylesheet sizes it
    name = html.escape(html.unescape(label.group(1)), quote=True) if label else "diagram"
    return svg.replace("<svg", f'<svg role="img" aria-label="{name}"', 1).strip()


def fence_format(source, language, css_class, options, md, **kwargs):
    """pymdownx.superfences custom fence: ```` ```dot ```` -> <div class="literate-diagram"><svg …>."""
    try:
        svg = draw(source)
    except DiagramError as error:
        # superfences has no error channel; the build's strict mode must still stop on it.
        raise DiagramError(f"{error}\nin the diagram:\n{source}") from None
    return f'<div class="literate-diagram">{svg}</div>'
