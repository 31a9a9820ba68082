"""Only the CSS a page uses: the stylesheets a notebook page inlines, cut to its own classes.

mkdocs-jupyter inlines all of JupyterLab's stylesheet (widgets, menus, dialogs, file
browser) into every notebook page; a rendered notebook uses a few dozen of its classes.
`slim_styles(html)` keeps, in each `<style>` of `html`, the rules whose selectors name only
classes that occur in `html` (element rules and Material's scheme rules stay), then the custom
properties (`--name: value`) that no `var()` left on the page reads, and drops animations. Knows nothing of MkDocs. Results are cached by the stylesheet and the
page's classes, so a warm build does not parse the stylesheet again.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tinycss2

from literate.cache import Cache, digest

_SELECTOR_CLASS = re.compile(r"\.(-?[_a-zA-Z][-_a-zA-Z0-9]*)")
# `:root` after anything else (`.jupyter-wrapper :root`, the icon variables) matches nothing.
_NOT = re.compile(r":not\([^()]*\)")
_NEVER = re.compile(r".:root\b")
_VARIABLE_READ = re.compile(r"var\(\s*(--[-\w]+)")
_DROPPED_AT_RULES = {"keyframes", "-webkit-keyframes", "-moz-keyframes", "charset"}


def page_classes(html: str) -> frozenset[str]:
    # str.split, not a regular expression: one pass over the large inlined stylesheet.
    pieces = html.split('class="')
    return frozenset(
        name
        for before, piece in zip(pieces, pieces[1:], strict=False)
        if not (before[-1:].isalnum() or before[-1:] == "_")  # `class=`, not `subclass=`
        for name in piece[: piece.find('"')].split()
    )


def slim_styles(html: str, cache_dir: Path | None = None) -> str:
    """`html` with each inline stylesheet cut to the classes and the variables `html` uses.

    The variables go after the rules: JupyterLab declares some 450 on `.jupyter-wrapper`, every
    element of the notebook inherits them all, and a page reads a fifth of them."""
    classes = page_classes(html)
    parts: list[str] = []  # outside a stylesheet, a stylesheet, outside, ...
    at = 0
    # str.find, not a regular expression: a lazy `.*?` would crawl through the whole stylesheet.
    while (start := html.find("<style", at)) != -1:
        body = html.find(">", start) + 1
        end = html.find("</style>", body)
        if body == 0 or end == -1:
            break
        parts += [html[at:body], slim(html[body:end], classes, cache_dir)]
        at = end
    parts.append(html[at:])
    used = frozenset(_VARIABLE_READ.findall("".join(parts)))
    return "".join(
        part if i % 2 == 0 else without_unused_variables(part, used, cache_dir) for i, part in enumerate(parts)
    )


def slim(css: str, classes: frozenset[str], cache_dir: Path | None = None) -> str:
    cache = Cache(Path(cache_dir), ".css") if cache_dir is not None else None
    key = digest(css + "\n" + "\n".join(sorted(classes)))
    if cache is not None and (cached := cache.read_text(key)) is not None:
        return cached
    out = "".join(_kept(rule, classes) for rule in _indexed(css))
    if cache is not None:
        cache.write(key, out)
    return out


def without_unused_variables(css: str, used: frozenset[str], cache_dir: Path | None = None) -> str:
    """`css` without the custom property declarations whose names are not in `used`."""
    cache = Cache(Path(cache_dir), ".css") if cache_dir is not None else None
    key = digest("variables\n" + css + "\n" + "\n".join(sorted(used)))
    if cache is not None and (cached := cache.read_text(key)) is not None:
        return cached
    rules = tinycss2.parse_stylesheet(css, skip_whitespace=True, skip_comments=True)
    out = "".join(_with_used_variables(rule, used) for rule in rules)
    if cache is not None:
        cache.write(key, out)
    return out


def _with_used_variables(rule: Any, used: frozenset[str]) -> str:
    if rule.type == "at-rule" and rule.lower_at_keyword == "media" and rule.content is not None:
        inner = tinycss2.parse_rule_list(rule.content, skip_whitespace=True, skip_comments=True)
        kept = "".join(_with_used_variables(r, used) for r in inner)
        return f"@media{tinycss2.serialize(rule.prelude)}{{{kept}}}" if kept else ""
    if rule.type != "qualified-rule":
        return str(tinycss2.serialize([rule]))
    declarations = tinycss2.parse_blocks_contents(rule.content, skip_whitespace=True, skip_comments=True)
    body = "".join(  # a declaration serializes with its ";"
        tinycss2.serialize([d])
        for d in declarations
        if not (d.type == "declaration" and d.name.startswith("--") and d.name not in used)
    )
    return str(tinycss2.serialize(rule.prelude)) + "{" + body + "}" if body else ""


@dataclass(frozen=True)
class _Rule:
    """A rule, taken apart once per stylesheet: what each page keeps of it is then a set test."""

    text: str = ""  # kept whole, whatever the page (an at-rule other than @media)
    selectors: tuple[tuple[frozenset[str], str], ...] = ()  # (classes it needs, selector)
    body: str = ""
    media: str | None = None  # the prelude of an @media rule, whose rules are `inner`
    inner: tuple[_Rule, ...] = ()


@functools.lru_cache(maxsize=8)
def _indexed(css: str) -> tuple[_Rule, ...]:
    return tuple(r for r in map(_index, tinycss2.parse_stylesheet(css, skip_whitespace=True, skip_comments=True)) if r)


def _index(rule: Any) -> _Rule | None:
    if rule.type == "at-rule":
        if rule.lower_at_keyword in _DROPPED_AT_RULES:
            return None
        if rule.lower_at_keyword == "media" and rule.content is not None:
            inner = tinycss2.parse_rule_list(rule.content, skip_whitespace=True, skip_comments=True)
            return _Rule(media=tinycss2.serialize(rule.prelude), inner=tuple(r for r in map(_index, inner) if r))
        return _Rule(text=tinycss2.serialize([rule]))
    if rule.type != "qualified-rule":
        return None  # parse errors (a stylesheet that is not CSS) go
    selectors = [s.strip() for s in _split_selectors(rule.prelude)]
    possible = tuple((frozenset(_needed(s)), s) for s in selectors if not _NEVER.search(s))
    return _Rule(selectors=possible, body=tinycss2.serialize(rule.content)) if possible else None


def _kept(rule: _Rule, classes: frozenset[str]) -> str:
    if rule.media is not None:
        kept = "".join(_kept(r, classes) for r in rule.inner)
        return f"@media{rule.media}{{{kept}}}" if kept else ""
    if rule.text:
        return rule.text
    selectors = [selector for needed, selector in rule.selectors if needed <= classes]
    return ",".join(selectors) + "{" + rule.body + "}" if selectors else ""


def _needed(selector: str) -> set[str]:
    """The classes an element must have for `selector` to match it (those under :not() need not)."""
    return set(_SELECTOR_CLASS.findall(_NOT.sub("", selector)))


def _split_selectors(prelude: list[Any]) -> list[str]:
    """A selector list split at its top-level commas (a comma inside :is(...) stays)."""
    parts: list[str] = []
    current: list[Any] = []
    for token in prelude:
        if token.type == "literal" and token.value == ",":
            parts.append(tinycss2.serialize(current))
            current = []
        else:
            current.append(token)
    parts.append(tinycss2.serialize(current))
    return parts
