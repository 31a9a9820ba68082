"""Old chapter addresses (before the book was split into parts) lead to their new pages, in both
editions, and no page of the book links to an old address (tests/redirects.py reads the map)."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from redirects import redirects

pytestmark = pytest.mark.slow
EDITIONS = ["zh", "en"]


def test_the_map_names_every_removed_chapter():
    removed = {
        "07a-loss-surface",
        "07b-why-minibatches",
        "07c-common-bugs",
        "09a-autograd-from-scratch",
        "10-exercises",
        "10a-exercises-training-loop",
        "11-checked-api",
    }
    assert {f"chapters/{name}/" for name in removed} == set(redirects())


@pytest.mark.parametrize("edition", EDITIONS)
def test_every_old_address_sends_the_reader_to_its_new_page(built_site: Path, edition: str):
    for old, new in redirects().items():
        page = built_site / edition / old / "index.html"
        assert page.is_file(), f"{edition}/{old} is not answered"
        refresh = re.search(r'<meta http-equiv="refresh" content="0; url=([^"]+)">', page.read_text(encoding="utf-8"))
        assert refresh, f"{edition}/{old}: no refresh to the new page"
        target = urlsplit(urljoin(f"http://site/{edition}/{old}", refresh.group(1))).path
        assert target == f"/{edition}/{new}", f"{edition}/{old} leads to {target}"
        assert (built_site / edition / new / "index.html").is_file(), f"{edition}/{new} is not built"


def test_no_page_links_to_an_old_address(built_site: Path):
    old_pages = {f"/{edition}/{old}" for edition in EDITIONS for old in redirects()}
    offenders = []
    for page in sorted(built_site.rglob("*.html")):
        rel = page.relative_to(built_site).as_posix()
        if f"/{rel.removesuffix('index.html')}" in old_pages:
            continue  # the redirect page itself
        for href in re.findall(r'href="([^"#]+)', page.read_text(encoding="utf-8")):
            target = urlsplit(urljoin(f"http://site/{rel}", href)).path
            if target in old_pages:
                offenders.append(f"{rel} -> {href}")
    assert not offenders, "links to old addresses:\n" + "\n".join(offenders)
