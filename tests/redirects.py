"""The old chapter addresses the site still answers: mkdocs.yml's `redirects.redirect_maps`
(mkdocs-redirects), read from the file so that the tests and the build share one list.

Each old address is a small page that sends the reader on to the new one; it is not a page of
the book, so the page checks (tests/browser, tests/site/test_translations.py) leave it out and
tests/site/test_redirects.py checks it instead.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


class _Loader(yaml.SafeLoader):
    """mkdocs.yml's own tags (`!ENV`, `!!python/name:`) read as nothing: only the map is needed."""


_Loader.add_multi_constructor("!", lambda loader, suffix, node: None)
_Loader.add_multi_constructor("tag:yaml.org,2002:python/", lambda loader, suffix, node: None)


def address(markdown_path: str) -> str:
    """`chapters/07a-loss-surface.md` -> `chapters/07a-loss-surface/` (MkDocs' directory URLs)."""
    return markdown_path.removesuffix(".md") + "/"


@cache
def redirects() -> dict[str, str]:
    """Old address -> new address, relative to an edition's root (`chapters/x/`)."""
    config = yaml.load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"), Loader=_Loader)
    maps = config["plugins"]["redirects"]["redirect_maps"]
    return {address(old): address(new) for old, new in maps.items()}


def is_redirect(rel: str) -> bool:
    """Whether a page's address below the site root (`zh/chapters/x/`, `en/…`) is an old address."""
    return rel.partition("/")[2] in redirects()
