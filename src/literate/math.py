"""Math typeset when the site is built: TeX in rendered HTML becomes KaTeX's HTML + MathML.

Knows nothing of MkDocs. `Typesetter.page(html)` replaces, in one page's HTML,
- the spans and divs that `pymdownx.arithmatex` (generic mode) leaves: `\\(…\\)`, `\\[…\\]`,
  `\\begin{env}…\\end{env}`;
- the `$…$`, `$$…$$` and `\\begin{env}…\\end{env}` that nbconvert leaves in a notebook's
  rendered Markdown cells (outside their code).
Formulas are rendered by one Node process per build (`node/katex-lines.cjs`, KaTeX from the
project's node_modules), fed a page's formulas at once, and cached one file per formula under
`cache_dir`, keyed by the formula, its mode, the KaTeX version and the script: a warm build
starts no Node at all.
"""

from __future__ import annotations

import hashlib
import html as htmllib
import json
import os
import re
import shutil
import subprocess
import threading
from pathlib import Path

from .atomic import write_atomic

SCRIPT = Path(__file__).with_name("node") / "katex-lines.cjs"

# pymdownx.arithmatex, generic mode: <span class="arithmatex">\(…\)</span>, <div class="arithmatex">\[…\]</div>
_ARITHMATEX = re.compile(
    r'<(?P<tag>span|div) class="arithmatex">(?P<body>.*?)</(?P=tag)>', re.DOTALL
)
# A notebook's rendered Markdown cell, as nbconvert's lab template writes it.
_NOTEBOOK_MARKDOWN = re.compile(r'<div class="[^"]*\bjp-RenderedMarkdown\b[^"]*"[^>]*>')
_DIV = re.compile(r"<div\b|</div>")
_CODE = re.compile(r"(<pre\b.*?</pre>|<code\b.*?</code>)", re.DOTALL)
# The delimiters nbconvert's Markdown renderer keeps (its math stays TeX, HTML-escaped).
_DOLLAR_MATH = re.compile(
    r"(?<!\\)\$\$(?P<block>.+?)(?<!\\)\$\$"
    r"|(?<![$\\])\$(?P<inline>.+?)(?<![$\\])\$"
    r"|(?P<env>\\begin\{(?P<name>[a-z]*\*?)\}.*?\\end\{(?P=name)\})",
    re.DOTALL,
)


class MathError(ValueError):
    """A formula KaTeX cannot typeset, or no way to run KaTeX."""


class Typesetter:
    def __init__(self, cache_dir: Path, node_modules: Path, node: str = "node"):
        self.cache_dir = Path(cache_dir)
        self.node_modules = Path(node_modules)
        self.node = node
        self.process: subprocess.Popen | None = None
        self.rendered = 0  # formulas Node typeset in this build (cache misses)
        self._salt: str | None = None

    # -- one page ---------------------------------------------------------------------------

    def page(self, html: str) -> str:
        """`html` with every formula typeset (see the module docstring)."""
        found: list[tuple[str, bool]] = []
        self._rewrite(html, lambda tex, display: found.append((tex, display)) or "")
        if not found:
            return html
        done = dict(zip(found, self.render(found)))
        return self._rewrite(html, lambda tex, display: done[(tex, display)])

    def _rewrite(self, html: str, typeset) -> str:
        def arithmatex(m: re.Match) -> str:
            body = htmllib.unescape(m["body"]).strip()
            display = m["tag"] == "div"
            if body[:2] in ("\\(", "\\["):
                body = body[2:-2]
            return f'<{m["tag"]} class="arithmatex">{typeset(body.strip(), display)}</{m["tag"]}>'

        html = _ARITHMATEX.sub(arithmatex, html)
        return _in_notebook_markdown(html, lambda part: _dollar_math(part, typeset))

    # -- formulas ---------------------------------------------------------------------------

    def render(self, formulas: list[tuple[str, bool]]) -> list[str]:
        """KaTeX's HTML for each (tex, display), from the cache or from Node."""
        paths = [self._cache_path(tex, display) for tex, display in formulas]
        unique = dict.fromkeys(f for f, p in zip(formulas, paths) if not p.is_file())
        if unique:
            answers = self._ask_node([{"tex": t, "display": d} for t, d in unique])
            problems = []
            for (tex, display), answer in zip(unique, answers):
                if "error" in answer:
                    delimiters = ("$$", "$$") if display else ("$", "$")
                    problems.append(f"{delimiters[0]}{tex}{delimiters[1]}: {answer['error']}")
                else:
                    write_atomic(self._cache_path(tex, display), answer["html"])
                    self.rendered += 1
            if problems:
                raise MathError("KaTeX cannot typeset:\n  " + "\n  ".join(problems))
        return [p.read_text(encoding="utf-8") for p in paths]

    def _cache_path(self, tex: str, display: bool) -> Path:
        key = json.dumps([self.salt, display, tex], ensure_ascii=False)
        digest = hashlib.sha256(key.encode()).hexdigest()
        return self.cache_dir / digest[:2] / f"{digest[2:]}.html"

    @property
    def salt(self) -> str:
        """What else decides the output: KaTeX's version and the script's options."""
        if self._salt is None:
            package = self.node_modules / "katex" / "package.json"
            if not package.is_file():
                raise MathError(f"{package} not found: run `npm ci` (the site typesets its math with KaTeX)")
            version = json.loads(package.read_text(encoding="utf-8"))["version"]
            script = hashlib.sha256(SCRIPT.read_bytes()).hexdigest()[:16]
            self._salt = f"katex {version} {script}"
        return self._salt

    def _ask_node(self, requests: list[dict]) -> list[dict]:
        process = self._start()
        # A writer thread: Node answers while it still reads, and a full pipe must not block both.
        def write():
            try:
                for request in requests:
                    process.stdin.write(json.dumps(request, ensure_ascii=False) + "\n")
                process.stdin.flush()
            except BrokenPipeError:
                pass

        writer = threading.Thread(target=write, daemon=True)
        writer.start()
        answers = []
        for _ in requests:
            line = process.stdout.readline()
            if not line:
                self.close()
                raise MathError(f"the KaTeX process ({SCRIPT}) stopped before answering")
            answers.append(json.loads(line))
        writer.join()
        return answers

    def _start(self) -> subprocess.Popen:
        if self.process is None or self.process.poll() is not None:
            self.salt  # noqa: B018 - fails clearly when KaTeX is not installed
            node = shutil.which(self.node)
            if node is None:
                raise MathError(f"`{self.node}` not found: Node.js typesets the site's math at build time")
            self.process = subprocess.Popen(
                [node, str(SCRIPT)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
                encoding="utf-8",
                env={**os.environ, "NODE_PATH": str(self.node_modules)},
            )
        return self.process

    def close(self) -> None:
        if self.process is not None:
            self.process.stdin.close()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process.stdout.close()
            self.process = None


def _in_notebook_markdown(html: str, change) -> str:
    """`html` with `change` applied to the inside of each rendered Markdown cell, code excepted."""
    out, at = [], 0
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


def _dollar_math(html: str, typeset) -> str:
    def one(m: re.Match) -> str:
        if m["block"] is not None:
            return typeset(htmllib.unescape(m["block"]).strip(), True)
        if m["inline"] is not None:
            return typeset(htmllib.unescape(m["inline"]).strip(), False)
        return typeset(htmllib.unescape(m["env"]), True)

    return _DOLLAR_MATH.sub(one, html)
