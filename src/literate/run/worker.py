"""The fork server and the chapter processes it makes.

`python -m literate.run.worker torch matplotlib.pyplot` imports the named modules once, then
reads requests on stdin, one JSON line per chapter. For each it forks a process that runs
the chapter's blocks in one fresh namespace and writes a `BlockReply` per block, as JSON
lines, to the request's reply file. So every chapter starts from the same state, whatever
ran before it or beside it, and pays no import. The server tells its parent on stdout when a
chapter's process started (its pid) and when it ended (its exit code).
"""

from __future__ import annotations

import ast
import builtins
import ctypes
import gc
import importlib
import importlib.machinery
import io
import os
import re
import select
import signal
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, cast

from literate.processes import become_subreaper, end_descendants
from literate.run.outputs import Error, Figure, Frame, Output, Result, Stream, Truncated
from literate.run.protocol import BlockReply, ChapterRequest, Exited, Job, ServerMessage, Started, message_to_line
from literate.run.toplevel import FLAGS, run_code

# The handlers a chapter's process gets back: Python's own, not the server's.
DEFAULT_HANDLERS: dict[signal.Signals, Callable[[int, Any], Any] | int] = {
    signal.SIGTERM: signal.SIG_DFL,
    signal.SIGINT: signal.default_int_handler,
    signal.SIGHUP: signal.SIG_DFL,
}
SVG_SIZE = re.compile(r'<svg[^>]*?width="([\d.]+)pt"[^>]*?height="([\d.]+)pt"', re.DOTALL)


class Capture(io.TextIOBase):
    """A stand-in for sys.stdout or sys.stderr: collects a block's text in arrival order.

    Chunks are kept in a list and joined once at the end, so capture costs time linear in the
    size of the output. Past `budget.limit` characters (all streams of the block together)
    text is counted but not kept.
    """

    def __init__(self, name: str, parts: list[Any], budget: Budget):
        self.name, self.parts, self.budget = name, parts, budget

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        kept = self.budget.take(text)
        if kept:
            if self.parts and isinstance(self.parts[-1], list) and self.parts[-1][0] == self.name:
                self.parts[-1][1].append(kept)
            else:
                self.parts.append([self.name, [kept]])
        return len(text)


class Budget:
    """How many characters of output a block may still show."""

    def __init__(self, limit: int):
        self.limit, self.used, self.dropped = limit, 0, 0

    def take(self, text: str) -> str:
        # A lone surrogate cannot be written as UTF-8: show it as its escape instead.
        text = text.encode("utf-8", "backslashreplace").decode("utf-8")
        room = max(0, self.limit - self.used)
        kept = text[:room]
        self.used += len(kept)
        self.dropped += len(text) - len(kept)
        return kept


def collected(parts: list[Any], budget: Budget) -> list[Output]:
    """The outputs a block made, in order: consecutive text to one stream becomes one output."""
    outputs = [Stream(p[0], "".join(p[1])) if isinstance(p, list) else p for p in parts]
    return outputs + ([Truncated(budget.dropped, budget.limit)] if budget.dropped else [])


def _display_text() -> Callable[[object], str]:
    """IPython's text/plain form, the one a notebook shows; repr, what it falls back to, without it."""
    try:  # imported here, once, in the pool's server
        from IPython.lib.pretty import pretty
    except ImportError:  # IPython is optional
        return repr
    return cast(Callable[[object], str], pretty)


display_text = _display_text()


def split_last_expression(tree: ast.Module, source_lines: list[str]) -> tuple[ast.Module, ast.Expression | None]:
    """Split off the final expression statement, unless a trailing `;` silences it (as IPython does)."""
    if not tree.body or not isinstance(tree.body[-1], ast.Expr):
        return tree, None
    last = tree.body[-1]
    rest_of_line = source_lines[(last.end_lineno or last.lineno) - 1][last.end_col_offset :]
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


def close_figures() -> None:
    """Close every open matplotlib figure without drawing it."""
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:
        pyplot.close("all")


def figure_alt_text(figure: Any) -> str:
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
    if isinstance(exc, SyntaxError) and exc.filename == filename and exc.lineno:
        # Raised by compile(): the line is the error's own, and the message needs no "(file, line)".
        frame = Frame(exc.lineno, (exc.text or "").strip())
        return Error(type(exc).__name__, exc.msg, (frame,), "".join(traceback.format_exception_only(exc)))
    frames = tuple(
        Frame(f.lineno or 0, (f.line or "").strip())
        for f in traceback.extract_tb(exc.__traceback__)
        if f.filename == filename
    )
    return Error(type(exc).__name__, str(exc), frames, "".join(traceback.format_exception(exc)))


def run_block(code: str, line: int, filename: str, namespace: dict[str, Any], output_limit: int) -> list[Output]:
    """Run one block; line numbers in its code objects are the chapter file's own."""
    parts: list[Any] = []
    budget = Budget(output_limit)
    source = "\n" * (line - 1) + code
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = Capture("stdout", parts, budget), Capture("stderr", parts, budget)
    try:
        tree = ast.parse(source, filename)
        body, last = split_last_expression(tree, source.splitlines())
        run_code(compile(body, filename, "exec", flags=FLAGS, dont_inherit=True), namespace)
        if last is not None:
            value = run_code(compile(last, filename, "eval", flags=FLAGS, dont_inherit=True), namespace)
            if value is not None:
                parts.append(Result(budget.take(display_text(value))))
        # Drawn inside the block's `try`: a figure that cannot be drawn (bad TeX in a title) is
        # the block's own error, reported at its line, not a crash of the chapter's process.
        figures = figure_outputs()
    except BaseException as exc:  # noqa: BLE001 - the block's failure is reported, not raised here
        sys.stdout, sys.stderr = saved
        close_figures()  # what the failed block left open, undrawn: drawing could fail again
        return [*collected(parts, budget), error_output(exc, filename)]
    finally:
        sys.stdout, sys.stderr = saved
    return [*collected(parts, budget), *kept_figures(figures, output_limit)]


def kept_figures(figures: list[Figure], limit: int) -> list[Output]:
    """The figures, while their SVG together fits in `limit` characters; the rest are counted, not
    kept (a 200,000-point scatter would otherwise publish a page and a notebook of megabytes)."""
    kept: list[Output] = []
    used, dropped, over = 0, 0, 0
    for figure in figures:
        if used + len(figure.svg) <= limit:
            kept.append(figure)
            used += len(figure.svg)
        else:
            dropped, over = dropped + len(figure.svg), over + 1
    return kept + ([Truncated(dropped, limit, figures=over)] if over else [])


def run_chapter(request: ChapterRequest, send: Callable[[BlockReply], None]) -> None:
    """Run the blocks in order in one namespace; stop at the first that raises."""
    namespace: dict[str, Any] = {"__name__": "__main__", "__builtins__": builtins}
    os.chdir(request.cwd)
    for index, block in enumerate(request.blocks):
        outputs = tuple(run_block(block.code, block.line, request.path, namespace, request.output_limit))
        send(BlockReply(index, outputs))
        if outputs and isinstance(outputs[-1], Error):
            return
    send(BlockReply(len(request.blocks), done=True))


def chapter_process(request: ChapterRequest, reply_file: str, server: int) -> None:
    """The body of a forked chapter process: run the chapter, write the replies, exit."""
    _die_with_parent()
    if os.getppid() != server:  # the server died before the line above took effect
        os._exit(1)
    os.setsid()  # its own process group, so a timeout can stop whatever it started
    # Whatever the chapter starts stays below this process, even a child that starts a session
    # of its own and loses its parent: all of it is ended with the chapter (below).
    become_subreaper()
    for signum, handler in DEFAULT_HANDLERS.items():  # not the server's (set in `serve`)
        signal.signal(signum, handler)
    sys.stdin.close()
    load_from_source(request.import_paths)  # the project's own package, whatever copy is installed
    with open(reply_file, "w", encoding="utf-8", errors="backslashreplace") as replies:

        def send(reply: BlockReply) -> None:
            replies.write(reply.to_line())
            replies.flush()

        try:
            run_chapter(request, send)
        finally:
            end_descendants()  # a process the chapter started must not outlive it (nor hold the build's stderr)
            sys.stdout.flush()
            sys.stderr.flush()
    os._exit(0)  # no atexit handler or thread the chapter's code started may hold the process


class SourceOnlyLoader(importlib.machinery.SourceFileLoader):
    """Compiles a module from its source each time, neither reading nor writing a `.pyc`.

    Python trusts a cached `.pyc` whose source has the recorded modification time (in whole
    seconds) and size: a module edited within the second it was compiled, to a text of the same
    length, would run as it was before the edit, while the cache key (made from the source) says
    it is new. A project's package is small; compiling it costs little.
    """

    def path_stats(self, path: str) -> dict[str, Any]:
        raise OSError("no bytecode for the project's own modules")  # SourceLoader then compiles the source


def load_from_source(roots: Sequence[str]) -> None:
    """Put `roots` first on sys.path, every module in them loaded by `SourceOnlyLoader`."""
    folders = [Path(root).resolve() for root in roots]

    def inside(path: str) -> bool:
        where = Path(path).resolve()
        return any(where == folder or folder in where.parents for folder in folders)

    find = importlib.machinery.FileFinder.path_hook((SourceOnlyLoader, importlib.machinery.SOURCE_SUFFIXES))

    def hook(path: str) -> Any:
        if not inside(path):
            raise ImportError(f"not the project's own folder: {path}")  # the next hook takes it
        return find(path)

    sys.path_hooks.insert(0, hook)
    for path in [path for path in sys.path_importer_cache if inside(path)]:
        del sys.path_importer_cache[path]  # the server's finder for a folder of the project, if any
    sys.path[:0] = roots


def _die_with_parent(signum: int = signal.SIGKILL) -> None:
    """Ask Linux to send `signum` to this process when its parent dies (a build stopped by a signal)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signum)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass  # not Linux: a timeout still stops the chapter


def serve(preload: list[str]) -> None:
    build = os.getppid()
    for name in preload:
        importlib.import_module(name)
    # What the imports made is moved out of the collector's reach: a chapter process's collections
    # would otherwise visit, and so copy, every page of it (Python's advice for forking servers;
    # the gain is in ARCHITECTURE.md's Performance section).
    gc.freeze()
    # The protocol gets its own copy of fd 1; fd 1 itself then points at stderr, so text a
    # chapter's C code writes straight to fd 1 cannot corrupt it.
    channel = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    os.dup2(2, 1)

    def tell(message: ServerMessage) -> None:
        channel.write(message_to_line(message))
        channel.flush()

    server = os.getpid()
    children: dict[int, int] = {}  # pid -> job
    # A chapter's process that died (os._exit, a timeout's kill) leaves what it started to the
    # server, its subreaper; the server ends it. A signal that stops the server ends it all.
    become_subreaper()

    def stop(signum: int, _frame: object) -> None:
        end_descendants()
        os._exit(128 + signum)

    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, stop)
    # A build that dies without closing the pool (`kill` of mkdocs alone: its SIGTERM runs no
    # cleanup) would leave its chapters running to their timeout: the server is stopped with it.
    _die_with_parent(signal.SIGTERM)
    if os.getppid() != build:  # the build died before the line above took effect
        stop(signal.SIGTERM, None)
    buffer, stdin = b"", sys.stdin.fileno()
    open_input = True
    while open_input or children:
        if open_input and select.select([stdin], [], [], 0.02)[0]:
            chunk = os.read(stdin, 1 << 16)
            open_input = bool(chunk)
            buffer += chunk
            while b"\n" in buffer:
                line, buffer = buffer.split(b"\n", 1)
                job = Job.from_line(line)
                pid = os.fork()
                if pid == 0:
                    channel.close()
                    chapter_process(job.request, job.reply_file, server)
                children[pid] = job.job
                tell(Started(job.job, pid))
        elif not open_input:
            time.sleep(0.02)
        ended = False
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            if pid in children:  # else an orphan of an ended chapter, inherited and now reaped
                tell(Exited(children.pop(pid), os.waitstatus_to_exitcode(status)))
                ended = True
        if ended:
            end_descendants(spare=children)
    end_descendants()


if __name__ == "__main__":
    serve(sys.argv[1:])
