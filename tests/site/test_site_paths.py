"""The site works under any path: GitHub Pages serves a project's site at /REPO/, so the pages
link relatively (the language switcher too), never from the host's root. The 404 pages are the
exception: a server shows them at any address, so their links are absolute, made from site_url,
which then holds the path."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
ROOT_ABSOLUTE = re.compile(r'(?:href|src)="(/(?!/)[^"]*)"')


def test_the_pages_link_relatively(built_site: Path):
    pages = [p for p in sorted(built_site.rglob("*.html")) if p.name != "404.html"]
    assert len(pages) > 30
    for page in pages:
        found = ROOT_ABSOLUTE.findall(page.read_text(encoding="utf-8"))
        assert not found, f"{page.relative_to(built_site)}: links from the host's root {found[:3]}"
