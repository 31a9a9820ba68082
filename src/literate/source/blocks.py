"""Parse a Markdown chapter into front matter and fenced code blocks, with line numbers."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml
from markdown_it import MarkdownIt

PYTHON_LANGS = frozenset({"python", "py", "python3"})
FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)---[ \t]*\n", re.DOTALL)

# The same CommonMark parser pytest-markdown-docs uses, so both see the same fences. Fences
# are blocks: the inline rules (half the parsing time) would only parse the prose.
_parser = MarkdownIt("commonmark").disable("inline")


@dataclass(frozen=True)
class Block:
    """One fenced code block."""

    lang: str
    options: frozenset[str]
    code: str
    line: int  # 1-based line of the block's first code line in the file
    end_line: int  # 1-based line of the closing fence

    @property
    def is_python(self) -> bool:
        return self.lang in PYTHON_LANGS

    @property
    def fence_line(self) -> int:
        return self.line - 1


class ChapterError(ValueError):
    """A chapter file cannot be read; the message starts with `file:line`."""


@dataclass(frozen=True)
class Chapter:
    """A Markdown file, parsed once: its text, front matter and code blocks.

    Tangling, execution, weaving and notebook export all take this one object.
    """

    path: Path
    name: str  # how messages name the file, e.g. "docs/chapters/01-data.md"
    text: str
    meta: Mapping[str, Any] = field(default_factory=dict)
    blocks: tuple[Block, ...] = ()
    body_line: int = 1  # 1-based line where the text after the front matter starts

    @property
    def python_blocks(self) -> tuple[Block, ...]:
        return tuple(b for b in self.blocks if b.is_python)


def parse_info(info: str) -> tuple[str, frozenset[str]]:
    """Split a fence's info string into (language, options).

    Accepts the plain form ``python continuation`` and the SuperFences brace
    form ``{.python continuation}``; classes other than the first are options.
    """
    info = info.strip()
    if info.startswith("{") and info.endswith("}"):
        words = info[1:-1].split()
        lang = next((w[1:] for w in words if w.startswith(".")), "")
        options = [w.lstrip(".") for w in words if w != "." + lang]
        return lang, frozenset(options)
    words = info.split()
    return (words[0] if words else ""), frozenset(words[1:])


def parse_markdown(text: str, path: Path | str = "<string>", name: str | None = None) -> Chapter:
    """Parse Markdown text; line numbers count from the top of `text`.

    Refuses, naming file and line, what other readers of the same file would see differently:
    a byte order mark or carriage returns (MkDocs strips them, the offsets here would not),
    an unclosed fence (it would swallow the rest of the chapter, woven outputs included) and a
    Python fence nested in a list or quote (the build skips it, the doc tests run it).
    """
    name = name or str(path)
    _check_text(text, name)
    meta: dict[str, Any] = {}
    body_line = 1
    match = FRONT_MATTER.match(text)
    if not match and re.match(r"---[ \t]*\n", text):
        raise ChapterError(f"{name}:1: the front matter opened here is never closed: end it with a line of ---")
    if match:
        try:
            loaded = yaml.safe_load(match.group(1))
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = 2 + mark.line if mark else 1  # the YAML starts on the file's second line
            problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            raise ChapterError(f"{name}:{line}: the front matter is not valid YAML: {problem}") from None
        if loaded is not None and not isinstance(loaded, dict):
            raise ChapterError(f"{name}:1: the front matter must be a YAML mapping (key: value lines)")
        meta = loaded or {}
        body_line = match.group(0).count("\n") + 1
    blocks = []
    lines = text.split("\n")
    for token in _parser.parse(text):
        if token.type != "fence" or token.map is None:
            continue
        lang, options = parse_info(token.info)
        start, end = token.map  # 0-based, end exclusive: [opening fence, line after closing fence)
        if not _closes(lines[end - 1] if end - 1 > start else "", token.markup):
            raise ChapterError(
                f"{name}:{start + 1}: the {token.markup} fence opened here is never closed: it runs to the end "
                f"of the file; close it with a line of {token.markup}"
            )
        if token.level != 0:
            if lang in PYTHON_LANGS:
                raise ChapterError(
                    f"{name}:{start + 1}: nested Python fence at line {start + 1} (inside a list or quote): the "
                    "build skips it but the doc tests run it; put it at the top level, not indented, or give "
                    "it another language (```text) if it is only an example"
                )
            continue  # another language inside a list or quote: shown as it is, never run
        blocks.append(Block(lang, options, token.content, line=start + 2, end_line=end))
    return Chapter(Path(path), name, text, MappingProxyType(meta), tuple(blocks), body_line)


def _check_text(text: str, name: str) -> None:
    """The file is plain UTF-8 with LF line endings: what every reader of it agrees on."""
    if text.startswith("\ufeff"):
        raise ChapterError(
            f"{name}:1: the file starts with a UTF-8 byte order mark (BOM): save it as UTF-8 without BOM"
        )
    if (at := text.find("\r")) >= 0:
        line = text.count("\n", 0, at) + 1
        kind = "CRLF" if text.startswith("\r\n", at) else "CR"
        raise ChapterError(f"{name}:{line}: {kind} line endings: save the file with LF line endings")


def _closes(line: str, markup: str) -> bool:
    """Whether `line` is a closing fence for an opening fence of `markup` (a list or quote's
    indentation and `>` markers before it allowed)."""
    fence = line.lstrip(" \t>")
    stripped = fence.rstrip(" \t")
    return len(stripped) >= len(markup) and set(stripped) == {markup[0]}


def title_end(markdown: str) -> int:
    """The 0-based line after the page's title: its first top-level H1, ATX (`# T`) or setext
    (`T` over `===`); 0 when it has none (the title is in the front matter). Parsed, so a `# `
    line inside a code block is never taken for it."""
    for token in _parser.parse(markdown):
        if token.type == "heading_open" and token.tag == "h1" and token.level == 0 and token.map:
            return token.map[1]
    return 0


def parse_file(path: Path, name: str | None = None) -> Chapter:
    """Read and parse a chapter; a file that is not UTF-8 is an error naming its line."""
    data = Path(path).read_bytes()
    name = name or str(path)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ChapterError(
            f"{name}:{line}: not UTF-8 text (byte {data[exc.start]:#04x}); save the file as UTF-8"
        ) from None
    return parse_markdown(text, path, name)
