"""Export a chapter and its executed outputs as a Jupyter notebook (nbformat 4)."""

from __future__ import annotations

import json

from .blocks import Chapter
from .outputs import Error, Figure, Output, Result, Stream, Truncated


def _markdown_cell(text: str) -> dict | None:
    text = text.strip("\n")
    return {"cell_type": "markdown", "metadata": {}, "source": text} if text.strip() else None


def chapter_notebook(chapter: Chapter, outputs: tuple[tuple[Output, ...], ...]) -> dict:
    """Prose between blocks becomes markdown cells; each Python block a code cell with its outputs."""
    lines = chapter.text.split("\n")
    cells, position = [], chapter.body_line - 1  # 0-based line after the front matter
    for count, (block, block_outputs) in enumerate(zip(chapter.python_blocks, outputs, strict=True), start=1):
        prose = _markdown_cell("\n".join(lines[position : block.line - 2]))  # up to the opening fence
        if prose:
            cells.append(prose)
        cells.append(
            {
                "cell_type": "code",
                "execution_count": count,
                "metadata": {},
                "source": block.code.rstrip("\n"),
                "outputs": [_notebook_output(o, count) for o in block_outputs],
            }
        )
        position = block.end_line
    tail = _markdown_cell("\n".join(lines[position:]))
    if tail:
        cells.append(tail)
    for number, cell in enumerate(cells):
        cell["id"] = f"cell-{number}"
    return {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
        "cells": cells,
    }


def _notebook_output(output: Output, count: int) -> dict:
    """An output in the shape nbformat defines."""
    if isinstance(output, Stream):
        return {"output_type": "stream", "name": output.name, "text": output.text}
    if isinstance(output, Result):
        return {
            "output_type": "execute_result",
            "execution_count": count,
            "data": {"text/plain": output.text},
            "metadata": {},
        }
    if isinstance(output, Figure):
        return {"output_type": "display_data", "data": {"image/svg+xml": output.svg}, "metadata": {}}
    if isinstance(output, Truncated):
        text = f"[output truncated: {output.dropped:,} more characters not shown]\n"
        return {"output_type": "stream", "name": "stderr", "text": text}
    assert isinstance(output, Error)
    return {"output_type": "error", "ename": output.ename, "evalue": output.evalue, "traceback": []}


def dumps(notebook: dict) -> str:
    return json.dumps(notebook, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
