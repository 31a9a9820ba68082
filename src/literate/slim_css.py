"""Only the CSS a page uses: the stylesheets a notebook page inlines, cut to its own classes.

mkdocs-jupyter inlines all of JupyterLab's stylesheet (575 KB: widgets, menus, dialogs,
file browser) into every notebook page; a rendered notebook uses a few dozen of its classes.
`slim_styles(html)` keeps, in each `<style>` of `html`, the rules whose selectors name only
classes that occur in `html` (variables, element rules and Material's scheme rules stay), and
drops animations. Knows nothing of MkDocs. Results are cached by the stylesheet and the
page's classes, so a warm build does not parse the stylesheet again.
"""

from __future__ import annotations

import functools
import hashlib
import re
from pathlib import Path

import tinycss2

from .atomic import write_atomic

_STYLE = re.compile(r"(<style[^>]*>)(.*?)(</style>)", re.DOTALL)
_CLASS_ATTR = re.compile(r'\bclass="([^"]*)"')
_SELECTOR_CLASS = re.compile(r"\.(-?[_a-zA-Z][-_a-zA-Z0-9]*)")
# `:root` after anything else (`.jupyter-wrapper :root`, 87 KB of icon variables) matches nothing.
_NOT = re.compile(r":not\([^()]*\)")
_NEVER = re.compile(r".:root\b")
_DROPPED_AT_RULES = {"keyframes", "-webkit-keyframes", "-moz-keyframes", "charset"}


def page_classes(html: str) -> frozenset[str]:
    return frozenset(c for attr in _CLASS_ATTR.findall(html) for c in attr.split())


def slim_styles(html: str, cache_dir: Path | None = None) -> str:
    """`html` with each inline stylesheet cut to the classes `html` uses."""
    classes = page_classes(html)

    def one(m: re.Match) -> str:
        return m[1] + slim(m[2], classes, cache_dir) + m[3]

    return _STYLE.sub(one, html)


def slim(css: str, classes: frozenset[str], cache_dir: Path | None = None) -> str:
    if cache_dir is not None:
        key = hashlib.sha256(css.encode() + "\n".join(sorted(classes)).encode()).hexdigest()
        path = Path(cache_dir) / f"{key}.css"
        if path.is_file():
            return path.read_text(encoding="utf-8")
    out = "".join(_keep(rule, classes) for rule in _parsed(css))
    if cache_dir is not None:
        write_atomic(path, out)
    return out


@functools.lru_cache(maxsize=8)
def _parsed(css: str) -> tuple:
    return tuple(tinycss2.parse_stylesheet(css, skip_whitespace=True, skip_comments=True))


def _keep(rule, classes: frozenset[str]) -> str:
    if rule.type == "at-rule":
        if rule.lower_at_keyword in _DROPPED_AT_RULES:
            return ""
        if rule.lower_at_keyword == "media" and rule.content is not None:
            inner = tinycss2.parse_rule_list(rule.content, skip_whitespace=True, skip_comments=True)
            kept = "".join(_keep(r, classes) for r in inner)
            return f"@media{tinycss2.serialize(rule.prelude)}{{{kept}}}" if kept else ""
        return tinycss2.serialize([rule])
    if rule.type != "qualified-rule":
        return ""  # parse errors (a stylesheet that is not CSS) go
    selectors = [s.strip() for s in _split_selectors(rule.prelude)]
    kept = [s for s in selectors if _needed(s) <= classes and not _NEVER.search(s)]
    if not kept:
        return ""
    return ",".join(kept) + "{" + tinycss2.serialize(rule.content) + "}"


def _needed(selector: str) -> set[str]:
    """The classes an element must have for `selector` to match it (those under :not() need not)."""
    return set(_SELECTOR_CLASS.findall(_NOT.sub("", selector)))


def _split_selectors(prelude) -> list[str]:
    """A selector list split at its top-level commas (a comma inside :is(...) stays)."""
    parts, current = [], []
    for token in prelude:
        if token.type == "literal" and token.value == ",":
            parts.append(tinycss2.serialize(current))
            current = []
        else:
            current.append(token)
    parts.append(tinycss2.serialize(current))
    return parts
