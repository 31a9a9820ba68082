"""What running a block produces, one frozen type per kind, and their JSON (the worker's replies, the cache).

The worker makes these, the cache stores them, the weaver shows them on the page and the
notebook exporter writes them in Jupyter's shape. Nothing adds fields to them afterwards.
This module imports only the standard library: the worker loads it before torch.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any


@dataclass(frozen=True)
class Stream:
    """Text a block printed, to `stdout` or `stderr`."""

    name: str
    text: str


@dataclass(frozen=True)
class Result:
    """The value of a block's last expression, as a notebook shows it (text/plain)."""

    text: str


@dataclass(frozen=True)
class Figure:
    """A matplotlib figure the block left open, as SVG."""

    svg: str
    alt: str
    width: int | None = None  # CSS pixels, so the page reserves the image's space
    height: int | None = None

    @property
    def digest(self) -> str:
        """Names the figure's file: the same drawing gets the same name in every build."""
        return hashlib.sha256(self.svg.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Frame:
    """A chapter line the exception passed through."""

    line: int
    text: str


@dataclass(frozen=True)
class Error:
    """The exception that stopped a block."""

    ename: str
    evalue: str
    frames: tuple[Frame, ...] = ()
    traceback: str = ""


@dataclass(frozen=True)
class Truncated:
    """The block printed more than the output limit: this many characters were not kept. With
    `figures`, the block drew figures whose SVG was over the limit: that many were not kept, of
    `dropped` characters together (a figure cannot be cut as text is)."""

    dropped: int
    limit: int
    figures: int = 0

    def describe(self) -> str:
        if self.figures:
            return (
                f"{self.figures} figure(s) not shown: their SVG is {self.dropped:,} characters, "
                f"over the limit of {self.limit:,} per block"
            )
        return f"output truncated: {self.dropped:,} more characters not shown; the limit is {self.limit:,} per block"


Output = Stream | Result | Figure | Error | Truncated
KINDS: dict[str, type[Output]] = {
    "stream": Stream,
    "result": Result,
    "figure": Figure,
    "error": Error,
    "truncated": Truncated,
}
_KIND_OF = {cls: kind for kind, cls in KINDS.items()}


def to_json(output: Output) -> dict[str, Any]:
    return {"kind": _KIND_OF[type(output)], **asdict(output)}


def from_json(data: dict[str, Any]) -> Output:
    fields = dict(data)
    cls = KINDS[fields.pop("kind")]
    if cls is Error:
        fields["frames"] = tuple(Frame(**f) for f in fields.get("frames", ()))
    output: Output = cls(**fields)
    return output


# -- places: how the cache keeps an output that names a chapter line ---------------------------
#
# Blocks are compiled with the chapter's file name and lines, so a warning or a printed traceback
# names them ("docs/chapters/07-training.md:123"). The cache key ignores prose and is shared by
# both editions, so the cache keeps such a place as a marker, relative to its block (block index,
# line within the block), and `at_chapter` writes it out again with the file name and lines of
# the chapter being shown: after a prose edit, and in the other edition, the output names the
# line the reader sees, without running the chapter again.

# NUL, form (":" for `path:N`, "F" for a traceback's `File "path", line N`), block+offset, NUL.
# A NUL the output printed itself is kept as two.
_MARKER = re.compile(r"\x00(?:(?P<form>[:F])(?P<block>\d+)\+(?P<offset>\d+))?\x00")


def _texts(outputs: Sequence[Sequence[Output]], change: Callable[[str], str]) -> tuple[tuple[Output, ...], ...]:
    """`outputs` with `change` applied to the text of every stream and result."""
    return tuple(
        tuple(replace(o, text=change(o.text)) if isinstance(o, (Stream, Result)) else o for o in block)
        for block in outputs
    )


def block_relative(
    outputs: Sequence[Sequence[Output]], path: str, blocks: Sequence[tuple[int, int]]
) -> tuple[tuple[Output, ...], ...]:
    """The outputs as the cache keeps them: each `path:N` or `File "path", line N` whose line N
    is in one of `blocks` (each block's first and last code line) becomes a marker of that block;
    a place in no block is text the block printed, kept as it is."""
    name = re.escape(path)
    place = re.compile(rf'(?<![\w./-])(?:{name}:(?P<n1>\d+)|(?P<file>File "){name}", line (?P<n2>\d+))')

    def mark(match: re.Match[str]) -> str:
        line = int(match["n1"] or match["n2"])
        for index, (first, last) in enumerate(blocks):
            if first <= line <= last:
                return f"\x00{'F' if match['file'] else ':'}{index}+{line - first}\x00"
        return str(match[0])

    return _texts(outputs, lambda text: place.sub(mark, text.replace("\x00", "\x00\x00")))


def at_chapter(
    outputs: Sequence[Sequence[Output]], path: str, blocks: Sequence[tuple[int, int]]
) -> tuple[tuple[Output, ...], ...]:
    """The outputs the cache kept (`block_relative`), with each place written out for the chapter
    `path` whose blocks are `blocks` (the same code, its lines wherever its prose puts them)."""

    def write(match: re.Match[str]) -> str:
        if match["form"] is None:
            return "\x00"
        line = blocks[int(match["block"])][0] + int(match["offset"])
        return f"{path}:{line}" if match["form"] == ":" else f'File "{path}", line {line}'

    return _texts(outputs, lambda text: _MARKER.sub(write, text))
