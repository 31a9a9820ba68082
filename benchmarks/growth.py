"""How build cost grows with the book: generated books of N chapters, cold and warm (`make bench`).

A generated book is a copy of the real one whose chapters folder holds N chapters: the real
ones, then copies of them renamed (their `#@save` marks dropped, so the package is the real
book's). It is built as the Chinese edition alone, with the navigation MkDocs makes from the
files. Reports seconds and the peak memory of the build and its children.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

from literate.project import Project
from literate.source.collect import SAVE_MARK


def generate(root: Path, folder: Path, chapters: int) -> Path:
    """A copy of the book at `folder` with `chapters` chapters; returns its mkdocs config file."""
    book = Project.load(root).copy_to(folder)
    (book / "node_modules").symlink_to(root / "node_modules")  # KaTeX, for the math
    project = Project.load(book)
    originals = project.chapter_files()
    for number in range(len(originals), chapters):
        source = originals[number % len(originals)]
        text = "\n".join(SAVE_MARK.sub("", line) for line in source.read_text(encoding="utf-8").split("\n"))
        text = re.sub(r"\A---\n(.*?\n)---\n", lambda m: _without_module(m.group(1)), text, count=1, flags=re.S)
        # "99-..." sorts after every real chapter: a copy imports what the real ones saved.
        (project.chapters / f"99-{number + 1:03d}-copy-{source.name}").write_text(text, encoding="utf-8")
    generated = book / "mkdocs.growth.yml"
    generated.write_text(
        "INHERIT: mkdocs.yml\nnav: null\nvalidation:\n  nav:\n    omitted_files: info\n", encoding="utf-8"
    )
    return generated


def _without_module(front_matter: str) -> str:
    kept = [line for line in front_matter.split("\n") if not line.startswith(("module:", "module_doc:", "wraps:"))]
    return "---\n" + "\n".join(kept) + "---\n"


# Runs a command and prints the peak resident memory (KiB) of its largest process.
PEAK = (
    "import resource, subprocess, sys\n"
    "code = subprocess.run(sys.argv[1:]).returncode\n"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    "sys.exit(code)\n"
)


def build(book: Path, config: Path) -> tuple[float, int]:
    """Seconds and peak resident memory (MiB of its largest process) of one strict build."""
    environment = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "PYTHONPATH": str(book / "src")}
    command = [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(config), "--site-dir", "site"]
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", PEAK, *command], cwd=book, env=environment, capture_output=True, text=True
    )
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"growth build failed:\n{result.stderr[-3000:]}")
    return seconds, int(result.stdout.split()[-1]) // 1024


def measure(root: Path, folder: Path, sizes: list[int]) -> list[tuple[int, float, float, int]]:
    """(chapters, cold seconds, warm seconds, peak MiB) for each size."""
    rows = []
    for size in sizes:
        book = folder / f"book-{size}"
        config = generate(root, book, size)
        cold, peak = build(book, config)
        warm, _ = build(book, config)
        rows.append((size, cold, warm, peak))
        shutil.rmtree(book)
    return rows
