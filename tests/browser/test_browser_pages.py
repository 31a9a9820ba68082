"""Every built page, in a real browser: what a reader gets.

The pages are discovered from the session's strict build (every `index.html`, without the 404
page and the asset folders), so new chapters and the English edition are covered as they land.
Each page is loaded once (the `page_reports` fixture); each test checks one aspect of all pages
and lists every page that fails it.
"""

from __future__ import annotations

import json
import re

import pytest

from .browser_checks import PAGE_BUDGET, PAGE_CHECKS, ROOT, axe_problems, diagram_problems, math_problems

pytestmark = pytest.mark.slow

CHAPTER = re.compile(r"^(?:[a-z]{2}/)?chapters/\d\d-[^/.]+/$")


def _failures(reports, check) -> list[str]:
    return [f"{r.url}: {problem}" for r in reports for problem in check(r)]


def test_the_book_has_a_home_page_and_chapters(site_pages):
    chapters = [p for p in site_pages if CHAPTER.match(p)]
    assert chapters, f"no chapter pages among {site_pages}"


@pytest.mark.parametrize("aspect", PAGE_CHECKS)
def test_every_page(page_reports, aspect):
    """console: no console errors; requests: every request to the site succeeds;
    origin: nothing requested from another origin; images: every image loaded;
    math: no raw TeX, no KaTeX errors, every .arithmatex typeset with its MathML, no math or
    diagram script loaded; diagram: every diagram an inline SVG with nodes; weight: at most
    PAGE_BUDGET transferred; copy: a copy button on every code block; axe: no serious or
    critical violations."""
    failures = _failures(page_reports, PAGE_CHECKS[aspect])
    assert not failures, f"{len(failures)} problem(s):\n" + "\n".join(failures)


@pytest.mark.parametrize("check", [math_problems, diagram_problems], ids=["math", "diagram"])
def test_every_page_without_javascript(no_script_page_reports, check):
    """Math and diagrams are in the HTML: with scripts off a reader sees them all the same."""
    failures = _failures(no_script_page_reports, check)
    assert not failures, f"{len(failures)} problem(s) with JavaScript off:\n" + "\n".join(failures)
    assert any(r.katex for r in no_script_page_reports), "no typeset math with JavaScript off"
    assert any(r.diagrams_drawn for r in no_script_page_reports), "no diagram with JavaScript off"


@pytest.mark.parametrize("check", [axe_problems, math_problems, diagram_problems], ids=["axe", "math", "diagram"])
def test_every_page_in_the_dark_scheme(dark_page_reports, check):
    failures = _failures(dark_page_reports, check)
    assert not failures, f"{len(failures)} problem(s) in the dark scheme:\n" + "\n".join(failures)


def test_the_heaviest_page(page_reports, record_property):
    """Recorded (and printed with -rA) for the report; the budget itself is the `weight` check."""
    heaviest = max(page_reports, key=lambda r: r.transfer_bytes)
    record_property("heaviest_page", f"{heaviest.url} {heaviest.transfer_bytes} bytes")
    print(f"heaviest page: {heaviest.url}, {heaviest.transfer_bytes / 1024:.0f} KB transferred")
    assert 0 < heaviest.transfer_bytes <= PAGE_BUDGET


def test_the_checks_saw_something(page_reports):
    """Guard against checks that pass because they found nothing to look at."""
    assert sum(len(r.requests) for r in page_reports) > len(page_reports)
    assert any(r.katex for r in page_reports), "no typeset math on any page"
    assert any(r.code_blocks for r in page_reports), "no code block on any page"
    assert any(r.diagram_sources for r in page_reports), "no diagram on any page"
    assert all(r.transfer_bytes > 0 for r in page_reports), "a page with no bytes counted"


def test_home_page_diagram_is_an_svg(page_reports):
    home = next(r for r in page_reports if r.url == r.origin + "/zh/")
    assert home.diagram_sources >= 1, "the home page has no diagram (the training loop)"
    assert home.diagrams_drawn == home.diagram_sources


_SCHEME_JS = "() => document.body.getAttribute('data-md-color-scheme')"


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_a_chapter_follows_the_system_scheme(request, browser, site_url, scheme):
    """The page takes the reader's system scheme (light: `default`, dark: `slate`), its
    figures are inverted only in the dark one, and a screenshot of each is kept as an artifact
    (test-results/chapter-07-<scheme>.png) for a person to look at."""
    context = browser.new_context(viewport={"width": 1280, "height": 2400}, color_scheme=scheme)
    try:
        page = context.new_page()
        page.goto(site_url + "zh/chapters/07-training/", wait_until="load")
        assert page.evaluate(_SCHEME_JS) == {"light": "default", "dark": "slate"}[scheme]
        figure = page.locator("img.literate-figure").first
        inverted = figure.evaluate("img => getComputedStyle(img).filter")
        assert ("invert" in inverted) == (scheme == "dark"), inverted
        out = ROOT / "test-results" / f"chapter-07-{scheme}.png"
        out.parent.mkdir(exist_ok=True)
        page.screenshot(path=str(out))
        assert out.stat().st_size > 10_000
    finally:
        context.close()


def test_every_chapter_links_its_executed_notebook(browser_context, page_reports):
    """Contract with the literate plugin: each chapter page has `a.literate-notebook` pointing
    at the chapter's `.ipynb`, a valid notebook (nbformat >= 4) whose code cells were run
    (at least one has outputs; a chapter without code gets a notebook without code)."""
    import nbformat

    chapters = [r for r in page_reports if CHAPTER.match(r.url.removeprefix(r.origin + "/"))]
    assert chapters
    failures = []
    for report in chapters:
        links = [u for u in report.notebook_links if u.split("?")[0].endswith(".ipynb")]
        if not links:
            failures.append(f"{report.url}: no a.literate-notebook link to a .ipynb")
            continue
        for link in links:
            response = browser_context.request.get(link)
            if not response.ok:
                failures.append(f"{report.url}: {link} answers HTTP {response.status}")
                continue
            try:
                raw = json.loads(response.text())
            except ValueError as error:
                failures.append(f"{report.url}: {link} is not JSON ({error})")
                continue
            if raw.get("nbformat", 0) < 4:
                failures.append(f"{report.url}: {link} has nbformat {raw.get('nbformat')!r}, want >= 4")
                continue
            try:
                nbformat.validate(nbformat.from_dict(raw))
            except nbformat.ValidationError as error:
                failures.append(f"{report.url}: {link} is not a valid notebook: {error.message}")
            code = [c for c in raw.get("cells", []) if c.get("cell_type") == "code"]
            if not code:
                if report.code_blocks:  # a chapter without code (the summary) has none to run
                    failures.append(f"{report.url}: {link} has no code cells")
            elif not any(c.get("outputs") for c in code):
                failures.append(f"{report.url}: {link} has code cells but no outputs (not executed)")
    assert not failures, "\n".join(failures)


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


def test_site_root_leads_to_the_chinese_edition(page, site_url):
    page.goto(site_url, wait_until="load")
    page.wait_for_url(site_url + "zh/", timeout=10_000)


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
