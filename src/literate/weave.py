"""Weave: put each block's executed outputs into the page's Markdown, right below the block."""

from __future__ import annotations

import re
from typing import Callable

from .blocks import parse_markdown

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def fenced(text: str, classes: str) -> str:
    """`text` as a code block that shows it verbatim: no HTML or Markdown in it is interpreted."""
    text = ANSI.sub("", text).rstrip("\n")
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{{.text {classes}}}\n{text}\n{fence}"


def escape_alt(text: str) -> str:
    return re.sub(r"([\\\[\]])", r"\\\1", text.replace("\n", " "))


def render_output(output: dict, classes: str, image_link: Callable[[dict], str]) -> str:
    kind = output["output_type"]
    if kind == "stream":
        extra = " .literate-stderr" if output["name"] == "stderr" else ""
        return fenced(output["text"], classes + extra)
    if kind == "execute_result":
        return fenced(output["data"]["text/plain"], classes + " .literate-result")
    if kind == "display_data" and "src_uri" in output:
        meta = output.get("metadata", {})
        size = "".join(f' {k}="{meta[k]}"' for k in ("width", "height") if k in meta)
        return f"![{escape_alt(meta.get('alt', 'figure'))}]({image_link(output)}){{ .literate-figure{size} }}"
    if kind == "display_data" and "text/plain" in output.get("data", {}):
        return fenced(output["data"]["text/plain"], classes)
    return ""


def weave(markdown: str, outputs: list[list[dict]], image_link: Callable[[dict], str], where: str) -> str:
    """Insert `outputs[i]` after the i-th Python block of `markdown`."""
    blocks = parse_markdown(markdown).python_blocks
    if len(blocks) != len(outputs):
        raise ValueError(f"{where}: {len(blocks)} Python blocks on the page but {len(outputs)} were executed")
    lines = markdown.split("\n")
    # From the last block up, so earlier line numbers stay valid while inserting.
    for block, block_outputs in reversed(list(zip(blocks, outputs))):
        classes = ".literate-output" + (" .literate-varying" if "varying" in block.options else "")
        rendered = [r for r in (render_output(o, classes, image_link) for o in block_outputs) if r]
        if rendered:
            lines[block.end_line : block.end_line] = ["", "\n\n".join(rendered)]
    return "\n".join(lines)
