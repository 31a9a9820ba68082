"""`mkdocs serve` keeps one execution server for all its rebuilds and ends it with itself (issue 27)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from builds import fixture_mkdocs, mkdocs_book
from served import Served

pytestmark = pytest.mark.slow

# The package is watched, as the book watches it (an edit to the tool restarts its server).
MKDOCS = fixture_mkdocs("  - search\n  - literate:\n      preload: [fractions]\n") + "watch:\n  - src\n"
SAVED = """\
---
module: shapes
---
# Shapes

```{.python continuation}
def area(r):  #@save
    return 3 * r * r
```
"""
# Each run reports whether an earlier run's state leaked into it, then leaves some behind.
PROBE = """\
# Probe

```{.python continuation}
import fractions, os
from pkg import area
print("run", 1, "leaked:", hasattr(fractions, "leaked"), "area:", area(2))
fractions.leaked = True
```
"""

FIGURE = """\
# Figure

```{.python continuation}
import matplotlib.pyplot as plt
fig, ax = plt.subplots(figsize=(2, 2))
ax.plot([1, 2, 3])
ax.set_title("A line");
```
"""


@pytest.fixture
def book(tmp_path: Path) -> Path:
    return mkdocs_book(tmp_path, MKDOCS, {"01-shapes.md": SAVED, "02-probe.md": PROBE})


class Serve(Served):
    """The fixture book served, with its own package on the path."""

    def __init__(self, book: Path):
        super().__init__(book, {"PYTHONPATH": str(book / "src")})

    def servers(self) -> list[int]:
        """The execution servers below the serve."""
        return [
            p.pid
            for p in psutil.Process(self.process.pid).children(recursive=True)
            if "literate.run.worker" in " ".join(p.cmdline())
        ]


def processes_in(folder: Path) -> list[psutil.Process]:
    """Every process working in `folder` (the server and the chapters run there), but this one."""
    found = []
    for process in psutil.process_iter(["cwd", "pid"]):
        if process.info["cwd"] == str(folder) and process.info["pid"] != os.getpid():
            found.append(process)
    return found


def no_process_left(folder: Path, within: float = 10) -> list[str]:
    deadline = time.monotonic() + within
    while (left := processes_in(folder)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return [" ".join(p.cmdline()) for p in left if p.is_running()]


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_one_server_for_every_rebuild_and_none_left_after_the_serve(book, signum):
    serve = Serve(book)
    try:
        first = serve.wait_for("Serving on")
        assert any("executed docs/chapters/02-probe.md" in line for line in first), "".join(first)
        server = serve.servers()
        assert len(server) == 1, server

        for run in (2, 3):
            log = serve.rebuild("docs/chapters/02-probe.md", f'"run", {run - 1}', f'"run", {run}')
            assert any("executed docs/chapters/02-probe.md" in line for line in log), "".join(log)
            assert serve.servers() == server, "the rebuild used the server the serve started"
        cached = book / ".cache/literate/execution"
        texts = "".join(p.read_text() for p in cached.glob("*.json"))
        for run in (1, 2, 3):
            # Every run started clean: no state from the runs before it, on the same server.
            assert f"run {run} leaked: False area: 12" in texts.replace('"', "").replace(",", ""), texts

        # A chapter still running when the serve is stopped ends with it.
        started = book / "started"
        (book / "docs/chapters/02-probe.md").write_text(
            PROBE.replace(
                'print("run", 1', f'open({str(started)!r}, "w").close(); import time; time.sleep(120); print("run", 1'
            )
        )
        deadline = time.monotonic() + 60
        while not started.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert started.exists(), "".join(serve.log)
        serve.process.send_signal(signum)
        serve.process.wait(timeout=30)
    finally:
        if serve.process.poll() is None:
            serve.process.kill()
    assert no_process_left(book) == []


def test_a_saved_chapters_code_runs_from_the_save_and_once(book):
    """The code of a saved chapter starts running as the save is seen, before the rebuild gets
    there (`literate.run.ahead`); the rebuild takes the outputs, or the failure, from the cache
    without running the chapter again. Prose runs nothing."""
    serve = Serve(book)
    probe = "docs/chapters/02-probe.md"
    try:
        serve.wait_for("Serving on")
        log = "".join(serve.rebuild(probe, '"run", 1', '"run", 2'))
        assert "executed docs/chapters/02-probe.md" in log and "(started at the save)" in log, log
        assert "0 chapter(s) executed, 2 from the cache" in log, log
        assert "run 2 leaked: False area: 12" in serve.page("chapters/02-probe/")

        ran = book / "ran"
        log = "".join(serve.rebuild(probe, "fractions.leaked = True", f"open({str(ran)!r}, 'a').write('x'); 1 / 0"))
        assert "FAILED (shown on the page; a build fails on it): docs/chapters/02-probe.md:" in log, log
        assert "ZeroDivisionError" in log, log
        assert "ZeroDivisionError" in serve.page("chapters/02-probe/")
        assert ran.read_text() == "x", "the failing chapter ran once: ahead of the rebuild"

        log = "".join(serve.rebuild(probe, "# Probe", "# Probe, reworded"))
        assert "started at the save" not in log, log
    finally:
        serve.process.terminate()
        serve.process.wait(timeout=30)


def test_the_server_starts_anew_when_what_it_preloads_changes(book):
    serve = Serve(book)
    try:
        serve.wait_for("Serving on")
        (before,) = serve.servers()
        serve.rebuild("mkdocs.yml", "preload: [fractions]", "preload: [fractions, decimal]")
        serve.rebuild("docs/chapters/02-probe.md", '"run", 1', '"run", 2')  # a run after the change
        (after,) = serve.servers()
        assert after != before and not psutil.pid_exists(before)
        assert "decimal" in psutil.Process(after).cmdline()
        serve.rebuild("docs/chapters/02-probe.md", '"run", 2', '"run", 3')
        assert serve.servers() == [after], "kept again once restarted"
    finally:
        serve.process.terminate()
        serve.process.wait(timeout=30)
    assert no_process_left(book) == []


def test_a_build_starts_and_ends_its_own_server(book):
    environment = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "PYTHONPATH": str(book / "src")}
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict"], cwd=book, env=environment, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert "executed docs/chapters/02-probe.md" in result.stderr
    assert no_process_left(book, within=0) == []


def test_a_rebuild_converts_only_the_pages_whose_inputs_changed(book):
    index = book / "docs/index.md"
    index.write_text("# Fixture\n\nFirst words. A link that leads nowhere: [gone](gone.md).\n")
    (book / "docs/chapters/03-figure.md").write_text(FIGURE)
    serve = Serve(book)
    try:
        first = "".join(serve.wait_for("Serving on"))
        assert "4 page(s) converted, 0 unchanged" in first, first

        # A new figure (a new file, named by its content) changes its own page only.
        log = "".join(serve.rebuild("docs/chapters/03-figure.md", "[1, 2, 3]", "[3, 2, 1]"))
        assert "executed docs/chapters/03-figure.md" in log and "1 page(s) converted, 3 unchanged" in log, log

        log = "".join(serve.rebuild("docs/index.md", "First words.", "Second words."))
        assert "1 page(s) converted, 3 unchanged" in log, log
        assert "1 page(s) indexed for search, 3 unchanged" in log, log
        assert "Second words." in serve.page("")
        # The search index, partly from earlier rebuilds, is the one a build of the same pages makes.
        served = json.loads(serve.page("search/search_index.json"))
        assert "Second words." in json.dumps(served, ensure_ascii=False)
        environment = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "PYTHONPATH": str(book / "src")}
        built = book / "built"
        subprocess.run(
            [sys.executable, "-m", "mkdocs", "build", "--site-dir", str(built)], cwd=book, env=environment, check=True
        )
        assert served == json.loads((built / "search/search_index.json").read_text())
        # A page taken unchanged still reports what converting it reported.
        log = "".join(serve.rebuild("docs/chapters/01-shapes.md", "# Shapes", "# Shapes and areas"))
        assert "1 page(s) converted, 3 unchanged" in log, log
        assert "gone.md" in log, "the broken link is reported on every rebuild"

        # What every page depends on changes every page: the files (links) and the config.
        (book / "docs/gone.md").write_text("# Gone\n\nHere after all.\n")
        log = "".join(serve.wait_for("Reloading browsers"))
        assert "5 page(s) converted, 0 unchanged" in log, log
        assert 'href="gone/"' in serve.page(""), "the link now leads to the new page"
        log = "".join(serve.rebuild("mkdocs.yml", "site_name: Fixture", "site_name: Fixture\nsite_description: d"))
        assert "5 page(s) converted, 0 unchanged" in log, log
    finally:
        serve.process.terminate()
        serve.process.wait(timeout=30)


def test_an_edited_template_is_compiled_again(book):
    overrides = book / "overrides"
    overrides.mkdir()
    (overrides / "main.html").write_text(
        '{% extends "base.html" %}\n{% block content %}OVERRIDE-ONE {{ super() }}{% endblock %}\n'
    )
    edit_config = (
        (book / "mkdocs.yml").read_text().replace("  name: material\n", "  name: material\n  custom_dir: overrides\n")
    )
    (book / "mkdocs.yml").write_text(edit_config)
    serve = Serve(book)
    try:
        serve.wait_for("Serving on")
        assert "OVERRIDE-ONE" in serve.page("")
        (overrides / "main.html").write_text((overrides / "main.html").read_text().replace("ONE", "TWO"))
        serve.rebuild("docs/index.md", "# Fixture", "# Fixture again")  # the theme folder is not watched
        page = serve.page("")
        assert "OVERRIDE-TWO" in page and "OVERRIDE-ONE" not in page
    finally:
        serve.process.terminate()
        serve.process.wait(timeout=30)


def test_a_config_edited_while_a_build_runs_keeps_nothing_that_build_made(book):
    from mkdocs.config import load_config
    from mkdocs.structure.files import File, Files
    from mkdocs.structure.pages import Page

    from literate.adapter.page_cache import RenderedPages

    def build_once(pages: RenderedPages, during=lambda: None) -> list[str]:
        """One build's worth of the cache's calls; the pages it had to make."""
        config = load_config(str(book / "mkdocs.yml"))
        pages.configured(config)
        during()
        file = File("index.md", config.docs_dir, config.site_dir, config.use_directory_urls)
        pages.begin(config, Files([file]))
        made: list[str] = []
        page = Page("Home", file, config)
        pages.content("<p>home</p>", page, lambda link: made.append("home") or "<p>home, styled</p>", lambda svg: None)
        pages.end()
        return made

    pages = RenderedPages("assets/figures")
    assert build_once(pages) == ["home"]
    assert build_once(pages) == [], "kept from the build before"
    config = book / "mkdocs.yml"
    # The edit lands after the build read its config: what it made under the new key is dropped.
    build_once(pages, during=lambda: config.write_text(config.read_text() + "site_description: edited\n"))
    assert build_once(pages) == ["home"]


def test_an_edit_is_seen_at_once_and_a_serve_left_alone_builds_nothing(book):
    """The serve watches with the system's change notifications, not MkDocs' polling every 0.5 s;
    they also report a file read (by an editor, a search, another build), which must not start a
    rebuild. Nor does the package a rebuild tangles: that is the rebuild's own write, not an edit."""
    serve = Serve(book)
    try:
        serve.wait_for("Serving on")
        log = serve.rebuild("docs/chapters/01-shapes.md", "3 * r * r", "3 * r**2")
        assert any("tangled src/pkg/shapes.py" in line for line in log), "".join(log)
        assert "3 * r**2" in (book / "src/pkg/shapes.py").read_text()
        built = len(serve.log)
        for source in (book / "docs").rglob("*.md"):  # read, as a search or another build would
            source.read_text()
        time.sleep(2)
        serve.skip_log()
        assert not [line for line in serve.log[built:] if "Building documentation" in line], serve.log[built:]
        seen = []
        for n in range(5):
            page = book / "docs/chapters/01-shapes.md"
            page.write_text(page.read_text().replace("# Shapes", f"# Shapes {n}", 1))
            saved = time.monotonic()
            serve.wait_for("Detected file changes", timeout=10)
            seen.append(time.monotonic() - saved)
            serve.wait_for("Reloading browsers", timeout=60)
            page.write_text(page.read_text().replace(f"# Shapes {n}", "# Shapes", 1))
            serve.wait_for("Reloading browsers", timeout=60)
        # Polling every 0.5 s sees an edit 0 to 0.5 s later: four of five under 0.1 s would happen
        # about once in 150 serves; a notified serve logs it within milliseconds.
        assert sorted(seen)[3] < 0.1, seen
    finally:
        serve.process.terminate()
        serve.process.wait(timeout=30)
