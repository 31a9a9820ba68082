"""Build and test times of the real book, side by side with the floor (`make bench`).

Works on a copy of the book in a temporary folder, so the edits it times never touch the
work tree. Prints a Markdown table, the ratios and whether each target holds, and writes
the same report to .cache/bench.md. Beside the builds: the author's loop in `mkdocs serve`
(`loop.py`) and the peer, mkdocs-jupyter executing the same chapters' notebooks (`peer.py`).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import loop
import peer
from growth import measure

from literate.project import Project
from literate.source.blocks import parse_file
from literate.source.imports import package_modules

ROOT = Path(__file__).resolve().parents[1]

# The floor (a): one interpreter, torch and matplotlib imported once, every block run once.
FLOOR = """
import sys, matplotlib
matplotlib.use("Agg")
import torch, matplotlib.pyplot as plt
from literate.source.blocks import parse_file
for path in sys.argv[1:]:
    namespace = {"__name__": "__main__"}
    for block in parse_file(path).python_blocks:
        exec(compile("\\n" * (block.line - 1) + block.code, path, "exec"), namespace)
    plt.close("all")
"""


def timed(command: list[str], cwd: Path, **env) -> tuple[float, subprocess.CompletedProcess]:
    environment = {**os.environ, "NO_MKDOCS_2_WARNING": "1", **env}
    start = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, env=environment, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"failed: {' '.join(command)}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return seconds, result


class Book:
    def __init__(self, folder: Path):
        self.root = Project.load(ROOT).copy_to(folder)
        (self.root / "node_modules").symlink_to(ROOT / "node_modules")  # KaTeX, for the math
        self.env = {"PYTHONPATH": str(self.root / "src")}

    def build(self, **env) -> tuple[float, list[str]]:
        # Both editions, as `make site` builds them.
        command = ["make", "--no-print-directory", "editions", "SITE=site", f"BIN={Path(sys.executable).parent}"]
        seconds, result = timed(command, self.root, **self.env, **env)
        return seconds, re.findall(r"literate: executed (\S+)", result.stderr)

    def clear_caches(self) -> None:
        shutil.rmtree(self.root / ".cache", ignore_errors=True)

    def edit(self, chapter: str, old: str, new: str) -> None:
        """The same edit in a chapter and its translation (their code must stay identical)."""
        for path in [
            *(self.root / "docs/chapters").glob(chapter + "*.md"),
            *(self.root / "docs-en/chapters").glob(chapter + "*.md"),
        ]:
            text = path.read_text(encoding="utf-8")
            if old not in text:
                sys.exit(f"benchmark edit not found in {path.name}: {old!r}")
            path.write_text(text.replace(old, new, 1), encoding="utf-8")
        subprocess.run([sys.executable, "-m", "literate", "tangle"], cwd=self.root, check=True, capture_output=True)


def importers_of(project: Project, module: str) -> list[str]:
    return sorted(
        project.relative(p)
        for p in project.chapter_files()
        if any(
            m.stem == module for m in package_modules(parse_file(p).python_blocks, project.package, project.package_dir)
        )
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--skip-make-test", action="store_true", help="do not time the whole test suite")
    parser.add_argument("--loop-repeat", type=int, default=5, help="samples of each edit in `mkdocs serve`")
    parser.add_argument("--sizes", default="10,50,100", help="chapter counts of the generated books (empty: skip them)")
    args = parser.parse_args()
    rows, checks = [], []

    with tempfile.TemporaryDirectory() as folder:
        book = Book(Path(folder) / "book")
        project = Project.load(book.root)
        chapters = [str(p) for p in project.chapter_files()]

        floor_a, _ = timed([sys.executable, "-c", FLOOR, *chapters], book.root, **book.env)
        rows.append(("(a) floor: one process runs every chapter's blocks", floor_a, "-"))
        floor_b, _ = book.build(LITERATE_EXECUTE="false")
        rows.append(("(b) floor: mkdocs build, execution off", floor_b, "-"))

        book.clear_caches()
        cold, ran = book.build()
        rows.append(("cold build (empty caches)", cold, len(ran)))
        warm, ran_warm = book.build()
        rows.append(("warm build (nothing changed)", warm, len(ran_warm)))

        book.edit("03-parameters", "\n## ", "\nA sentence added by the benchmark.\n\n## ")
        prose, ran_prose = book.build()
        rows.append(("prose-only edit (chapter 3)", prose, len(ran_prose)))

        book.edit("04-model", '"""', '"""(edited by the benchmark) ')
        save, ran_save = book.build()
        rows.append(("`#@save` edit in the model chapter", save, len(ran_save)))
        expected_save = sorted(set(importers_of(project, "model")) | {"docs/chapters/04-model.md"})

        training = parse_file(book.root / "docs/chapters/07-training.md").python_blocks[-1].code
        book.edit("07-training", training, training + "# edited by the benchmark\n")
        train, ran_train = book.build()
        rows.append(("code edit in the training chapter (not saved)", train, len(ran_train)))

        # The author's loop, on the warm copy: edits saved in `mkdocs serve`, until the page shows them.
        loop_results = loop.measure(book.root, args.loop_repeat, env=book.env)
        # The peer: the notebooks this copy's last build published, stripped, built by mkdocs-jupyter.
        notebooks, peer_cold, peer_warm = peer.measure(book.root / "site/zh/downloads", Path(folder))

        book.clear_caches()
        _, profile = timed(
            [sys.executable, str(ROOT / "benchmarks/stages.py"), "mkdocs.yml", "site-profiled"], book.root, **book.env
        )
        stages = [line.split("\t") for line in profile.stdout.strip().splitlines()]
        growth = measure(ROOT, Path(folder), [int(n) for n in args.sizes.split(",") if n])

    doctests, _ = timed([sys.executable, "-m", "pytest", "docs", "-q"], ROOT)
    rows.append(("doc tests (`pytest docs`)", doctests, "-"))
    if not args.skip_make_test:
        # As the README runs it (every core, the file order of tests/conftest.py), caches as they are.
        suite, _ = timed(["make", "--no-print-directory", "test"], ROOT)
        rows.append(("whole test suite (`make test` after set-up, caches warm)", suite, "-"))

    # A phone's view: Lighthouse's mobile preset on the heaviest page of each kind, median of 3,
    # on this project's own site (built warm; the book's copy above is gone).
    subprocess.run(["make", "--no-print-directory", "site"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    phone = subprocess.run([sys.executable, str(ROOT / "scripts/lighthouse.py"), "--mobile", "--strict"], cwd=ROOT)
    phone_report = (ROOT / ".cache/lighthouse/mobile.md").read_text(encoding="utf-8")

    checks = [
        ("cold < 1.0 x (a + b)", cold / (floor_a + floor_b), 1.0),
        ("warm <= 1.1 x b", warm / floor_b, 1.1),
        ("doc tests <= 1.3 x a", doctests / floor_a, 1.3),
    ]
    lines = ["| measurement | seconds | chapters executed |", "|---|---:|---:|"]
    lines += [f"| {name} | {seconds:.1f} | {count} |" for name, seconds, count in rows]
    lines += ["", "Where a cold build of the Chinese edition goes (one profiled build; shares of its time):", ""]
    lines += ["| stage | seconds (profiled) | share |", "|---|---:|---:|"]
    lines += [f"| {stage} | {seconds} | {share} |" for stage, seconds, share in stages[:-1]]
    lines += [f"| whole build (profiled) | {stages[-1][1]} | 100% |"]
    if growth:
        lines += ["", "Generated books (the Chinese edition alone, chapters copied from the real ones):", ""]
        lines += [
            "| chapters | cold s | warm s | cold s per chapter | peak MiB (largest process) |",
            "|---:|---:|---:|---:|---:|",
        ]
        lines += [f"| {n} | {c:.1f} | {w:.1f} | {c / n:.2f} | {m} |" for n, c, w, m in growth]
    lines += ["", "| target | ratio | holds |", "|---|---:|---|"]
    lines += [f"| {name} | {ratio:.2f} | {'yes' if ratio <= limit else 'NO'} |" for name, ratio, limit in checks]
    loop_lines, loop_checks = loop.report(loop_results)
    lines += ["", f"The author's loop (median of {args.loop_repeat}; load average {os.getloadavg()[0]:.1f}):", ""]
    lines += loop_lines
    lines += ["", "| loop target | median s | limit s | holds |", "|---|---:|---:|---|"]
    lines += [f"| {n} | {v:.2f} | {lim:.2f} | {'yes' if v <= lim else 'NO'} |" for n, v, lim in loop_checks]
    lines += [
        "",
        f"The peer: the same {notebooks} chapters' notebooks, outputs stripped, built by mkdocs-jupyter "
        "with `execute: true` (one edition):",
        "",
        "| build | seconds | against this book's (both editions) |",
        "|---|---:|---:|",
        f"| peer cold | {peer_cold:.1f} | {peer_cold / cold:.1f} x the cold build |",
        f"| peer warm | {peer_warm:.1f} | {peer_warm / warm:.1f} x the warm build |",
    ]
    lines += [
        "",
        f"- prose-only edit executed: {ran_prose or 'nothing'} (target: nothing)",
        f"- `#@save` edit executed: {sorted(ran_save)}; chapters importing `linreg.model` plus the chapter: {expected_save}",
        f"- training-chapter edit executed: {ran_train} (target: only that chapter)",
    ]
    lines += [
        "",
        "A phone (Lighthouse mobile, served gzip-compressed; target 0.9 on every page kind):",
        "",
        phone_report,
    ]
    report = "\n".join(lines) + "\n"
    print(report)
    (ROOT / ".cache").mkdir(exist_ok=True)
    (ROOT / ".cache/bench.md").write_text(report, encoding="utf-8")
    failed = [name for name, ratio, limit in checks + loop_checks if ratio > limit]
    failed += ["prose edit ran chapters"] * bool(ran_prose)
    failed += ["#@save edit ran other chapters"] * (sorted(ran_save) != expected_save)
    failed += ["training edit ran other chapters"] * (ran_train != ["docs/chapters/07-training.md"])
    failed += ["a page kind under 0.9 on a phone"] * (phone.returncode != 0)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
