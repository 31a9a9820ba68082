"""The notebook a notebook page is rendered from, and what its page needs back: escaped dollars.

The page's copy leaves out the package cell's code, which the page does not show (see `for_page`).

A chapter writes a literal dollar as `\\$` (a price: "costs \\$5"). Jupyter shows it as `$`, so the
downloaded notebook keeps it. nbconvert, which renders the notebook page, drops the backslash
and leaves `$` in the HTML, where an escaped dollar can no longer be told from a formula's, so
"\\$x\\$" was typeset as math. The page's copy of the notebook therefore carries each escaped
dollar as an entity in a marked span that nbconvert passes through (`for_page`), and the page's
HTML gets it back as `&#36;`, which no typesetter reads as a delimiter (`literal_dollars`).

What counts as escaped is what pymdownx.arithmatex reads on chapter pages: a `\\$` outside code
and formulas, so `$a\\$b$` stays a formula with a dollar in it.
"""

from __future__ import annotations

import json
import re

from literate.export.notebook import PACKAGE_TAG

# Left to right, the first that matches: code (left alone), display or inline math (left alone:
# arithmatex's inline rule, no space just inside the dollars, `\$` part of the formula), and,
# before a dollar, a run of escaped backslashes and maybe an escaped dollar: `\\$y$` is a
# backslash, then a formula.
_PROSE_DOLLAR = re.compile(
    r"(?P<code>`+)(?:.|\n)*?(?P=code)"
    r"|(?<!\\)\$\$(?:.|\n)+?(?<!\\)\$\$"
    r"|(?<![\\$])\$(?![\s$])(?:\\.|[^\\$])+?(?<!\s)\$"
    r"|(?<!\\)(?P<pairs>(?:\\\\)*)(?:(?P<dollar>\\\$)|(?=\$))"
)
# A character nbconvert would read as Markdown or math, as an entity in a marked span: nbconvert
# decodes the entity and keeps the span, which `literal_dollars` turns back into the entity.
_RENDERED_MARK = re.compile(r'<span class="literate-literal">([$\\])</span>')


def _mark(character: str) -> str:
    return f'<span class="literate-literal">&#{ord(character)};</span>'


def mark_escaped_dollars(markdown: str) -> str:
    """`markdown` with each escaped dollar outside code and formulas, and each escaped backslash
    before a dollar, marked so that nbconvert keeps them literal."""

    def one(match: re.Match[str]) -> str:
        if match["pairs"] is None:
            return str(match[0])
        return _mark("\\") * (len(match["pairs"]) // 2) + (_mark("$") if match["dollar"] else "")

    return _PROSE_DOLLAR.sub(one, markdown)


def for_page(notebook_text: str) -> str:
    """The downloaded notebook's text as the notebook page's source: escaped dollars marked, and
    the package cell without its code, which the page leaves out (mkdocs.yml, `remove_input_tags`).
    So a `#@save` edit changes the page's source only where it changed a chapter's outputs, and
    mkdocs-jupyter, whose cache is keyed by these bytes, converts only those pages again."""
    notebook = json.loads(notebook_text)
    for cell in notebook["cells"]:
        if PACKAGE_TAG in cell.get("metadata", {}).get("tags", []):
            cell["source"] = ""
            continue
        source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
        if cell["cell_type"] == "markdown" and "\\$" in source:
            cell["source"] = mark_escaped_dollars(source)
    return json.dumps(notebook, ensure_ascii=False, sort_keys=True) + "\n"  # only nbconvert reads it


def literal_dollars(html: str) -> str:
    """A rendered notebook page with each marked character as an entity: `&#36;` is shown as
    `$` and is never a math delimiter."""
    return _RENDERED_MARK.sub(lambda m: f"&#{ord(m[1])};", html)
