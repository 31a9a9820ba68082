"""The execution worker: a long-lived process that runs chapters' code blocks.

Started by `execute.Worker`. Each line on stdin is a `ChapterRequest` (JSON); the worker
answers on its protocol channel with one `BlockReply` line per block, then one with
`done` set. Heavy imports (torch, matplotlib) happen once, in the first chapter that needs
them, and are shared by every later chapter; each chapter still gets a fresh namespace.
"""

from __future__ import annotations

import ast
import builtins
import io
import json
import os
import re
import sys
import traceback

from literate.outputs import BlockReply, ChapterRequest, Error, Figure, Frame, Output, Result, Stream

SVG_SIZE = re.compile(r'<svg[^>]*?width="([\d.]+)pt"[^>]*?height="([\d.]+)pt"', re.DOTALL)


class Capture(io.TextIOBase):
    """A stand-in for sys.stdout or sys.stderr: collects a block's text in arrival order.

    Chunks are kept in a list and joined once at the end, so capture costs time linear in
    the size of the output however many small writes make it up.
    """

    def __init__(self, name: str, parts: list):
        self.name, self.parts = name, parts

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if self.parts and isinstance(self.parts[-1], list) and self.parts[-1][0] == self.name:
            self.parts[-1][1].append(text)
        else:
            self.parts.append([self.name, [text]])
        return len(text)


def collected(parts: list) -> list[Output]:
    """The outputs a block made, in order: consecutive text to one stream becomes one output."""
    return [Stream(p[0], "".join(p[1])) if isinstance(p, list) else p for p in parts]


def display_text(value) -> str:
    """The text/plain form a notebook shows for a value."""
    try:
        from IPython.lib.pretty import pretty
    except ImportError:  # IPython is optional; repr is what it falls back to anyway
        return repr(value)
    return pretty(value)


def split_last_expression(tree: ast.Module, source_lines: list[str]):
    """Split off the final expression statement, unless a trailing `;` silences it (as IPython does)."""
    if not tree.body or not isinstance(tree.body[-1], ast.Expr):
        return tree, None
    last = tree.body[-1]
    rest_of_line = source_lines[last.end_lineno - 1][last.end_col_offset :]
    if rest_of_line.lstrip().startswith(";"):
        return tree, None
    return ast.Module(tree.body[:-1], type_ignores=[]), ast.Expression(last.value)


def figure_outputs() -> list[Figure]:
    """Every open matplotlib figure as SVG; the figures are then closed."""
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is None:
        return []
    import matplotlib

    # Byte-identical SVGs from build to build: a fixed id salt and no creation date.
    matplotlib.rcParams["svg.hashsalt"] = "literate"
    figures = []
    for number in pyplot.get_fignums():
        figure = pyplot.figure(number)
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
        svg = buffer.getvalue()
        size = SVG_SIZE.search(svg)
        # points to CSS pixels
        width, height = (round(float(v) * 4 / 3) for v in size.groups()) if size else (None, None)
        figures.append(Figure(svg, figure_alt_text(figure), width, height))
    pyplot.close("all")
    return figures


def figure_alt_text(figure) -> str:
    """Describe a figure from its label, or its suptitle, or each axes' title (else its axis labels)."""
    text = figure.get_label() or figure.get_suptitle()
    if not text:
        parts = []
        for axes in figure.get_axes():
            if axes.get_title():
                parts.append(axes.get_title())
            elif axes.get_xlabel() or axes.get_ylabel():
                parts.append(f"{axes.get_ylabel()} against {axes.get_xlabel()}")
        text = "; ".join(parts)
    # Alt text is plain text: drop TeX markup such as $x_2$ or \\mathbf.
    return re.sub(r"[$\\{}]", "", text).strip() or "figure"


def error_output(exc: BaseException, filename: str) -> Error:
    """The error, with the chapter's own lines it passed through (where it raised, and how it got there)."""
    frames = tuple(
        Frame(f.lineno, (f.line or "").strip())
        for f in traceback.extract_tb(exc.__traceback__)
        if f.filename == filename
    )
    return Error(type(exc).__name__, str(exc), frames, "".join(traceback.format_exception(exc)))


def run_block(code: str, line: int, filename: str, namespace: dict) -> list[Output]:
    """Run one block; line numbers in its code objects are the chapter file's own."""
    parts: list = []
    source = "\n" * (line - 1) + code
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = Capture("stdout", parts), Capture("stderr", parts)
    try:
        tree = ast.parse(source, filename)
        body, last = split_last_expression(tree, source.splitlines())
        exec(compile(body, filename, "exec"), namespace)
        if last is not None:
            value = eval(compile(last, filename, "eval"), namespace)
            if value is not None:
                parts.append(Result(display_text(value)))
    except BaseException as exc:  # noqa: BLE001 - the block's failure is reported, not raised here
        sys.stdout, sys.stderr = saved
        figure_outputs()  # close what the failed block left open
        return [*collected(parts), error_output(exc, filename)]
    finally:
        sys.stdout, sys.stderr = saved
    return [*collected(parts), *figure_outputs()]


def run_chapter(request: ChapterRequest, send) -> None:
    namespace = {"__name__": "__main__", "__builtins__": builtins}
    os.chdir(request.cwd)
    matplotlib = sys.modules.get("matplotlib")
    if matplotlib is not None:  # a chapter's style settings must not leak into the next one
        matplotlib.rcdefaults()
    for index, block in enumerate(request.blocks):
        outputs = tuple(run_block(block.code, block.line, request.path, namespace))
        send(BlockReply(index, outputs))
        if outputs and isinstance(outputs[-1], Error):
            return
    send(BlockReply(len(request.blocks), done=True))


def main() -> None:
    # The protocol gets its own copy of fd 1; fd 1 itself then points at stderr, so
    # text that C code writes straight to fd 1 cannot corrupt the protocol.
    channel = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    os.dup2(2, 1)

    def send(reply: BlockReply) -> None:
        channel.write(json.dumps(reply.to_json()) + "\n")
        channel.flush()

    for line in sys.stdin:
        run_chapter(ChapterRequest.from_json(json.loads(line)), send)


if __name__ == "__main__":
    main()
