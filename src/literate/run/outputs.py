"""What running a block produces, one frozen type per kind, and their JSON (the worker's replies, the cache).

The worker makes these, the cache stores them, the weaver shows them on the page and the
notebook exporter writes them in Jupyter's shape. Nothing adds fields to them afterwards.
This module imports only the standard library: the worker loads it before torch.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
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
