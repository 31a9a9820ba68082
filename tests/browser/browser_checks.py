"""What a reader's browser gets from one page, and the checks on it.

`inspect_page` loads a page once in a real Chromium and records everything the checks need
(console errors, every request and the bytes transferred, images, math, diagrams, copy
buttons, axe-core violations), then, asked to, switches the reader's system to the dark scheme
and checks the colours again (the theme follows the system). Math and diagrams are drawn when the site is built, so the
same checks hold with JavaScript off (a context made with `java_script_enabled=False`).
Each `*_problems` function turns one record into a list of human-readable problems; an empty
list means the page passes. The tests run them over every built page, and over a page broken
on purpose to prove they can fail.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Collection
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

from redirects import is_redirect

from literate.static_server import serve as serve  # the fixtures (conftest.py) serve with it

ROOT = Path(__file__).resolve().parents[2]
# Debian's headless shell: the same Blink and V8 as its `chromium` package, without the desktop
# browser around them (Playwright's own default for headless runs). A page crawl costs about a
# third less CPU than in the full browser (ARCHITECTURE.md, Performance).
CHROMIUM = Path("/usr/bin/chromium-headless-shell")
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Any host name fails at once: an off-origin request is still recorded by the tests,
    # but nothing leaves the machine and no page waits on a network that may not be there.
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
]
# Scripts that would draw math or diagrams in the reader's browser: none may load.
RUNTIME_RENDERERS = re.compile(r"mathjax|katex[^/]*\.js|mermaid|tex-chtml|tex-svg", re.IGNORECASE)
# Budget for everything one page transfers (HTML, CSS, scripts, fonts, images, search index).
PAGE_BUDGET = 600 * 1024
# Schemes that never leave the browser.
LOCAL_SCHEMES = ("data:", "blob:", "about:")
AXE_BLOCKING = ("serious", "critical")


# ---------------------------------------------------------------------------------------------
# Serving and discovering the built site


# The site is served as a static host serves it (text gzip-compressed: the page weights count
# that) by the project's one static server, which `scripts/lighthouse.py` and the README's tip use too.


def discover_pages(site: Path) -> list[str]:
    """Every HTML page of the editions (`zh/`, `en/`), as a path relative to the site's root.

    Pages are `…/index.html` (MkDocs' directory URLs); the 404 pages are `404.html` and are left
    out, and so is anything under the theme's and the search's asset folders, and the site's
    root page, which only leads to the editions (tests/site/test_translations.py checks it), and the old
    chapter addresses, which only send the reader on (tests/site/test_redirects.py).
    """
    pages = []
    for index in sorted(site.rglob("index.html")):
        rel = index.parent.relative_to(site).as_posix()
        if rel == "." or {"assets", "search"} & set(rel.split("/")) or is_redirect(rel + "/"):
            continue
        pages.append(rel + "/")
    return pages


def served_port(site: Path) -> int:
    """The port the site was built for: its addresses (site_url, as in the sitemap) name it."""
    loc = re.search(r"<loc>([^<]+)</loc>", (site / "zh" / "sitemap.xml").read_text(encoding="utf-8"))
    assert loc, f"{site / 'zh' / 'sitemap.xml'}: no <loc>: is site_url set?"
    return urlsplit(loc.group(1)).port or 80


class _StyleContexts(HTMLParser):
    """Each element of a page's body as `parent > element`, each with its classes (`div.a.b`)."""

    VOID = frozenset(
        {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
    )

    def __init__(self):
        super().__init__()
        self.open: list[str] = []
        self.seen: set[str] = set()

    def handle_starttag(self, tag, attrs):
        element = tag + "".join("." + c for c in sorted((dict(attrs).get("class") or "").split()))
        self.seen.add(f"{self.open[-1] if self.open else ''} > {element}")
        if tag not in self.VOID:
            self.open.append(element)

    def handle_endtag(self, tag):
        while self.open and self.open.pop().split(".")[0] != tag:
            pass


def style_contexts(html: str) -> set[str]:
    parser = _StyleContexts()
    parser.feed(html[html.find("<body") :])
    return parser.seen


def new_styles(site: Path, pages: list[str]) -> dict[str, set[str]]:
    """The pages, in the order given, with an element in a context no page before them had,
    each with those contexts (`style_contexts`' `parent > element`).

    What a page's colours are depends on its elements, their classes and where they sit, not
    on its words: a page built of the same pieces as pages before it has no colour of its own,
    and on a page with new pieces, the new pieces (with whatever they hold) are what is new.
    """
    seen: set[str] = set()
    new: dict[str, set[str]] = {}
    for rel in pages:
        contexts = style_contexts(page_html(site, rel)) - seen
        if contexts:
            new[rel] = contexts
            seen |= contexts
    return new


@functools.cache
def page_html(site: Path, rel: str) -> str:
    """A built page's HTML (`rel` as `discover_pages` gives it), read once per process."""
    return (site / rel / "index.html").read_text(encoding="utf-8")


def count_diagram_sources(html: str) -> int:
    """How many diagrams the page's HTML holds (drawn at build time, or left for a script)."""
    return len(re.findall(r'class="[^"]*\b(?:literate-diagram|mermaid)\b', html))


# ---------------------------------------------------------------------------------------------
# Loading a page and recording what the reader gets


@dataclass
class PageReport:
    url: str
    origin: str
    scheme: str | None = None  # the theme's colour scheme on the body (default, slate), if any
    console_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    broken_images: list[str] = field(default_factory=list)
    raw_math: list[str] = field(default_factory=list)
    math_errors: int = 0
    arithmatex: int = 0
    arithmatex_unrendered: list[str] = field(default_factory=list)
    katex: int = 0
    diagram_sources: int = 0
    diagrams_drawn: int = 0
    renderer_scripts: list[str] = field(default_factory=list)
    transfer_bytes: int = 0
    code_blocks: int = 0
    code_blocks_without_copy: list[str] = field(default_factory=list)
    notebook_links: list[str] = field(default_factory=list)
    axe_violations: list[dict] = field(default_factory=list)
    axe_ran: bool = False
    axe_colours: bool = False  # axe's colour contrast was among the rules it ran
    axe_pieces_found: int | None = None  # how many of the pieces given it found (None: the whole page)


# One evaluation after the page has settled: what is on the screen.
_STATE_JS = """
() => {
  const describe = (el) => {
    const id = el.id ? "#" + el.id : "";
    return el.tagName.toLowerCase() + id + ": " + (el.textContent || "").trim().slice(0, 60);
  };
  // Visible text outside code, scripts and rendered math: raw TeX must not be left there.
  // (Hidden text, such as the copy source of a notebook cell, is not read.)
  const skip = "pre, code, script, style, noscript, textarea, template, .katex, .md-search";
  // (Filtered in the loop, not by a callback: with JavaScript off, the page cannot call one.)
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const texts = [];
  while (walker.nextNode()) {
    const parent = walker.currentNode.parentElement;
    if (parent && !parent.closest(skip) && parent.checkVisibility()) texts.push(walker.currentNode.nodeValue);
  }

  const arithmatex = [...document.querySelectorAll(".arithmatex")];
  // A drawn diagram: an inline SVG with nodes, and a non-zero size on the screen.
  const diagrams = [...document.querySelectorAll(".literate-diagram > svg")].filter((svg) =>
    svg.querySelector(".node") && svg.getBoundingClientRect().height > 0);
  // Code blocks: Material's (copy button inside the <pre>) and notebook pages' code cells
  // (mkdocs-jupyter's <clipboard-copy> beside the <pre>). A notebook cell's output is shown
  // as Jupyter shows it, without a button; the chapter page has one on each output.
  const blocks = [...document.querySelectorAll(".md-content pre")]
    .filter((p) => !p.closest(".jp-OutputArea"));
  const copyable = (p) =>
    p.querySelector("button.md-code__button[data-md-type=copy]") ||
    (p.closest(".jp-InputArea-editor") &&
      p.closest(".jp-InputArea-editor").querySelector("clipboard-copy"));
  return {
    scheme: document.body.getAttribute("data-md-color-scheme"),
    texts,
    brokenImages: [...document.images]
      .filter((i) => !(i.complete && i.naturalWidth > 0))
      .map((i) => i.currentSrc || i.getAttribute("src") || "(no src)"),
    mathErrors: document.querySelectorAll(".katex-error").length,
    arithmatex: arithmatex.length,
    arithmatexUnrendered: arithmatex
      .filter((a) => !a.querySelector(".katex > math")).map(describe),
    katex: document.querySelectorAll(".katex").length,
    diagramsDrawn: diagrams.length,
    codeBlocks: blocks.length,
    codeBlocksWithoutCopy: blocks.filter((p) => !copyable(p)).map(describe),
    notebookLinks: [...document.querySelectorAll("a.literate-notebook")]
      .map((a) => a.href),
  };
}
"""

# Started without waiting (the next page loads meanwhile); its result is collected later. The
# theme fades colours in when it applies the scheme: axe judges the page as it ends up, with
# the fades cut short, not a frame in the middle of one (a loaded machine caught one).
# Each run is (pieces, axe's options): pieces null for the whole page, else the contexts
# (`parent > element`, as `style_contexts` writes them) whose elements, and all they hold, axe
# reads (an element under another parent if the theme's scripts moved it); a piece the live
# page lacks is left out, and counted.
_AXE_START_JS = """
([blocking, runs]) => {
  if (!document.getElementById("no-fades")) {
    const still = document.createElement("style");
    still.id = "no-fades";
    still.textContent = "*, *::before, *::after { transition: none !important; animation: none !important; }";
    document.head.appendChild(still);
  }
  const element = (piece) => {
    const [tag, ...classes] = piece.split(".");
    return tag + classes.map((name) => "." + CSS.escape(name)).join("");
  };
  const present = (css) => {
    try { return document.querySelector(css) !== null; } catch { return false; }
  };
  // The element under its parent, else anywhere (the theme's scripts wrap some, tables in a
  // scrolling box); null if the page has none.
  const selector = (context) => {
    const [parent, child] = context.split(" > ");
    const choices = parent ? [element(parent) + " > " + element(child), element(child)] : [element(child)];
    return choices.find(present) || null;
  };
  const settled = new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
  window.__axeResult = settled.then(async () => {
    const violations = [];
    let piecesFound = null;
    for (const [pieces, options] of runs) {
      let context = document;
      if (pieces !== null) {
        const found = pieces.map(selector).filter(Boolean);
        piecesFound = (piecesFound || 0) + found.length;
        if (!found.length) continue;
        context = { include: found.map((css) => [css]) };
      }
      violations.push(...(await axe.run(context, { resultTypes: ["violations"], ...options })).violations);
    }
    return {
      piecesFound,
      violations: violations
        .filter((v) => blocking.includes(v.impact))
        .map((v) => ({
          id: v.id,
          impact: v.impact,
          help: v.help,
          nodes: v.nodes.slice(0, 5).map((n) => n.target.join(" ")),
        })),
    };
  });
}
"""
# In the dark scheme only colours change (the theme swaps its colour variables on the same
# page), so there axe runs the one rule that reads colours; the others ran on the light page.
_AXE_COLOURS_ONLY = {"runOnly": ["color-contrast"]}
# Every rule but the one that reads colours, the slowest (more than half of axe's time on a
# chapter page): see `open_page`.
_AXE_ALL_BUT_COLOURS = {"rules": {"color-contrast": {"enabled": False}}}
SCHEME_JS = '() => document.body.getAttribute("data-md-color-scheme")'  # the theme's scheme: default, slate
# The theme follows the system's scheme as it changes; a page without the theme has nothing to wait for.
_DARK_APPLIED_JS = """
() => !document.body.hasAttribute("data-md-color-scheme")
  || document.body.getAttribute("data-md-color-scheme") === "slate"
"""
_AXE_RESULT_JS = "() => window.__axeResult"

# Bytes the page transferred: the document and every resource (fonts and the search index
# included), as the browser's resource timing counts them.
_TRANSFER_JS = """
() => [...performance.getEntriesByType("navigation"), ...performance.getEntriesByType("resource")]
  .reduce((sum, entry) => sum + entry.transferSize, 0)
"""

# Raw TeX a reader would see: \\( \\) \\[ \\] or $…$ / $$ left in the text.
_RAW_MATH = re.compile(r"\\[()\[\]]|\$\$|\$[^$\n]+\$")


def _console_text(message) -> str:
    where = message.location.get("url", "") if message.location else ""
    return f"{message.text} ({where})" if where else message.text


class Tab:
    """A browser tab that loads page after page, recording each into its own report.

    One tab reused costs far less than a new tab per page, which starts a renderer process
    each time (measured on 17 pages: 7 s of CPU against 20 s). Between two pages the tab
    visits about:blank with no report open, so nothing of one page is counted for the next.
    """

    def __init__(self, context):
        self.page = context.new_page()
        self.report: PageReport | None = None
        # Every page as a first visit: nothing from the HTTP cache, so its bytes are all counted.
        cdp = context.new_cdp_session(self.page)
        cdp.send("Network.enable")
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
        self.page.on("console", lambda m: m.type == "error" and self._note("console_errors", _console_text(m)))
        self.page.on("pageerror", lambda e: self._note("console_errors", f"uncaught: {e}"))
        self.page.on("request", self._on_request)
        self.page.on("requestfailed", lambda r: self._note("failed_requests", f"{r.url} ({r.failure})"))
        self.page.on(
            "response", lambda r: r.status >= 400 and self._note("failed_requests", f"{r.url} (HTTP {r.status})")
        )

    def _note(self, field_name: str, entry: str) -> None:
        if self.report is not None:
            getattr(self.report, field_name).append(entry)

    def _on_request(self, request) -> None:
        self._note("requests", request.url)
        if request.resource_type == "script" and RUNTIME_RENDERERS.search(request.url):
            self._note("renderer_scripts", request.url)

    def clear(self) -> None:
        """End the current page: nothing more is recorded for it."""
        self.report = None
        self.page.goto("about:blank")

    def close(self) -> None:
        self.page.close()


def _record_state(page, report: PageReport) -> None:
    """What is on the screen now: text, images, math, diagrams, code blocks, notebook links."""
    state = page.evaluate(_STATE_JS)
    report.scheme = state["scheme"]
    report.raw_math = [
        m.group(0) + " in " + repr(t.strip()[:80]) for t in state["texts"] for m in _RAW_MATH.finditer(t)
    ]
    report.broken_images = state["brokenImages"]
    report.math_errors = state["mathErrors"]
    report.arithmatex = state["arithmatex"]
    report.arithmatex_unrendered = state["arithmatexUnrendered"]
    report.katex = state["katex"]
    report.diagrams_drawn = state["diagramsDrawn"]
    report.code_blocks = state["codeBlocks"]
    report.code_blocks_without_copy = state["codeBlocksWithoutCopy"]
    report.notebook_links = state["notebookLinks"]


# Material sets up a code block (its copy button; focusable if it scrolls) when the block first
# comes near the screen (`content.lazy`, mkdocs.yml). The tab scrolls to each block not yet set
# up, as a reader scrolling through would, then back to the top, before the checks read the page.
# (A window as tall as the page drew the whole page in one frame, twice, as it grew and shrank:
# more CPU, ARCHITECTURE.md's Performance section.)
# A page whose blocks are all set up (a notebook page's cells are not Material's blocks) is
# left as it is, and so is a page without the theme's scripts (scripts off: nothing is set up,
# and the checks say so).
_SCROLL_TO_EACH_BLOCK_JS = """
async () => {
  const waiting = () => [...document.querySelectorAll(".md-content pre:not(.mermaid) > code")]
    .find((code) => !code.parentElement.id.startsWith("__code_"));
  if (!document.documentElement.classList.contains("js") || !waiting()) return;
  const frame = () => new Promise((done) => requestAnimationFrame(() => done()));
  const deadline = performance.now() + 10000;
  for (let block = waiting(); block && performance.now() < deadline; block = waiting()) {
    block.scrollIntoView({ block: "center" });
    await frame();
    await frame();
  }
  window.scrollTo(0, 0);
  await frame();
}
"""


def _mount_code_blocks(page) -> None:
    """Bring every code block near the screen once; a block still without its button after
    10 s is left for the copy check to name."""
    page.evaluate(_SCROLL_TO_EACH_BLOCK_JS)


def open_page(
    tab: Tab,
    url: str,
    *,
    diagram_sources: int = 0,
    run_axe: bool = True,
    colours: bool = True,
    pieces: Collection[str] | None = None,
) -> PageReport:
    """Load `url` in `tab`, record what is on the screen, and start axe on it: every rule on the
    whole page, but its colour contrast only with `colours`, and then only on `pieces` (contexts
    as `new_styles` gives them) when given. The colours follow the pieces: a piece seen before
    has had its colours read, while the other rules read what differs from page to page, its
    words, links and images.

    `finish_page` completes the report. Between the two, the tab keeps recording requests and
    console messages, and axe runs while the caller loads the next page in another tab.
    """
    origin = re.match(r"^[a-z]+://[^/]+", url).group(0)
    tab.report = report = PageReport(url=url, origin=origin, diagram_sources=diagram_sources)
    tab.page.goto(url, wait_until="load", timeout=60_000)
    _mount_code_blocks(tab.page)
    _record_state(tab.page, report)
    if run_axe:
        tab.page.add_script_tag(path=str(AXE))
        if colours and pieces is None:
            runs = [(None, {})]
        else:
            runs = [(None, _AXE_ALL_BUT_COLOURS)] + ([(sorted(pieces), _AXE_COLOURS_ONLY)] if colours else [])
        tab.page.evaluate(_AXE_START_JS, [list(AXE_BLOCKING), runs])
        report.axe_colours = colours
    return report


def _read_axe_result(page, report: PageReport) -> None:
    result = page.evaluate(_AXE_RESULT_JS)
    report.axe_violations, report.axe_pieces_found = result["violations"], result["piecesFound"]


def finish_page(
    tab: Tab,
    *,
    run_axe: bool = True,
    dark: bool = False,
    settle: bool = True,
    pieces: Collection[str] | None = None,
) -> tuple[PageReport, PageReport | None]:
    """Collect the axe result; with `settle`, let late requests land and count the bytes; with
    `dark`, switch the reader's system to the dark scheme and check the page again (a second
    report: the scheme the theme took, and axe's colour contrast, on `pieces` if given), then
    back; end the page."""
    page, report, dark_report = tab.page, tab.report, None
    page.bring_to_front()  # a tab in the background gets few animation frames, and axe waits for two
    if run_axe:
        _read_axe_result(page, report)
        report.axe_ran = True
    if settle:
        try:  # whatever the page still fetches after load (search index, sitemap) counts too
            page.wait_for_load_state("networkidle", timeout=5_000)
        except Exception:  # noqa: BLE001 - a page that keeps polling is not a failure here
            pass
        page.evaluate("() => document.fonts.ready.then(() => true)")  # a font the last layout asked for
        report.transfer_bytes = page.evaluate(_TRANSFER_JS)
    if dark:
        page.emulate_media(color_scheme="dark")
        try:
            page.wait_for_function(_DARK_APPLIED_JS, timeout=10_000)
            # Only colours change: what is on the screen was recorded in the light scheme.
            dark_report = PageReport(url=report.url, origin=report.origin, diagram_sources=report.diagram_sources)
            dark_report.scheme = page.evaluate(SCHEME_JS)
            if run_axe:
                within = None if pieces is None else sorted(pieces)
                page.evaluate(_AXE_START_JS, [list(AXE_BLOCKING), [(within, _AXE_COLOURS_ONLY)]])
                _read_axe_result(page, dark_report)
                dark_report.axe_ran = dark_report.axe_colours = True
        finally:
            page.emulate_media(color_scheme="null")  # the context's own scheme again
    tab.clear()
    return report, dark_report


def inspect_page(context, url: str, *, dark: bool = False, **options) -> tuple[PageReport, PageReport | None]:
    """Load one page and record what a reader gets: (light, None), or with `dark` (light, dark)."""
    tab = Tab(context)
    try:
        open_page(tab, url, **options)
        return finish_page(tab, run_axe=options.get("run_axe", True), dark=dark, pieces=options.get("pieces"))
    finally:
        tab.close()


def inspect_pages(
    context, pages: list[tuple[str, dict]], *, overlap: int = 2, dark: bool = False, settle: bool = True
) -> list[tuple[PageReport, PageReport | None]]:
    """`open_page` and `finish_page` over many pages in `overlap` tabs taken in turn: axe on one
    page runs while the next page loads in the next tab. One (light, dark or None) per page; a
    page's options may say `dark` for it alone."""
    tabs = [Tab(context) for _ in range(overlap)]
    reports, pending = [], []  # pending: (tab, finish options) of pages opened, not finished
    try:
        for index, (url, options) in enumerate(pages):
            tab = tabs[index % overlap]
            if len(pending) == overlap:
                done, finish = pending.pop(0)
                reports.append(finish_page(done, **finish))
            page_dark = options.get("dark", dark)
            options = {k: v for k, v in options.items() if k != "dark"}
            open_page(tab, url, **options)
            finish = {
                "run_axe": options.get("run_axe", True),
                "dark": page_dark,
                "settle": settle,
                "pieces": options.get("pieces"),
            }
            pending.append((tab, finish))
        reports += [finish_page(tab, **finish) for tab, finish in pending]
    finally:
        for tab in tabs:
            tab.close()
    return reports


# ---------------------------------------------------------------------------------------------
# The checks: each returns the problems it finds in one report (empty = pass)


def console_problems(r: PageReport) -> list[str]:
    return [f"console error: {e}" for e in r.console_errors]


def request_problems(r: PageReport) -> list[str]:
    """Every request to the site itself succeeded."""
    return [f"request failed: {f}" for f in r.failed_requests if f.startswith(r.origin + "/")]


def origin_problems(r: PageReport) -> list[str]:
    """Nothing was requested from anywhere but the local server."""
    return [
        f"off-origin request: {u}"
        for u in r.requests
        if not (u.startswith(r.origin + "/") or u.startswith(LOCAL_SCHEMES))
    ]


def image_problems(r: PageReport) -> list[str]:
    return [f"image not loaded: {src}" for src in r.broken_images]


def math_problems(r: PageReport) -> list[str]:
    """Math is in the HTML as KaTeX output (with its MathML), and no script typesets it."""
    problems = [f"raw TeX in the text: {m}" for m in r.raw_math]
    if r.math_errors:
        problems.append(f"{r.math_errors} KaTeX error node(s) (.katex-error)")
    problems += [f"math not typeset: {a}" for a in r.arithmatex_unrendered]
    problems += [f"a script draws math or diagrams in the browser: {u}" for u in r.renderer_scripts]
    return problems


def diagram_problems(r: PageReport) -> list[str]:
    if r.diagrams_drawn < r.diagram_sources:
        return [f"{r.diagram_sources} diagram(s), {r.diagrams_drawn} drawn as an inline SVG with nodes"]
    return []


def weight_problems(r: PageReport) -> list[str]:
    if r.transfer_bytes > PAGE_BUDGET:
        return [f"{r.transfer_bytes / 1024:.0f} KB transferred, over the {PAGE_BUDGET // 1024} KB budget"]
    return []


def copy_button_problems(r: PageReport) -> list[str]:
    return [f"code block without a copy button: {b}" for b in r.code_blocks_without_copy]


def axe_problems(r: PageReport) -> list[str]:
    return [f"axe {v['impact']} {v['id']}: {v['help']} at {', '.join(v['nodes'])}" for v in r.axe_violations]


PAGE_CHECKS = {
    "console": console_problems,
    "requests": request_problems,
    "origin": origin_problems,
    "images": image_problems,
    "math": math_problems,
    "diagram": diagram_problems,
    "weight": weight_problems,
    "copy": copy_button_problems,
    "axe": axe_problems,
}
