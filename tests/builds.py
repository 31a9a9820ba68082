"""The one way the tests build a book: a strict `mkdocs build` of a folder, or both editions with `make`."""

from __future__ import annotations

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
        cwd=book, capture_output=True, text=True, env=environment,
    )


def make_site(book: Path, site: Path, origin: str, **env: str) -> subprocess.CompletedProcess:
    """Both editions into `site`, as `make site` builds them, with addresses at `origin`."""
    command = ["make", "--no-print-directory", "editions", f"SITE={site}", f"ORIGIN={origin}", f"BIN={Path(sys.executable).parent}"]
    environment = {**os.environ, "NO_MKDOCS_2_WARNING": "1", **env}
    return subprocess.run(command, cwd=book, capture_output=True, text=True, env=environment)


def executed(result: subprocess.CompletedProcess) -> list[str]:
    """The chapters a build executed (not taken from the cache), sorted."""
    return sorted(EXECUTED.findall(result.stderr))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
