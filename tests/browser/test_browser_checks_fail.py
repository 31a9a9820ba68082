"""The page checks can fail: a page broken on purpose is caught by every one of them,
and a clean page passes them all. (Without this, a check that never looks passes forever.)"""

from __future__ import annotations

import base64
import os

import pytest

from .browser_checks import PAGE_BUDGET, PAGE_CHECKS, count_diagram_sources, inspect_page, new_styles, serve

pytestmark = pytest.mark.slow

BROKEN = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Broken on purpose</title>
<script src="https://example.com/x.js"></script>
<script src="/assets/vendor/mathjax/tex-chtml.js"></script>
</head><body><main class="md-content">
<h1>Broken on purpose</h1>
<p>Raw math a reader would see: $x^2$ and \\(y\\).</p>
<p><span class="arithmatex">\\(z\\)</span></p>
<img src="missing.png">
<pre><code>print("no copy button")</code></pre>
<div class="literate-diagram"></div>
<link rel="stylesheet" href="heavy.css">
<script>undefinedFunction();</script>
</main></body></html>
"""

# Readable in the light scheme, dark grey on black in the dark one.
DIM_IN_THE_DARK = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Dim in the dark</title>
<link rel="icon" href="data:,">
<style>
body { color: #000; background: #fff; }
@media (prefers-color-scheme: dark) { body { color: #333; background: #000; } }
</style></head>
<body><main><h1>Dim in the dark</h1><p>Readable by day only.</p></main></body></html>
"""

# Two pieces: one readable in both schemes, one dim in the dark.
TWO_PIECES = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Two pieces</title>
<link rel="icon" href="data:,">
<style>
body { color: #000; background: #fff; }
@media (prefers-color-scheme: dark) { body { color: #eee; background: #000; } p.dim { color: #333; } }
</style></head>
<body><main><h1>Two pieces</h1><p class="ok">Readable always.</p><p class="dim">Dim in the dark.</p></main></body></html>
"""

CLEAN = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Clean</title>
<link rel="icon" href="data:,"></head>
<body><main><h1>Clean</h1><p>Nothing to see.</p>
<img alt="a red dot" width="1" height="1"
  src="data:image/gif;base64,R0lGODlhAQABAIABAP8AAP///ywAAAAAAQABAAACAkQBADs=">
</main></body></html>
"""


@pytest.fixture()
def pages(tmp_path):
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "index.html").write_text(BROKEN, encoding="utf-8")
    # A stylesheet of random text: even gzip-compressed, over the page budget on its own.
    noise = base64.b64encode(os.urandom(PAGE_BUDGET * 3 // 2)).decode()
    (tmp_path / "broken" / "heavy.css").write_text(f"/* {noise} */", encoding="utf-8")
    (tmp_path / "dim").mkdir()
    (tmp_path / "dim" / "index.html").write_text(DIM_IN_THE_DARK, encoding="utf-8")
    (tmp_path / "pieces").mkdir()
    (tmp_path / "pieces" / "index.html").write_text(TWO_PIECES, encoding="utf-8")
    (tmp_path / "clean").mkdir()
    (tmp_path / "clean" / "index.html").write_text(CLEAN, encoding="utf-8")
    with serve(tmp_path) as url:
        yield url


def test_a_broken_page_fails_every_check(browser_context, pages):
    report, _ = inspect_page(browser_context, pages + "broken/", diagram_sources=count_diagram_sources(BROKEN))
    found = {name: check(report) for name, check in PAGE_CHECKS.items()}
    assert any("https://example.com/x.js" in p for p in found["origin"]), found["origin"]
    assert any("missing.png" in p for p in found["images"]), found["images"]
    assert any("missing.png" in p and "404" in p for p in found["requests"]), found["requests"]
    assert any("undefinedFunction" in p for p in found["console"]), found["console"]
    assert any("$x^2$" in p for p in found["math"]) and any("\\(" in p for p in found["math"])
    assert any("math not typeset" in p for p in found["math"]), found["math"]
    assert any("no copy button" in p for p in found["copy"]), found["copy"]
    assert any("tex-chtml.js" in p for p in found["math"]), "a math script went unnoticed"
    assert found["diagram"], "an undrawn diagram went unnoticed"
    assert found["weight"], "a page over the budget went unnoticed"
    assert any("image-alt" in p for p in found["axe"]), found["axe"]


def test_a_clean_page_passes_every_check(browser_context, pages):
    report, _ = inspect_page(browser_context, pages + "clean/")
    found = {name: check(report) for name, check in PAGE_CHECKS.items()}
    assert found == {name: [] for name in PAGE_CHECKS}


def test_text_too_dim_in_the_dark_scheme_fails_there_only(browser_context, pages):
    light, dark = inspect_page(browser_context, pages + "dim/", dark=True)
    assert PAGE_CHECKS["axe"](light) == []
    assert any("color-contrast" in p for p in PAGE_CHECKS["axe"](dark)), dark.axe_violations


def test_the_colours_are_read_on_the_pieces_given(browser_context, pages):
    """A crawl reads the colours of a page's new pieces only (and all they hold): the dim
    piece is caught when it is among them, and the other is not mistaken for it."""
    _, dark = inspect_page(browser_context, pages + "pieces/", dark=True, pieces=["main > p.dim"])
    assert any("color-contrast" in p and "dim" in p for p in PAGE_CHECKS["axe"](dark)), dark.axe_violations
    _, dark = inspect_page(browser_context, pages + "pieces/", dark=True, pieces=["main > p.ok", " > body"])
    assert any("color-contrast" in p for p in PAGE_CHECKS["axe"](dark)), "the body holds the dim piece"
    light, dark = inspect_page(browser_context, pages + "pieces/", dark=True, pieces=["main > p.ok", "main > h1"])
    assert PAGE_CHECKS["axe"](dark) == [], dark.axe_violations
    assert light.axe_pieces_found == dark.axe_pieces_found == 2
    _, dark = inspect_page(browser_context, pages + "pieces/", dark=True, pieces=["main > p.nowhere"])
    assert dark.axe_pieces_found == 0, "a piece the page lacks is counted as not found (every_page.py fails on it)"


def test_only_pages_with_new_pieces_count_as_new_styles(tmp_path):
    """The dark scheme's colours are read on these pages only: the selection must see a new
    class, and a known class under a new parent, and nothing new in the same pieces re-worded."""
    pages = {
        "a/": '<body><main class="md"><p class="x">one</p></main></body>',
        "b/": '<body><main class="md"><p class="x">other words</p></main></body>',
        "c/": '<body><main class="md"><p class="y">new class</p></main></body>',
        "d/": '<body><main class="md"><div class="x"><p class="x">new parent</p></div></main></body>',
        "e/": '<body><main class="md"><p class="x">one<br>again</p><p class="y">seen</p></main></body>',
    }
    for rel, html in pages.items():
        (tmp_path / rel).mkdir()
        (tmp_path / rel / "index.html").write_text(f"<html><head><title>t</title></head>{html}</html>")
    new = new_styles(tmp_path, list(pages))
    assert set(new) == {"a/", "c/", "d/", "e/"}
    assert new["d/"] == {"main.md > div.x", "div.x > p.x"}
    assert new["e/"] == {"p.x > br"}
