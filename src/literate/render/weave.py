"""Weave: put each block's executed outputs into the page's Markdown, right below the block."""

from __future__ import annotations

import re
from collections.abc import Callable

from literate.run.outputs import Error, Figure, Output, Result, Stream, Truncated
from literate.source.blocks import Chapter

# Terminal escape sequences (colours, cursor moves, window titles) and the control characters
# a terminal acts on (NUL, BEL, backspace, form feed, ...): a page shows the text, not the effect.
TERMINAL_CODES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI: colours, cursor, erase
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC: window title, hyperlinks
    r"|\x1b[@-Z\\-_]"  # other two-character escapes
    r"|[\x00-\x08\x0b-\x1f\x7f]"  # control characters but tab and newline
)


class WeaveError(ValueError):
    """The page's Markdown is not the chapter that was executed."""


def fenced(text: str, classes: str) -> str:
    """`text` as a code block that shows it verbatim: no HTML or Markdown in it is interpreted."""
    text = TERMINAL_CODES.sub("", text.replace("\r\n", "\n")).rstrip("\n")
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{{.text {classes}}}\n{text}\n{fence}"


def escape_alt(text: str) -> str:
    return re.sub(r"([\\\[\]])", r"\\\1", text.replace("\n", " "))


def render_output(output: Output, classes: str, image_link: Callable[[Figure], str]) -> str:
    if isinstance(output, Stream):
        return fenced(output.text, classes + (" .literate-stderr" if output.name == "stderr" else ""))
    if isinstance(output, Result):
        return fenced(output.text, classes + " .literate-result")
    if isinstance(output, Figure):
        size = "".join(f' {k}="{v}"' for k, v in (("width", output.width), ("height", output.height)) if v)
        return f"![{escape_alt(output.alt)}]({image_link(output)}){{ .literate-figure{size} }}"
    if isinstance(output, Truncated):
        return fenced(f"[{output.describe()}]", classes + " .literate-truncated")
    assert isinstance(output, Error)
    return ""  # a chapter with an error is never published: the build fails first


def weave(
    chapter: Chapter,
    markdown: str,
    outputs: tuple[tuple[Output, ...], ...],
    image_link: Callable[[Figure], str],
) -> str:
    """Insert `outputs[i]` after the chapter's i-th Python block in `markdown`, the chapter's text
    without its front matter (as MkDocs hands a page to plugins)."""
    if not chapter.text.endswith(markdown):
        raise WeaveError(
            f"{chapter.name}: the page's Markdown was changed before the outputs were woven in; "
            "list `literate` before the plugins that edit page Markdown"
        )
    offset = chapter.text[: len(chapter.text) - len(markdown)].count("\n")  # lines MkDocs stripped
    lines = markdown.split("\n")
    # From the last block up, so earlier line numbers stay valid while inserting.
    for block, block_outputs in reversed(list(zip(chapter.python_blocks, outputs, strict=True))):
        classes = ".literate-output" + (" .literate-varying" if "varying" in block.options else "")
        rendered = [r for r in (render_output(o, classes, image_link) for o in block_outputs) if r]
        if rendered:
            at = block.end_line - offset
            lines[at:at] = ["", "\n\n".join(rendered)]
    return "\n".join(lines)
