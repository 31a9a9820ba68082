"""The search index is fetched when the reader opens search, not by every page as it loads
(overrides/partials/search-on-demand.html), and search still finds words in each edition;
a search result's link (`?h=`) still highlights the words on the page it opens. (Served on a port of
its own, `crawl_url`: search needs no address the site was built for.)"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow

INDEX = "/search/search_index.json"


def _index_requests(page) -> list[str]:
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url) if INDEX in request.url else None)
    return requests


@pytest.mark.parametrize(
    ("edition", "chapter", "word"), [("zh", "07-training", "小批量"), ("en", "07-training", "gradient")]
)
def test_the_index_waits_for_the_search_box(page, crawl_url, edition, chapter, word):
    requests = _index_requests(page)
    url = f"{crawl_url}{edition}/chapters/{chapter}/"
    page.goto(url, wait_until="networkidle")
    page.wait_for_timeout(500)
    assert requests == [], f"{url} fetched the search index before search was opened: {requests}"

    box = page.locator("input.md-search__input")
    box.click()
    box.fill(word)
    box.press("End")  # Material searches on key events, not on fill()
    page.locator(".md-search-result__item mark").first.wait_for(timeout=15_000)
    assert requests == [f"{crawl_url}{edition}{INDEX}"], f"{url}: the index was fetched {len(requests)} time(s)"


def test_a_result_link_highlights_at_once(page, crawl_url):
    requests = _index_requests(page)
    url = f"{crawl_url}en/chapters/07-training/?h=gradient"
    page.goto(url, wait_until="networkidle")
    page.locator(".md-content mark").first.wait_for(timeout=15_000)
    assert len(requests) == 1, f"{url}: the index was fetched {len(requests)} time(s)"
