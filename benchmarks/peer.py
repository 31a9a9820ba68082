"""The peer an author would pick instead: mkdocs-jupyter executing each notebook (`make bench`).

The same chapters, as the notebooks a reader downloads from the built site, their outputs
stripped, in a MkDocs project of their own (Material, mkdocs-jupyter with `execute: true`,
which runs each notebook in a Jupyter kernel of its own): built cold (its cache empty) and
warm (nothing changed). Run alone on a built site: `python benchmarks/peer.py SITE/zh/downloads`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

MKDOCS = """\
site_name: Peer (mkdocs-jupyter, execute true)
theme:
  name: material
  font: false
plugins:
  - mkdocs-jupyter:
      execute: true
      include: ["*.ipynb"]
      cache: true
      cache_dir: {cache}
"""


def stripped(source: Path, destination: Path) -> None:
    """The notebook without what running it made: outputs and execution counts."""
    notebook = nbformat.read(source, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    nbformat.write(notebook, destination)


def project(notebooks: list[Path], folder: Path) -> Path:
    """A MkDocs project at `folder` whose pages are the notebooks, stripped."""
    docs = folder / "docs"
    docs.mkdir(parents=True)
    (docs / "index.md").write_text("# Peer\n", encoding="utf-8")
    for notebook in notebooks:
        stripped(notebook, docs / notebook.name)
    (folder / "mkdocs.yml").write_text(MKDOCS.format(cache=folder / ".cache"), encoding="utf-8")
    return folder


def build(folder: Path) -> float:
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--site-dir", str(folder / "site")],
        cwd=folder,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"the peer build failed in {folder}:\n{result.stderr[-3000:]}")
    return seconds


def measure(downloads: Path, folder: Path) -> tuple[int, float, float]:
    """The number of notebooks, and the peer's cold and warm build seconds."""
    notebooks = sorted(downloads.glob("*.ipynb"))
    if not notebooks:
        sys.exit(f"no notebooks in {downloads}: build the site first")
    peer = project(notebooks, folder / "peer")
    cold = build(peer)
    warm = build(peer)
    return len(notebooks), cold, warm


def main() -> int:
    downloads = Path(sys.argv[1])
    with tempfile.TemporaryDirectory(prefix="literate-peer-") as folder:
        count, cold, warm = measure(downloads, Path(folder))
    print(f"{count} notebooks, mkdocs-jupyter execute: true: cold {cold:.1f} s, warm {warm:.1f} s")
    shutil.rmtree(Path(folder), ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
