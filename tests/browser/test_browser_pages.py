"""The site as a whole in a real browser, served at the address it was built for: the colour
scheme, the language switcher, the root page and search. (Every page's own checks are in
every_page.py.)
"""

from __future__ import annotations

import re

import pytest

from .browser_checks import ROOT, SCHEME_JS

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_a_chapter_follows_the_system_scheme(request, browser, site_url, scheme):
    """The page takes the reader's system scheme (light: `default`, dark: `slate`), its
    figures are inverted only in the dark one, and a screenshot of each is kept as an artifact
    (test-results/chapter-07-<scheme>.png) for a person to look at."""
    context = browser.new_context(viewport={"width": 1280, "height": 2400}, color_scheme=scheme)
    try:
        page = context.new_page()
        page.goto(site_url + "zh/chapters/07-training/", wait_until="load")
        assert page.evaluate(SCHEME_JS) == {"light": "default", "dark": "slate"}[scheme]
        figure = page.locator("img.literate-figure").first
        inverted = figure.evaluate("img => getComputedStyle(img).filter")
        assert ("invert" in inverted) == (scheme == "dark"), inverted
        out = ROOT / "test-results" / f"chapter-07-{scheme}.png"
        out.parent.mkdir(exist_ok=True)
        page.screenshot(path=str(out))
        assert out.stat().st_size > 10_000
    finally:
        context.close()


@pytest.mark.parametrize(
    "start, language, expected",
    [
        ("zh/chapters/05-loss/", "en", "en/chapters/05-loss/"),
        ("en/chapters/05-loss/", "zh", "zh/chapters/05-loss/"),
        ("zh/notebooks/07-training/", "en", "en/notebooks/07-training/"),
        ("en/notebooks/07-training/", "zh", "zh/notebooks/07-training/"),
    ],
)
def test_language_switcher_stays_on_the_page(page, site_url, start, language, expected):
    """The theme maps the page to the other edition through that edition's sitemap.xml."""
    page.goto(site_url + start, wait_until="networkidle")
    page.locator(".md-select").first.hover()
    page.locator(f'a.md-select__link[hreflang="{language}"]').click()
    page.wait_for_url(site_url + expected, timeout=10_000)


def _root_visit(browser, site_url: str, **options) -> tuple:
    """The root page opened in a fresh context; the console errors and failed requests it met."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, **options)
    page = context.new_page()
    problems = []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    page.on("response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None)

    def failed(request) -> None:
        # The root document itself is cut short when its script moves on to an edition.
        if not (
            request.is_navigation_request() and request.url == site_url and "ERR_ABORTED" in (request.failure or "")
        ):
            problems.append(f"failed {request.url}: {request.failure}")

    page.on("requestfailed", failed)
    page.goto(site_url, wait_until="load")
    return context, page, problems


@pytest.mark.parametrize(
    "languages, edition",
    [("zh-CN", "zh/"), ("zh-TW", "zh/"), ("en-US", "en/"), ("en-GB", "en/"), ("fr-FR", "en/")],
)
def test_site_root_leads_to_the_edition_of_the_reader_s_language(browser, site_url, languages, edition):
    """The first preferred language with an edition picks it (none: English), and the page
    loads without a console error or a failed request (its favicon is the editions' own)."""
    context, page, problems = _root_visit(browser, site_url, locale=languages)
    try:
        assert page.evaluate("navigator.languages")[0] == languages
        page.wait_for_url(site_url + edition, timeout=10_000)
        page.wait_for_load_state("load")
        assert problems == []
    finally:
        context.close()


def test_site_root_without_javascript_offers_both_editions_and_its_favicon(browser, site_url):
    context, page, problems = _root_visit(browser, site_url, locale="en-US", java_script_enabled=False)
    try:
        assert page.url == site_url, "no redirect without JavaScript"
        links = page.locator("main a").evaluate_all("as => as.map(a => [a.getAttribute('hreflang'), a.href])")
        assert links == [["zh", site_url + "zh/"], ["en", site_url + "en/"]]
        for _, href in links:
            assert page.request.get(href).ok, href
        icon = page.locator('link[rel="icon"]').evaluate("link => link.href")
        response = page.request.get(icon)
        assert response.ok and response.headers["content-type"].startswith("image/"), icon
        assert problems == []
    finally:
        context.close()


@pytest.mark.parametrize(
    "start, expected",
    [
        ("zh/chapters/07a-loss-surface/#_3", "zh/chapters/11-loss-surface/#_3"),
        ("en/chapters/10a-exercises-training-loop/", "en/chapters/18-exercises/"),
    ],
)
def test_an_old_chapter_address_leads_to_its_new_page(page, site_url, start, expected):
    """mkdocs-redirects' page for an old address (tests/redirects.py) sends the reader on, anchor included."""
    page.goto(site_url + start, wait_until="load")
    page.wait_for_url(site_url + expected, timeout=10_000)


_BACKGROUND_JS = "() => getComputedStyle(document.body).backgroundColor"


def _is_dark(rgb: str) -> bool:
    red, green, blue = (int(x) for x in re.findall(r"\d+", rgb)[:3])
    return red + green + blue < 3 * 80


def test_a_first_visit_in_the_dark_is_dark_before_the_theme_script_runs(browser, site_url):
    """Nothing flashes white: with the theme's bundle held back (as on a slow first load), a
    reader whose system prefers dark already gets a dark page; with scripts off, a light one."""
    context = browser.new_context(color_scheme="dark")
    try:
        context.route("**/assets/javascripts/bundle.*.js", lambda route: route.abort())
        page = context.new_page()
        page.goto(site_url + "zh/chapters/07-training/", wait_until="load")
        assert _is_dark(page.evaluate(_BACKGROUND_JS))
    finally:
        context.close()
    context = browser.new_context(color_scheme="dark", java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(site_url + "zh/chapters/07-training/", wait_until="load")
        assert not _is_dark(page.evaluate(_BACKGROUND_JS))  # the light scheme, whole
    finally:
        context.close()


# --- the site's search, typed into the search box as a reader does (in this module: one
# server of the built site per test worker; the site must be served at the port it was built for)

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
