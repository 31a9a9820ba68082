"""Fault 7 while serving: a chapter that starts a process leaves none behind, rebuild after rebuild,
nor when `mkdocs serve` is stopped by SIGTERM or SIGINT."""

from __future__ import annotations

import os
import signal
import time
import uuid
from pathlib import Path

import pytest
from pool_books import chapter, project
from served import Served

from literate.source import tangle

MKDOCS = "site_name: Fixture\nmarkdown_extensions:\n  - pymdownx.superfences\nplugins:\n  - literate\n"


def sleepers(mark: str) -> list[int]:
    """The live `sleep` processes whose duration is `mark`: this test's own, wherever they were reparented."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
            state = next(line for line in (entry / "status").read_text().split("\n") if line.startswith("State:"))
        except (OSError, StopIteration):
            continue  # ended while looked at
        if argv[:2] == [b"sleep", mark.encode()] and "zombie" not in state:
            found.append(int(entry.name))
    return found


@pytest.mark.slow
@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_serving_leaves_no_process_a_chapter_started(tmp_path, stop):
    # A duration no other process on the machine has: the test counts its own sleeps only.
    mark = f"75.{uuid.uuid4().int % 10**9:09d}"
    code = f"""
        import subprocess
        subprocess.Popen(["sleep", "{mark}"])
        subprocess.Popen(["sleep", "{mark}"], start_new_session=True)  # out of the chapter's group
        print("started")  # edit 0
    """
    book = project(tmp_path, a=chapter(code))
    (tmp_path / "mkdocs.yml").write_text(MKDOCS)
    (tmp_path / "docs/index.md").write_text("# Home\n")
    tangle.write(book)
    source = tmp_path / "docs/chapters/a.md"
    server = Served(tmp_path, {"PYTHONPATH": str(tmp_path / "src")})
    try:
        server.wait_for("Serving on", 60)
        assert sleepers(mark) == [], "after the first build"
        for rebuild in range(1, 4):
            # A code edit, not a touch: a touched chapter comes from the cache and starts nothing.
            source.write_text(source.read_text().replace(f"# edit {rebuild - 1}", f"# edit {rebuild}"))
            rebuilt = server.wait_for("Reloading browsers", 60)
            assert "literate: executed docs/chapters/a.md" in "".join(rebuilt)
            assert sleepers(mark) == [], f"after rebuild {rebuild}"
        # The server is stopped while the chapter runs, its processes alive.
        source.write_text(source.read_text().replace("# edit 3", "# edit 4\nimport time\ntime.sleep(60)"))
        deadline = time.monotonic() + 30
        while len(sleepers(mark)) < 2:
            assert time.monotonic() < deadline, "the edited chapter started its processes"
            time.sleep(0.1)
    finally:
        server.stop(stop)
        left = sleepers(mark)
        for pid in left:  # a failing run must not leave them on the machine
            os.kill(pid, signal.SIGKILL)
    assert left == [], f"after {stop.name}"
