"""The site's search, typed into the search box as a reader does."""

from __future__ import annotations

import pytest

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
    hits = search(page, site_url + "zh/", word)
    assert hits, f"searching {word!r} found nothing"
    mid = [h for h in hits if h["word"] == word and h["before"]]
    assert mid, f"{word!r} was never found in the middle of a sentence: {hits}"
    links = page.eval_on_selector_all(".md-search-result__link", "els => els.map(e => e.href)")
    assert links and all(link.startswith(site_url + "zh/") for link in links), f"Chinese search left /zh/: {links}"


def test_search_finds_an_english_word(page, site_url):
    url, word = site_url + "en/", "gradient"
    hits = search(page, url, word)
    assert any(h["word"].lower() == word.lower() for h in hits), f"searching {word!r} on {url}: {hits}"
    links = page.eval_on_selector_all(".md-search-result__link", "els => els.map(e => e.href)")
    assert links and all(link.startswith(url) for link in links), f"English search left /en/: {links}"
