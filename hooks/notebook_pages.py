"""MkDocs hook: notebook pages as light as the chapters.

- Only the CSS they use (literate.slim_css): mkdocs-jupyter inlines JupyterLab's whole
  stylesheet (575 KB) into each page; cut to the page's classes it is ~40 KB, and its rules
  for Material's dark scheme stay.
- Figures linked, not inlined (literate.figure_links): the literate plugin already made each
  figure a site file named by its content (`figures_dir`/<sha256[:16]>.svg); the notebook
  page's base64 copy is replaced by a link to that file when it exists.
"""

from __future__ import annotations

import posixpath
from pathlib import Path

from literate.figure_links import link_figures
from literate.outputs import Figure
from literate.slim_css import slim_styles

_cache: Path | None = None


def on_config(config):
    global _cache
    _cache = Path(config.config_file_path).parent / ".cache" / "notebook-css"


def on_page_content(html, *, page, config, files):
    if 'class="jupyter-wrapper"' not in html:
        return html
    literate = config.plugins.get("literate")
    if literate is not None:
        folder = literate.config.figures_dir
        page_dir = posixpath.dirname(page.file.dest_uri)

        def find(svg: str):
            uri = f"{folder}/{Figure(svg, alt='').digest}.svg"  # the plugin's own name for it
            file = files.get_file_from_path(uri)
            return None if file is None else posixpath.relpath(file.dest_uri, page_dir)

        html = link_figures(html, find)
    return slim_styles(html, _cache)
