"""The execution worker: a long-lived process that runs chapters' code blocks.

Started by `execute.Worker`. Each request on stdin is one chapter (JSON); the
worker answers on its protocol channel with one JSON line per block, in the
shape of Jupyter outputs, then `{"done": true}`. Heavy imports (torch,
matplotlib) happen once, in the first chapter that needs them, and are shared
by every later chapter; each chapter still gets a fresh namespace.
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

SVG_SIZE = re.compile(r'<svg[^>]*?width="([\d.]+)pt"[^>]*?height="([\d.]+)pt"', re.DOTALL)


class Streams(io.TextIOBase):
    """A stand-in for sys.stdout or sys.stderr that appends to a block's outputs."""

    def __init__(self, name: str, outputs: list):
        self.name, self.outputs = name, outputs

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        last = self.outputs[-1] if self.outputs else None
        if last and last["output_type"] == "stream" and last["name"] == self.name:
            last["text"] += text
        else:
            self.outputs.append({"output_type": "stream", "name": self.name, "text": text})
        return len(text)


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


def figure_outputs() -> list[dict]:
    """Every open matplotlib figure as an SVG output; the figures are then closed."""
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is None:
        return []
    import matplotlib

    # Byte-identical SVGs from build to build: a fixed id salt and no creation date.
    matplotlib.rcParams["svg.hashsalt"] = "literate"
    outputs = []
    for number in pyplot.get_fignums():
        figure = pyplot.figure(number)
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
        svg = buffer.getvalue()
        metadata = {"alt": figure_alt_text(figure)}
        size = SVG_SIZE.search(svg)
        if size:  # points to CSS pixels, so the page reserves the image's space
            metadata["width"] = round(float(size.group(1)) * 4 / 3)
            metadata["height"] = round(float(size.group(2)) * 4 / 3)
        outputs.append({"output_type": "display_data", "data": {"image/svg+xml": svg}, "metadata": metadata})
    pyplot.close("all")
    return outputs


def figure_alt_text(figure) -> str:
    """Describe a figure from its label, or its suptitle, or each axes' title (else its axis labels)."""
    text = figure.get_label() or (figure._suptitle.get_text() if figure._suptitle else "")
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


def error_output(exc: BaseException, filename: str) -> dict:
    """An error output whose frames are the chapter's own lines (where it raised, and how it got there)."""
    frames = [
        {"line": f.lineno, "text": (f.line or "").strip()}
        for f in traceback.extract_tb(exc.__traceback__)
        if f.filename == filename
    ]
    return {
        "output_type": "error",
        "ename": type(exc).__name__,
        "evalue": str(exc),
        "frames": frames,
        "traceback": traceback.format_exception(exc),
    }


def run_block(code: str, line: int, filename: str, namespace: dict) -> list[dict]:
    """Run one block; line numbers in its code objects are the chapter file's own."""
    outputs: list[dict] = []
    source = "\n" * (line - 1) + code
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = Streams("stdout", outputs), Streams("stderr", outputs)
    try:
        tree = ast.parse(source, filename)
        body, last = split_last_expression(tree, source.splitlines())
        exec(compile(body, filename, "exec"), namespace)
        if last is not None:
            value = eval(compile(last, filename, "eval"), namespace)
            if value is not None:
                outputs.append(
                    {"output_type": "execute_result", "data": {"text/plain": display_text(value)}, "metadata": {}}
                )
    except BaseException as exc:  # noqa: BLE001 - the block's failure is reported, not raised here
        sys.stdout, sys.stderr = saved
        outputs.append(error_output(exc, filename))
        figure_outputs()  # close what the failed block left open
        return outputs
    finally:
        sys.stdout, sys.stderr = saved
    outputs.extend(figure_outputs())
    return outputs


def run_chapter(request: dict, send) -> None:
    namespace = {"__name__": "__main__", "__builtins__": builtins}
    os.chdir(request["cwd"])
    matplotlib = sys.modules.get("matplotlib")
    if matplotlib is not None:  # a chapter's style settings must not leak into the next one
        matplotlib.rcdefaults()
    for index, block in enumerate(request["blocks"]):
        outputs = run_block(block["code"], block["line"], request["path"], namespace)
        send({"block": index, "outputs": outputs})
        if outputs and outputs[-1]["output_type"] == "error":
            return
    send({"done": True})


def main() -> None:
    # The protocol gets its own copy of fd 1; fd 1 itself then points at stderr, so
    # text that C code writes straight to fd 1 cannot corrupt the protocol.
    channel = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    os.dup2(2, 1)

    def send(message: dict) -> None:
        channel.write(json.dumps(message) + "\n")
        channel.flush()

    for line in sys.stdin:
        run_chapter(json.loads(line), send)


if __name__ == "__main__":
    main()
