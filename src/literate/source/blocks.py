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
    """Parse Markdown text; line numbers count from the top of `text`."""
    name = name or str(path)
    meta: dict[str, Any] = {}
    body_line = 1
    match = FRONT_MATTER.match(text)
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
    for token in _parser.parse(text):
        # Only top-level fences: a fence nested in a list or quote is an example, not code to run.
        if token.type != "fence" or token.level != 0 or token.map is None:
            continue
        lang, options = parse_info(token.info)
        start, end = token.map  # 0-based, end exclusive: [opening fence, line after closing fence)
        blocks.append(Block(lang, options, token.content, line=start + 2, end_line=end))
    return Chapter(Path(path), name, text, MappingProxyType(meta), tuple(blocks), body_line)


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
