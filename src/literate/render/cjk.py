"""No stray spaces where Chinese (or Japanese) text is broken over several source lines.

A line break inside a paragraph renders as a space. Between two CJK characters that space is
wrong (these languages put no spaces between words), so the break is removed wherever the
characters on both sides are CJK (or curly quotes, which Chinese text uses too). Code blocks are left alone, and so is a break next to Latin
text, where the space is wanted. Used by the site's pages (hooks/cjk.py) and the notebooks.
"""

from __future__ import annotations

import re

CJK = "\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef"
QUOTES = "\u2018\u2019\u201c\u201d"  # ‘ ’ “ ”: Chinese text quotes with these too
ENDS_CJK = re.compile(f"[{CJK}{QUOTES}]$")
STARTS_CJK = re.compile(f"^[ \\t]*[{CJK}{QUOTES}]")
FENCE = re.compile(r"^[ \t]*(`{3,}|~{3,})")
HEADING = re.compile(r"^[ \t]*(#|\|)")  # a heading or table row is a line of its own


def is_cjk_language(language: str | None) -> bool:
    """Whether pages in `language` (a theme language such as "zh" or "zh-Hant") get their lines joined."""
    return str(language or "").split("-")[0] in {"zh", "ja"}


def join_cjk_lines(markdown: str) -> str:
    out: list[str] = []
    fence = None  # the fence that opened the current code block
    for line in markdown.split("\n"):
        opening = FENCE.match(line)
        if fence is None and opening:
            fence = opening.group(1)
        elif fence is not None and opening and opening.group(1).startswith(fence[0] * len(fence)):
            fence = None
        elif (
            fence is None and out and ENDS_CJK.search(out[-1]) and STARTS_CJK.match(line) and not HEADING.match(out[-1])
        ):
            out[-1] += line.lstrip()
            continue
        out.append(line)
    return "\n".join(out)
