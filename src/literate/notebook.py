"""Export a chapter and its executed outputs as a Jupyter notebook (nbformat 4)."""

from __future__ import annotations

import json

from .blocks import FRONT_MATTER, parse_markdown


def _markdown_cell(text: str) -> dict | None:
    text = text.strip("\n")
    return {"cell_type": "markdown", "metadata": {}, "source": text} if text.strip() else None


def chapter_notebook(markdown: str, outputs: list[list[dict]]) -> dict:
    """Prose between blocks becomes markdown cells; each Python block a code cell with its outputs."""
    markdown = FRONT_MATTER.sub("", markdown, count=1)
    lines = markdown.split("\n")
    blocks = parse_markdown(markdown).python_blocks
    if len(blocks) != len(outputs):
        raise ValueError(f"{len(blocks)} Python blocks but {len(outputs)} executed")
    cells, position = [], 0
    for count, (block, block_outputs) in enumerate(zip(blocks, outputs), start=1):
        prose = _markdown_cell("\n".join(lines[position : block.fence_line - 1]))
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


def _notebook_output(output: dict, count: int) -> dict:
    """Our outputs already have Jupyter's shape; keep only the fields nbformat allows."""
    kind = output["output_type"]
    if kind == "stream":
        return {"output_type": "stream", "name": output["name"], "text": output["text"]}
    if kind == "execute_result":
        return {"output_type": kind, "execution_count": count, "data": output["data"], "metadata": {}}
    if kind == "display_data":
        return {"output_type": kind, "data": output["data"], "metadata": {}}
    return {"output_type": "error", "ename": output["ename"], "evalue": output["evalue"], "traceback": []}


def dumps(notebook: dict) -> str:
    return json.dumps(notebook, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
