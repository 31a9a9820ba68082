"""Math typeset when the site is built: TeX in rendered HTML becomes MathML (KaTeX), which browsers draw.

Knows nothing of MkDocs. `Typesetter.page(html)` replaces, in one page's HTML,
- the spans and divs that `pymdownx.arithmatex` (generic mode) leaves: `\\(…\\)`, `\\[…\\]`,
  `\\begin{env}…\\end{env}`;
- the `$…$`, `$$…$$` and `\\begin{env}…\\end{env}` that nbconvert leaves in a notebook's
  rendered Markdown cells (outside their code).
Formulas are rendered by KaTeX in the build's Node process (`node_renderer.NodeRenderer`, shared
with the diagrams), fed a page's formulas at once, and cached one file per formula under
`cache_dir`, keyed by the formula, its mode, the KaTeX version and the script: a warm build
starts no Node at all.
"""

from __future__ import annotations

import html as htmllib
import json
import re
from collections.abc import Callable
from pathlib import Path

from literate.cache import Cache, digest
from literate.render.node_renderer import NodeRenderer, RendererError

# pymdownx.arithmatex, generic mode: <span class="arithmatex">\(…\)</span>, <div class="arithmatex">\[…\]</div>
_ARITHMATEX = re.compile(r'<(?P<tag>span|div) class="arithmatex">(?P<body>.*?)</(?P=tag)>', re.DOTALL)
# A notebook's rendered Markdown cell, as nbconvert's lab template writes it.
_NOTEBOOK_MARKDOWN = re.compile(r'<div class="[^"]*\bjp-RenderedMarkdown\b[^"]*"[^>]*>')
_DIV = re.compile(r"<div\b|</div>")
_CODE = re.compile(r"(<pre\b.*?</pre>|<code\b.*?</code>)", re.DOTALL)
# The delimiters nbconvert's Markdown renderer keeps (its math stays TeX, HTML-escaped). Inline
# math follows pymdownx.arithmatex's rule on chapter pages, so prose reads the same on both: no
# space just inside either dollar ("costs $5 and $1" is prose); and, as in Pandoc, a closing
# dollar is not followed by a digit, because nbconvert has already turned `\$5-\$10` into `$5-$10`.
_DOLLAR_MATH = re.compile(
    r"(?<!\\)\$\$(?P<block>.+?)(?<!\\)\$\$"
    r"|(?<![$\\])\$(?![\s$])(?P<inline>(?:\\.|[^\\$])+?)(?<!\s)\$(?!\d)"
    r"|(?P<env>\\begin\{(?P<name>[a-z]*\*?)\}.*?\\end\{(?P=name)\})",
    re.DOTALL,
)


Typeset = Callable[[str, bool], str]  # (tex, display) -> HTML


class MathError(ValueError):
    """A formula KaTeX cannot typeset (`formulas` holds their TeX), or no way to run KaTeX."""

    def __init__(self, message: str, formulas: tuple[str, ...] = ()):
        super().__init__(message)
        self.formulas = formulas


class Typesetter:
    def __init__(self, cache_dir: Path, renderer: NodeRenderer):
        self.cache = Cache(Path(cache_dir), ".html")
        self.renderer = renderer
        self.rendered = 0  # formulas Node typeset in this build (cache misses)
        self._salt: str | None = None

    # -- one page ---------------------------------------------------------------------------

    def page(self, html: str) -> str:
        """`html` with every formula typeset (see the module docstring)."""
        found: list[tuple[str, bool]] = []

        def note(tex: str, display: bool) -> str:
            found.append((tex, display))
            return ""

        self._rewrite(html, note)
        if not found:
            return html
        done = dict(zip(found, self.render(found), strict=True))
        return self._rewrite(html, lambda tex, display: done[(tex, display)])

    def _rewrite(self, html: str, typeset: Typeset) -> str:
        def arithmatex(m: re.Match[str]) -> str:
            body = htmllib.unescape(m["body"]).strip()
            display = m["tag"] == "div"
            if body[:2] in ("\\(", "\\["):
                body = body[2:-2]
            return f'<{m["tag"]} class="arithmatex">{typeset(body.strip(), display)}</{m["tag"]}>'

        html = _ARITHMATEX.sub(arithmatex, html)
        return _in_notebook_markdown(html, lambda part: _dollar_math(part, typeset))

    # -- formulas ---------------------------------------------------------------------------

    def render(self, formulas: list[tuple[str, bool]]) -> list[str]:
        """KaTeX's MathML for each (tex, display), from the cache or from Node."""
        cached = {f: self.cache.read_text(self._key(*f)) for f in dict.fromkeys(formulas)}
        unique = [f for f, html in cached.items() if html is None]
        if unique:
            try:
                answers = self.renderer.ask([{"tex": t, "display": d} for t, d in unique])
            except RendererError as error:
                raise MathError(str(error)) from None
            problems, rejected = [], []
            for (tex, display), answer in zip(unique, answers, strict=True):
                if "error" in answer:
                    delimiters = ("$$", "$$") if display else ("$", "$")
                    problems.append(f"{delimiters[0]}{tex}{delimiters[1]}: {answer['error']}")
                    rejected.append(tex)
                else:
                    self.cache.write(self._key(tex, display), answer["html"])
                    cached[(tex, display)] = answer["html"]
                    self.rendered += 1
            if problems:
                raise MathError("KaTeX cannot typeset:\n  " + "\n  ".join(problems), tuple(rejected))
        return [str(cached[f]) for f in formulas]

    def _key(self, tex: str, display: bool) -> str:
        return digest(json.dumps([self.salt, display, tex], ensure_ascii=False))

    @property
    def salt(self) -> str:
        """What else decides the output: KaTeX's version and the script's options."""
        if self._salt is None:
            try:
                fingerprint = self.renderer.fingerprint("katex")
            except RendererError as error:
                raise MathError(str(error)) from None
            self._salt = f"katex {fingerprint}"
        return self._salt


def _in_notebook_markdown(html: str, change: Callable[[str], str]) -> str:
    """`html` with `change` applied to the inside of each rendered Markdown cell, code excepted."""
    out: list[str] = []
    at = 0
    for start in _NOTEBOOK_MARKDOWN.finditer(html):
        if start.start() < at:  # nested in a cell already done
            continue
        depth, end = 1, len(html)
        for tag in _DIV.finditer(html, start.end()):
            depth += 1 if tag.group() == "<div" else -1
            if depth == 0:
                end = tag.start()
                break
        inner = html[start.end() : end]
        parts = _CODE.split(inner)  # odd items are code: left alone
        inner = "".join(p if i % 2 else change(p) for i, p in enumerate(parts))
        out += [html[at : start.end()], inner]
        at = end
    out.append(html[at:])
    return "".join(out)


def _dollar_math(html: str, typeset: Typeset) -> str:
    def one(m: re.Match[str]) -> str:
        if m["block"] is not None:
            return typeset(htmllib.unescape(m["block"]).strip(), True)
        if m["inline"] is not None:
            return typeset(htmllib.unescape(m["inline"]).strip(), False)
        return typeset(htmllib.unescape(m["env"]), True)

    return _DOLLAR_MATH.sub(one, html)
