"""Every built page of one edition, in a real browser: what a reader gets.

Collected by one module per edition (test_every_page_zh.py, test_every_page_en.py, which say
which edition), so that `make test` can crawl the two editions on two cores. The pages are
discovered from the session's strict build (every `index.html` of the edition, without the 404
page and the asset folders), so new chapters are covered as they land. Each page is loaded
once, in the light scheme and then the dark (the `page_visits` fixture); one page of each kind
is loaded again with JavaScript off. Each test checks one aspect of all of them and lists every
page that fails it.
"""

from __future__ import annotations

import json
import re

import pytest

from .browser_checks import PAGE_BUDGET, PAGE_CHECKS, axe_problems, diagram_problems, math_problems

pytestmark = pytest.mark.slow

CHAPTER = re.compile(r"^(?:[a-z]{2}/)?chapters/\d\d[a-z]?-[^/.]+/$")


def _failures(reports, check) -> list[str]:
    return [f"{r.url}: {problem}" for r in reports for problem in check(r)]


def test_the_edition_has_a_home_page_and_chapters(edition_pages, edition):
    assert f"{edition}/" in edition_pages
    chapters = [p for p in edition_pages if CHAPTER.match(p)]
    assert chapters, f"no chapter pages among {edition_pages}"


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
def test_pages_without_javascript(no_script_page_reports, check):
    """Math and diagrams are in the HTML: with scripts off a reader sees them all the same (on
    one page of each kind and every page with a diagram: see the `no_script_pages` fixture)."""
    failures = _failures(no_script_page_reports, check)
    assert not failures, f"{len(failures)} problem(s) with JavaScript off:\n" + "\n".join(failures)
    assert any(r.katex for r in no_script_page_reports), "no typeset math with JavaScript off"
    assert any(r.diagrams_drawn for r in no_script_page_reports), "no diagram with JavaScript off"


def test_every_page_in_the_dark_scheme(dark_page_reports):
    """Axe's colour contrast once the reader's system prefers dark (nothing else changes)."""
    failures = _failures(dark_page_reports, axe_problems)
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


def test_home_page_diagram_is_an_svg(page_reports, edition):
    home = next(r for r in page_reports if r.url == f"{r.origin}/{edition}/")
    assert home.diagram_sources >= 1, "the home page has no diagram (the training loop)"
    assert home.diagrams_drawn == home.diagram_sources


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


def test_every_page_takes_the_readers_colour_scheme(page_reports, dark_page_reports):
    """The theme's `default` scheme for a reader whose system prefers light, `slate` once it
    prefers dark; a scheme remembered from the page before would show here."""
    wrong = [f"{r.url}: {r.scheme}" for r in page_reports if r.scheme != "default"]
    wrong += [f"{r.url}, system dark: {r.scheme}" for r in dark_page_reports if r.scheme != "slate"]
    assert not wrong, "\n".join(wrong)


def test_axe_and_the_dark_scheme_covered_the_kinds_of_page(page_visits, edition):
    """Axe ran on every chapter page, and the colours were read in both schemes on the home page
    at least (the other pages they are read on are those with new pieces: see the `page_visits`
    fixture)."""
    chapters = [light for light, _ in page_visits if CHAPTER.match(light.url.removeprefix(light.origin + "/"))]
    unchecked = [r.url for r in chapters if not r.axe_ran]
    assert chapters and not unchecked, unchecked
    dark = {
        light.url.removeprefix(light.origin + "/") for light, dark in page_visits if dark is not None and dark.axe_ran
    }
    assert f"{edition}/" in dark
    # The colours were read in both schemes on the same pages (those with new pieces).
    light_colours = {light.url.removeprefix(light.origin + "/") for light, _ in page_visits if light.axe_colours}
    assert light_colours == dark, (light_colours, dark)
    # On each, axe found at least one of the new pieces the built HTML named (a piece the theme's
    # scripts replace can be missing; none found would mean the colours were read nowhere).
    unfound = [r.url for visit in page_visits for r in visit if r is not None and r.axe_pieces_found == 0]
    assert not unfound, f"no new piece found on {unfound}"
