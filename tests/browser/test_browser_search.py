"""The site's search, typed into the search box as a reader does."""

from __future__ import annotations

import warnings

import pytest

from .browser_checks import ROOT

pytestmark = pytest.mark.slow

# For each <mark> in the results: the word it highlights and the text just before it in the
# same block (empty when the word starts the block). Material separates Chinese words with
# zero-width spaces in the results; they do not count as text.
_MARKS_JS = """
() => [...document.querySelectorAll(".md-search-result__item mark")].map((m) => {
  const block = m.closest("p, h1, h2, h3, li, code") || m.parentElement;
  const range = document.createRange();
  range.setStart(block, 0);
  range.setEndBefore(m);
  return { word: m.textContent, before: range.toString().replace(/[\\s\\u200b]/g, "") };
})
"""


def search(page, url: str, word: str) -> list[dict]:
    """Type `word` into the search box of `url`; return the highlighted hits."""
    page.goto(url, wait_until="networkidle")
    box = page.locator("input.md-search__input")
    box.click()
    box.fill(word)
    box.press("End")  # Material searches on key events, not on fill()
    page.locator(".md-search-result__meta").wait_for()
    try:
        page.locator(".md-search-result__item mark").first.wait_for(timeout=10_000)
    except Exception:  # noqa: BLE001 - no hits: the assertion below says so
        pass
    return page.evaluate(_MARKS_JS)


def test_search_finds_a_chinese_word_in_the_middle_of_a_sentence(page, site_url):
    word = "小批量"  # written inside sentences, never as a separate word: needs jieba
    hits = search(page, site_url, word)
    assert hits, f"searching {word!r} found nothing"
    mid = [h for h in hits if h["word"] == word and h["before"]]
    assert mid, f"{word!r} was never found in the middle of a sentence: {hits}"


def test_search_finds_an_english_word(page, site_url, site_dir):
    english_sources = sorted((ROOT / "docs").rglob("*.en.md"))
    if english_sources and (site_dir / "en" / "index.html").is_file():
        url, word = site_url + "en/", "gradient"
    else:
        # TODO(issue 6): the English edition (docs/**/*.en.md, built under /en/) is not there
        # yet. Until it is, search the Chinese edition for an English word it contains; once it
        # lands this test searches /en/ for "gradient" without any change.
        warnings.warn("English edition not built yet: /en/ search check pending (TODO issue 6)")
        url, word = site_url, "PyTorch"
    hits = search(page, url, word)
    assert any(h["word"].lower() == word.lower() for h in hits), f"searching {word!r} on {url}: {hits}"
    if url.endswith("/en/"):
        links = page.eval_on_selector_all(".md-search-result__link", "els => els.map(e => e.href)")
        assert links and all("/en/" in link for link in links), f"English search left /en/: {links}"
