"""Browser fixtures: one Chromium for the session, the built site served on 127.0.0.1,
and, per edition, one visit of every built page (in the light scheme, then the dark) whose
records the page tests share.

Without Debian's headless Chromium (or Playwright) the browser tests skip, with the reason printed at
the end of the run; with CI=true a missing browser is an error, not a skip.

BROWSER_TESTS_SITE=site (a folder `make site` built) tests that folder instead of the session's
own strict build: quicker when working on the tests themselves. The site is served on the port
its addresses name (8000 for `make site`; `make site ORIGIN=http://127.0.0.1:8123` for another).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from .browser_checks import (
    AXE,
    CHROMIUM,
    LAUNCH_ARGS,
    count_diagram_sources,
    discover_pages,
    inspect_pages,
    new_styles,
    page_html,
    serve,
    served_port,
)

_SKIPPED: list[str] = []


def _unavailable(reason: str):
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true and the browser tests cannot run: {reason}", pytrace=False)
    if reason not in _SKIPPED:
        _SKIPPED.append(reason)
    pytest.skip(reason)


def pytest_terminal_summary(terminalreporter):
    for reason in _SKIPPED:
        terminalreporter.write_line(f"browser tests SKIPPED: {reason}", yellow=True, bold=True)


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium (Debian's, never a downloaded one) for the whole session."""
    if not os.access(CHROMIUM, os.X_OK):
        _unavailable(f"{CHROMIUM} not found (apt-get install chromium-headless-shell fonts-noto-cjk)")
    if not AXE.is_file():
        _unavailable(f"{AXE} missing (run `npm ci`, which `make test` does)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as error:
        _unavailable(f"Playwright is not installed: {error}")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def site_dir(request) -> Path:
    """The built site under test: the session's strict build (or $BROWSER_TESTS_SITE)."""
    chosen = os.environ.get("BROWSER_TESTS_SITE")
    if chosen:
        path = Path(chosen).resolve()
        assert (path / "zh" / "index.html").is_file(), f"BROWSER_TESTS_SITE={chosen}: no zh/index.html there"
        return path
    return request.getfixturevalue("built_site")


@pytest.fixture(scope="session")
def site_url(site_dir: Path):
    """The built site, served over HTTP from a thread, at the address it was built for."""
    with serve(site_dir, served_port(site_dir)) as url:
        yield url


def _context(browser, **options):
    return browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN", **options)


@pytest.fixture(scope="session")
def browser_context(browser):
    """A reader whose system prefers the light scheme (the site follows the system)."""
    context = _context(browser, color_scheme="light")
    yield context
    context.close()


@pytest.fixture(scope="session")
def no_script_context(browser):
    """A reader with JavaScript turned off."""
    context = _context(browser, color_scheme="light", java_script_enabled=False)
    yield context
    context.close()


@pytest.fixture()
def page(browser_context):
    """A fresh page of the shared context, closed after the test."""
    new = browser_context.new_page()
    yield new
    new.close()


@pytest.fixture(scope="session")
def site_pages(site_dir: Path) -> list[str]:
    pages = discover_pages(site_dir)
    assert {"zh/", "en/"} <= set(pages), f"no home page of an edition among the built pages: {pages}"
    return pages


def _pages(site_url: str, site_dir: Path, site_pages: list[str], **options):
    return [
        (site_url + rel, {"diagram_sources": count_diagram_sources(page_html(site_dir, rel)), **options})
        for rel in site_pages
    ]


@pytest.fixture(scope="module")
def edition_pages(site_pages: list[str], edition: str) -> list[str]:
    """The pages of the module's edition (`edition` is a fixture of the module)."""
    return [p for p in site_pages if p.startswith(edition + "/")]


@pytest.fixture(scope="module")
def crawl_url(site_dir: Path):
    """The built site on a port of its own: page checks load only the site's own files (the
    language switcher and search, which need the address the site was built for, are tested
    through `site_url`), so each test worker can crawl its edition beside the other's."""
    with serve(site_dir) as url:
        yield url


@pytest.fixture(scope="session")
def new_style_pages(site_dir: Path, site_pages: list[str]) -> dict[str, set[str] | None]:
    """The pages of both editions with an element in a context no page before them had, each
    with those contexts (see `new_styles`), and each edition's home page, whole (None). A page
    is taken in both editions before the next, the editions in turns, so the two crawls share
    the pages with new pieces (and take about as long)."""
    by_path: dict[str, list[str]] = {}
    for rel in site_pages:
        edition, _, path = rel.partition("/")
        by_path.setdefault(path, []).append(rel)
    order = [rel for turn, path in enumerate(sorted(by_path)) for rel in sorted(by_path[path], reverse=turn % 2 == 1)]
    homes: dict[str, set[str] | None] = {p: None for p in site_pages if p.count("/") == 1}
    return {**new_styles(site_dir, order), **homes}


@pytest.fixture(scope="module")
def page_visits(
    browser_context,
    crawl_url: str,
    site_dir: Path,
    edition_pages: list[str],
    new_style_pages: dict[str, set[str] | None],
):
    """Every page of the edition, loaded once by a reader whose system prefers the light scheme:
    (light report, dark report or None) per page. Axe runs on every page but the notebook pages
    built of pieces seen before; its colour contrast reads the new pieces of the pages with new
    pieces (each home page whole); the system then switches to the dark scheme, and axe reads
    the colours of those pieces again. Notebook pages are one template over the chapters' own
    blocks and outputs, and a page of old pieces has no colour of its own."""
    pages = []
    for url, options in _pages(crawl_url, site_dir, edition_pages):
        rel = url.removeprefix(crawl_url)
        new = rel in new_style_pages
        colours = {"colours": new, "dark": new, "pieces": new_style_pages.get(rel)}
        pages.append((url, {**options, "run_axe": new or "/notebooks/" not in rel, **colours}))
    return inspect_pages(browser_context, pages)


@pytest.fixture(scope="module")
def page_reports(page_visits):
    """Every page of the edition in the light scheme; the page tests each check one aspect of these."""
    return [light for light, _ in page_visits]


@pytest.fixture(scope="module")
def dark_page_reports(page_visits):
    """The pages visited in the dark scheme too, once the system prefers it (axe checks the contrast there)."""
    return [dark for _, dark in page_visits if dark is not None]


def _most_math(site_dir: Path, pages: list[str]) -> str:
    return max(pages, key=lambda rel: page_html(site_dir, rel).count('class="arithmatex'))


@pytest.fixture(scope="module")
def no_script_pages(site_dir: Path, edition_pages: list[str], edition: str) -> list[str]:
    """The pages read with JavaScript off: one of each kind the templates make (the home page,
    the chapter and the notebook page with the most math) and every page with a diagram. Every
    page of a kind has the same stylesheets and scripts, so one shows what turning scripts off
    does to it; the math and diagrams of every page are checked in the HTML by the other visit
    (no script draws them)."""
    chapters = [p for p in edition_pages if p.startswith(f"{edition}/chapters/")]
    notebooks = [p for p in edition_pages if p.startswith(f"{edition}/notebooks/")]
    with_diagrams = [p for p in edition_pages if count_diagram_sources(page_html(site_dir, p))]
    chosen = {f"{edition}/", _most_math(site_dir, chapters), _most_math(site_dir, notebooks), *with_diagrams}
    return sorted(chosen)


@pytest.fixture(scope="module")
def no_script_page_reports(no_script_context, crawl_url: str, site_dir: Path, no_script_pages: list[str]):
    """Those pages with JavaScript off (axe, a script, cannot run there; bytes are not counted
    again, so nothing waits for late requests)."""
    pages = _pages(crawl_url, site_dir, no_script_pages, run_axe=False)
    return [light for light, _ in inspect_pages(no_script_context, pages, settle=False)]
