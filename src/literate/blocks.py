"""Parse a Markdown chapter into front matter and fenced code blocks, with line numbers."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from markdown_it import MarkdownIt

PYTHON_LANGS = frozenset({"python", "py", "python3"})
FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)---[ \t]*\n", re.DOTALL)

# The same CommonMark parser pytest-markdown-docs uses, so both see the same fences.
_parser = MarkdownIt("commonmark")


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


@dataclass(frozen=True)
class Chapter:
    """A Markdown file: its front matter and its code blocks."""

    path: Path
    meta: dict = field(default_factory=dict)
    blocks: tuple[Block, ...] = ()

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


def parse_markdown(text: str, path: Path | str = "<string>") -> Chapter:
    """Parse Markdown text; line numbers count from the top of `text`."""
    meta: dict = {}
    match = FRONT_MATTER.match(text)
    if match:
        loaded = yaml.safe_load(match.group(1))
        if loaded is not None and not isinstance(loaded, dict):
            raise ValueError(f"{path}:1: front matter must be a YAML mapping")
        meta = loaded or {}
    blocks = []
    for token in _parser.parse(text):
        # Only top-level fences: a fence nested in a list or quote is an example, not code to run.
        if token.type != "fence" or token.level != 0 or token.map is None:
            continue
        lang, options = parse_info(token.info)
        start, end = token.map  # 0-based, end exclusive: [opening fence, line after closing fence)
        blocks.append(Block(lang, options, token.content, line=start + 2, end_line=end))
    return Chapter(Path(path), meta, tuple(blocks))


def parse_file(path: Path) -> Chapter:
    return parse_markdown(Path(path).read_text(encoding="utf-8"), path)
