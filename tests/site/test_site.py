"""The real book, built strictly with execution on: outputs and figures are on the pages."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.slow


def test_chapter_one_shows_its_outputs_and_scatter_plot(built_site):
    html = (built_site / "zh/chapters/01-synthetic-data/index.html").read_text(encoding="utf-8")
    assert re.search(r"features: tensor\(\[[-\d.]+, +[-\d.]+\]\)", html)
    assert "torch.Size([1000, 2])" in html and "torch.Size([1000, 1])" in html
    images = re.findall(r'<img[^>]*src="([^"]+\.svg)"', html)
    assert images, "the scatter plot is missing"
    for src in images:
        assert (built_site / "zh/chapters/01-synthetic-data" / src).resolve().is_file()


def test_no_page_points_at_another_origin(built_site):
    offenders = {}
    for page in built_site.rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        tags = re.findall(r"<(?:script|link|img|iframe|source)\b[^>]*>", html)
        # rel=canonical/alternate name the page's own address; they are never fetched.
        fetched = [t for t in tags if not re.search(r'rel="(canonical|alternate)"', t)]
        found = [m for t in fetched for m in re.findall(r'(?:src|href)="((?:https?:)?//[^"]+)"', t)]
        if found:
            offenders[str(page.relative_to(built_site))] = found
    assert offenders == {}
