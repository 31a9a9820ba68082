"""What scripts/lighthouse.py --mobile measures and how it judges, without Lighthouse: the heaviest
page of each kind, the median run, and the verdict."""

from __future__ import annotations

from pathlib import Path

import pytest

from .lighthouse_script import load

lighthouse = load()


def _page(path: Path, elements: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("<!doctype html><html><body>" + "<p>x</p>" * elements + "</body></html>", encoding="utf-8")


@pytest.fixture()
def site(tmp_path: Path) -> Path:
    for edition in lighthouse.EDITIONS:
        root = tmp_path / edition
        _page(root / "index.html", 10)
        _page(root / "chapters" / "01-small" / "index.html", 20)
        _page(root / "chapters" / "02-large" / "index.html", 300)
        # An old address's page (mkdocs-redirects) is not a chapter, however it weighs.
        (root / "chapters" / "00-old").mkdir()
        (root / "chapters" / "00-old" / "index.html").write_text(
            '<meta http-equiv="refresh" content="0; url=../02-large/">' + "<p>x</p>" * 999, encoding="utf-8"
        )
        _page(root / "notebooks" / "01-small" / "index.html", 50)
        _page(root / "making" / "index.html", 5)
        _page(root / "404.html", 3)
    return tmp_path


def test_the_heaviest_page_of_each_kind_in_each_edition(site: Path):
    pages = {(p["edition"], p["kind"]): p for p in lighthouse.heaviest_pages(site)}
    assert set(pages) == {(e, k) for e in lighthouse.EDITIONS for k in lighthouse.KINDS}
    assert pages[("en", "chapter")]["path"] == "en/chapters/02-large/"
    assert pages[("zh", "chapter")]["elements"] == 300 + 2  # the <p>s, <html> and <body>
    assert pages[("zh", "404")]["path"] == "zh/404.html"
    assert pages[("zh", "home")]["path"] == "zh/"


def test_a_missing_kind_is_an_error(site: Path):
    (site / "en" / "making" / "index.html").unlink()
    with pytest.raises(SystemExit, match="no making page"):
        lighthouse.heaviest_pages(site)


def _report(score: float, lcp: float = 2000.0) -> dict:
    return {
        "categories": {"performance": {"score": score}},
        "audits": {
            "largest-contentful-paint": {"numericValue": lcp},
            "total-blocking-time": {"numericValue": 150.0},
            "total-byte-weight": {"numericValue": 200_000.0},
        },
    }


def test_the_median_run_is_kept_and_a_low_one_fails():
    summary = lighthouse.summarize([_report(0.95, 1000), _report(0.70, 9000), _report(0.91, 2500)])
    assert summary["score"] == 0.91 and summary["lcp_ms"] == 2500 and summary["spread"] == 0.25
    page = {"edition": "en", "kind": "chapter", "path": "en/chapters/02-large/"}
    assert lighthouse.mobile_problems([{**page, **summary}]) == []
    low = lighthouse.summarize([_report(0.95), _report(0.85), _report(0.88)])
    problems = lighthouse.mobile_problems([{**page, **low}])
    assert len(problems) == 1 and "en chapter (/en/chapters/02-large/): performance 0.88" in problems[0]
