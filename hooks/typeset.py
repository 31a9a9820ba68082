"""MkDocs hook: the pages' math typeset when the site is built (see literate.math).

Chapters (pymdownx.arithmatex spans) and notebook pages (mkdocs-jupyter's rendered Markdown
cells) alike: the HTML a reader gets holds the formulas, so no math script runs in the browser.
One Node process serves the whole build and only for formulas not in the cache.
"""

from __future__ import annotations

import logging
from pathlib import Path

from mkdocs.exceptions import PluginError

from literate.math import MathError, Typesetter

log = logging.getLogger("mkdocs.hooks.typeset")
_typesetter: Typesetter | None = None


def on_config(config):
    global _typesetter
    root = Path(config.config_file_path).parent
    _typesetter = Typesetter(root / ".cache" / "math", root / "node_modules")


def on_page_content(html, *, page, config, files):
    try:
        return _typesetter.page(html)
    except MathError as error:
        raise PluginError(f"{page.file.src_uri}: {error}") from None


def on_post_build(*, config):
    _close()


def on_build_error(*, error):
    _close()


def _close():
    if _typesetter is not None:
        if _typesetter.rendered:
            log.info("typeset: %d formula(s) rendered by KaTeX, the rest from the cache", _typesetter.rendered)
        _typesetter.close()
