"""The one way the tests build a book: a strict `mkdocs build` of a folder, or both editions with `make`.

Run as a script (`python tests/builds.py FOLDER`), it builds the real book into FOLDER as
`shared_site` does: tests/conftest.py starts that in the background when a run begins.
"""

from __future__ import annotations

import fcntl
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXECUTED = re.compile(r"literate: executed (\S+)")


def mkdocs_build(book: Path, *options: str, **env: str) -> subprocess.CompletedProcess:
    """`mkdocs build --strict` in `book`, whose own package (src/) the chapters import."""
    environment = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "PYTHONPATH": str(book / "src"), **env}
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", *options],
        cwd=book,
        capture_output=True,
        text=True,
        env=environment,
    )


def make_site(book: Path, site: Path, origin: str, **env: str) -> subprocess.CompletedProcess:
    """Both editions into `site`, as `make site` builds them, with addresses at `origin`."""
    command = [
        "make",
        "--no-print-directory",
        "editions",
        f"SITE={site}",
        f"ORIGIN={origin}",
        f"BIN={Path(sys.executable).parent}",
    ]
    environment = {**os.environ, "NO_MKDOCS_2_WARNING": "1", **env}
    return subprocess.run(command, cwd=book, capture_output=True, text=True, env=environment)


def executed(result: subprocess.CompletedProcess) -> list[str]:
    """The chapters a build executed (not taken from the cache), sorted."""
    return sorted(EXECUTED.findall(result.stderr))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def shared_site(folder: Path) -> tuple[Path, str | None]:
    """The whole book built once into `folder`/built-site as `make site` builds it (both editions,
    strictly, with execution and the link check on), with addresses at a free port of 127.0.0.1.
    Whoever comes first builds, under a file lock; the others wait, then read it. Returns the
    site and, if the build failed, its output; `shared_site_log` gives the output either way."""
    site, failure = folder / "built-site", folder / "built-site.failed"
    with open(folder / "built-site.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not site.exists() and not failure.exists():
            # Two chapters at a time whatever the machine: tests/site/test_determinism.py compares
            # what this build caches with a run of one chapter at a time.
            result = make_site(ROOT, site, f"http://127.0.0.1:{free_port()}", LINK_CHECK="true", LITERATE_WORKERS="2")
            (folder / "built-site.log").write_text(result.stdout + result.stderr)
            if result.returncode != 0:
                failure.write_text(f"make editions (two strict builds) failed:\n{result.stdout}\n{result.stderr}")
    return site, (failure.read_text() if failure.exists() else None)


def shared_site_log(folder: Path) -> str:
    """What the build of `shared_site` printed (its three processes' output, each whole)."""
    return (folder / "built-site.log").read_text()


if __name__ == "__main__":
    shared_site(Path(sys.argv[1]))


PYPROJECT = '[tool.literate]\nchapters = "docs/chapters"\npackage = "pkg"\npackage_dir = "src/pkg"\n'


def mkdocs_book(root: Path, mkdocs: str, chapters: dict[str, str]) -> Path:
    """A fixture book in `root`, package `pkg`: its mkdocs.yml, a home page, `chapters` (file name
    -> Markdown) in docs/chapters, tangled."""
    from literate.project import Project  # the tool, only for the tests that build books
    from literate.source import tangle

    (root / "pyproject.toml").write_text(PYPROJECT)
    (root / "mkdocs.yml").write_text(mkdocs)
    folder = root / "docs" / "chapters"
    folder.mkdir(parents=True)
    (root / "docs" / "index.md").write_text("# Fixture\n")
    for name, text in chapters.items():
        (folder / name).write_text(text)
    tangle.write(Project.load(root))
    return root


CHAPTER_EXTENSIONS = ("attr_list", "pymdownx.superfences")


def fixture_mkdocs(plugins: str, extensions: tuple[str, ...] = CHAPTER_EXTENSIONS) -> str:
    """A fixture book's mkdocs.yml: Material without web fonts, the Markdown `extensions` (list
    items as YAML, by default the two every chapter needs), then `plugins` (list items as YAML)."""
    listed = "".join(f"  - {extension}\n" for extension in extensions)
    return f"site_name: Fixture\ntheme:\n  name: material\n  font: false\nmarkdown_extensions:\n{listed}plugins:\n{plugins}"
