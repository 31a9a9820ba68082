"""The author's loop: an edit saved in `mkdocs serve`, until the served page shows it (issue 27).

Serves the Chinese edition of a copy of the book (the work tree is never touched) and, after
the first build has warmed the caches, times three edits, each `--repeat` times:

- a prose sentence added to chapter 3 (runs nothing);
- a `print` added to chapter 7's last block (runs chapter 7);
- the docstring of a `#@save` definition in chapter 4 (runs every chapter that imports it).

Each time is from the file's save to the first answer of the page that holds the edit, the
page asked for every 50 ms, as an author's browser would reload it. Beside it: what the edit
must wait for at least (the chapter's run, or the dependent chapters' run side by side, from
the serve's log), and the CPU-seconds the serve and its processes spent. Run it alone:
`python benchmarks/loop.py`, or from `make bench` (`bench.py` calls `measure`).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

from literate.project import Project
from literate.source.blocks import parse_file

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from served import Served  # noqa: E402 - `mkdocs serve` driven as the tests drive it

POLL = 0.05  # seconds between two requests for the page
EXECUTED = re.compile(r"literate: executed (\S+) in ([\d.]+) s")
EXECUTION = re.compile(r"literate: execution took ([\d.]+) s")


@dataclass(frozen=True)
class Edit:
    """One kind of edit: the chapter it changes, and how (`change(text, n)` for its n-th time)."""

    name: str
    chapter: str  # docs/chapters/... of the copy
    page: str  # the page that must show it, under the edition's address
    change: object  # Callable[[str, int], tuple[str, str]]: new text, and the marker the page must hold


@dataclass(frozen=True)
class Sample:
    seconds: float  # save -> the page shows the edit
    necessary: float  # the execution the edit needs (0 for prose)
    cpu: float  # CPU-seconds of the serve and every process below it, over the same span
    executed: tuple[str, ...]


def prose(text: str, n: int) -> tuple[str, str]:
    marker = f"Loop benchmark sentence number {n}."
    at = text.index("\n## ")
    return text[:at] + f"\n{marker}\n" + text[at:], marker


def code_print(text: str, n: int) -> tuple[str, str]:
    """A print at the start of the chapter's last Python block; its output (not its code) is the marker."""
    block = parse_file_text(text).python_blocks[-1]
    lines = text.split("\n")
    lines.insert(block.line - 1, f'print("loop", "bench", {n})')
    return "\n".join(lines), f"loop bench {n}"


def saved_docstring(text: str, n: int) -> tuple[str, str]:
    """The first docstring of a `#@save` chapter: the package changes, every importer runs again."""
    marker = f"(loop edit {n})"
    at = text.index('"""') + 3
    return text[:at] + marker + " " + text[at:], marker


def parse_file_text(text: str):
    with tempfile.NamedTemporaryFile("w", suffix=".md", encoding="utf-8", delete=False) as file:
        file.write(text)
    try:
        return parse_file(Path(file.name))
    finally:
        os.unlink(file.name)


EDITS = (
    Edit("prose edit, chapter 3", "docs/chapters/03-parameters.md", "chapters/03-parameters/", prose),
    Edit("code edit (a print), chapter 7", "docs/chapters/07-training.md", "chapters/07-training/", code_print),
    Edit("`#@save` edit, chapter 4", "docs/chapters/04-model.md", "chapters/04-model/", saved_docstring),
)


def cpu_seconds(process: psutil.Process) -> float:
    """CPU time of `process` and of every process below it, living or ended and waited for."""
    total = 0.0
    for each in [process, *process.children(recursive=True)]:
        try:
            times = each.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system + times.children_user + times.children_system
    return total


def time_edit(serve: Served, book: Path, edit: Edit, n: int) -> Sample:
    path = book / edit.chapter
    original = path.read_text(encoding="utf-8")
    text, marker = edit.change(original, n)  # type: ignore[operator]
    serve.skip_log()  # the log from here on is this edit's
    process = psutil.Process(serve.process.pid)
    cpu_before = cpu_seconds(process)
    path.write_text(text, encoding="utf-8")
    saved = time.perf_counter()
    while marker not in serve.page(edit.page, timeout=120):
        time.sleep(POLL)
    seconds = time.perf_counter() - saved
    log = serve.wait_for("Reloading browsers", 60)
    cpu = cpu_seconds(process) - cpu_before
    runs = [(name, float(s)) for line in log for name, s in EXECUTED.findall(line)]
    walls = [float(s) for line in log for s in EXECUTION.findall(line)]
    # Put back, so that each sample is the same edit of the same text; the rebuild that follows
    # is waited for, and runs what the edit ran (its outputs are cached: it is quick).
    path.write_text(original, encoding="utf-8")
    serve.wait_for("Reloading browsers", 600)
    return Sample(seconds, walls[0] if walls else 0.0, cpu, tuple(name for name, _ in runs))


def measure(
    book: Path, repeat: int = 5, env: dict[str, str] | None = None, edits: tuple[Edit, ...] = EDITS
) -> list[tuple[Edit, list[Sample]]]:
    """Serve `book` (a copy of the project), let the first build warm the caches, time each edit."""
    serve = Served(book, env or {"PYTHONPATH": str(book / "src")})
    try:
        serve.wait_for("Serving on", timeout=1800)
        results = []
        for edit in edits:
            # Numbers never used before, so a code edit always runs (it is never in the cache).
            first = int(time.time() * 1000) % 10**9
            samples = [time_edit(serve, book, edit, first + n) for n in range(repeat)]
            results.append((edit, samples))
        return results
    finally:
        serve.stop()


def report(results: list[tuple[Edit, list[Sample]]]) -> tuple[list[str], list[tuple[str, float, float]]]:
    """Markdown lines, and the checks: (target, measured median, limit)."""
    lines = [
        "| edit (Chinese edition, `mkdocs serve`) | median s | min-max s | necessary s (execution) "
        "| beyond it, median of the samples' s | CPU-seconds | chapters executed |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    checks = []
    for edit, samples in results:
        seconds = [s.seconds for s in samples]
        necessary = statistics.median(s.necessary for s in samples)
        median = statistics.median(seconds)
        cpu = statistics.median(s.cpu for s in samples)
        beyond = statistics.median(s.seconds - s.necessary for s in samples)  # each against its own run
        counts = sorted({len(s.executed) for s in samples})
        lines.append(
            f"| {edit.name} | {median:.2f} | {min(seconds):.2f}-{max(seconds):.2f} | {necessary:.2f} "
            f"| {beyond:.2f} | {cpu:.1f} | {'/'.join(map(str, counts))} |"
        )
        checks.append((f"{edit.name}: visible <= necessary + 1.0 s", median, necessary + 1.0))
    return lines, checks


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5, help="samples of each edit (the median is reported)")
    parser.add_argument("--edits", default="1,2,3", help="which edits, by number (1 prose, 2 code, 3 `#@save`)")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it (a second run starts warm)")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="literate-loop-"))
    book = folder / "book"
    try:
        if not book.exists():
            Project.load(ROOT).copy_to(book)
            (book / "node_modules").symlink_to(ROOT / "node_modules")  # KaTeX, for the math
        else:  # a kept copy, warm: the tool as it is now
            shutil.rmtree(book / "src/literate")
            shutil.copytree(ROOT / "src/literate", book / "src/literate")
        print(f"load average before: {' '.join(f'{x:.1f}' for x in os.getloadavg())}", file=sys.stderr)
        chosen = tuple(EDITS[int(n) - 1] for n in args.edits.split(","))
        lines, checks = report(measure(book, args.repeat, edits=chosen))
        print(f"load average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}", file=sys.stderr)
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)
    lines += ["", "| target | measured s | limit s | holds |", "|---|---:|---:|---|"]
    lines += [
        f"| {name} | {value:.2f} | {limit:.2f} | {'yes' if value <= limit else 'NO'} |" for name, value, limit in checks
    ]
    print("\n".join(lines))
    return 0 if all(value <= limit for _, value, limit in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
