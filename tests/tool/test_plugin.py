"""The MkDocs plugin on a small fixture book: outputs woven in, figures as files, errors, cache."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from builds import executed, fixture_mkdocs, free_port, mkdocs_book, mkdocs_build

from literate.cache import Cache
from literate.project import Project
from literate.source import tangle

pytestmark = pytest.mark.slow

MKDOCS = fixture_mkdocs("  - literate:\n      timeout: !ENV [LITERATE_TIMEOUT, 600]\n")
SHAPES = """\
---
module: shapes
---
# Shapes

Prose about areas.

```{.python continuation}
def area(r):  #@save
    return 3 * r * r
```
"""
USE = """\
# Use

Some prose.

```{.python continuation}
import matplotlib.pyplot as plt
from pkg import area
print("hello <b>world</b> **not bold**")
print("```\\nnot a fence\\n```")
```

```{.python continuation}
area(2)
```

```{.python continuation}
fig, ax = plt.subplots(figsize=(3, 2))
ax.plot([1, 2, 3])
ax.set_title("A rising line");
```
"""
PLAIN = "# Plain\n\n```{.python continuation}\nprint(6 * 7)\n```\n"


@pytest.fixture
def book(tmp_path: Path) -> Path:
    return mkdocs_book(tmp_path, MKDOCS, {"01-shapes.md": SHAPES, "02-use.md": USE, "03-plain.md": PLAIN})


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_outputs_are_woven_in_and_figures_are_files(book):
    result = mkdocs_build(book)
    assert result.returncode == 0, result.stderr
    html = (book / "site/chapters/02-use/index.html").read_text()
    # Output that looks like HTML or Markdown is shown as text.
    assert "hello &lt;b&gt;world&lt;/b&gt; **not bold**" in html
    assert "<b>world</b>" not in html and "<strong>not bold</strong>" not in html
    assert "not a fence" in html
    assert re.search(r"<code>12\s*</code>", html)  # the last expression's value
    images = re.findall(r'<img alt="A rising line"[^>]*src="([^"]+)"', html)
    assert len(images) == 1 and "base64" not in images[0]
    figure = (book / "site/chapters/02-use" / images[0]).resolve()
    assert figure.suffix == ".svg" and figure.read_text().lstrip().startswith("<?xml")
    assert "data:image" not in html


def test_cache_hits_misses_and_what_keys_it(book):
    first = mkdocs_build(book)
    assert executed(first) == ["docs/chapters/01-shapes.md", "docs/chapters/02-use.md", "docs/chapters/03-plain.md"]

    assert executed(mkdocs_build(book)) == [], "nothing changed: nothing runs"
    assert "0 chapter(s) executed, 3 from the cache" in mkdocs_build(book).stderr

    edit(book / "docs/chapters/02-use.md", "Some prose.", "Other prose.")
    assert executed(mkdocs_build(book)) == [], "a prose edit runs nothing"

    edit(book / "docs/chapters/03-plain.md", "6 * 7", "6 * 8")
    assert executed(mkdocs_build(book)) == ["docs/chapters/03-plain.md"]

    # A change to package code reruns the chapters that import it, and only those.
    edit(book / "docs/chapters/01-shapes.md", "3 * r * r", "4 * r * r")
    tangle.write(Project.load(book))
    result = mkdocs_build(book)
    assert executed(result) == ["docs/chapters/01-shapes.md", "docs/chapters/02-use.md"]
    assert re.search(r"<code>16\s*</code>", (book / "site/chapters/02-use/index.html").read_text())


def execute_command(book: Path) -> subprocess.CompletedProcess:
    environment = {**os.environ, "PYTHONPATH": str(book / "src")}
    return subprocess.run(
        [sys.executable, "-m", "literate", "execute"], cwd=book, capture_output=True, text=True, env=environment
    )


def test_the_execute_command_runs_what_a_build_would_run_and_the_build_then_runs_nothing(book):
    first = execute_command(book)
    assert first.returncode == 0, first.stderr
    assert executed(first) == ["docs/chapters/01-shapes.md", "docs/chapters/02-use.md", "docs/chapters/03-plain.md"]
    build = mkdocs_build(book)
    assert build.returncode == 0 and executed(build) == [], "the same cache keys as the build's"
    assert re.search(r"<code>12\s*</code>", (book / "site/chapters/02-use/index.html").read_text())
    again = execute_command(book)
    assert again.returncode == 0 and "0 chapter(s) executed, 3 found in the cache" in again.stderr

    edit(book / "docs/chapters/03-plain.md", "print(6 * 7)", "x = 1\nprint(6 / (x - 1))")
    failed = execute_command(book)
    assert failed.returncode == 1
    assert "error: docs/chapters/03-plain.md:5: ZeroDivisionError: division by zero" in failed.stderr
    (book / "mkdocs.yml").write_text(MKDOCS.replace("timeout: !ENV [LITERATE_TIMEOUT, 600]", "timeout: soon"))
    bad = execute_command(book)
    assert bad.returncode == 2 and "mkdocs.yml: plugins.literate: timeout:" in bad.stderr


def test_a_hand_edit_to_the_package_fails_the_build_naming_the_chapter(book):
    mkdocs_build(book)
    module = book / "src/pkg/shapes.py"
    # Same chapter text, different package source (as after a hand edit): the build refuses.
    module.write_text(module.read_text().replace("3 * r * r", "5 * r * r"))
    result = mkdocs_build(book)
    assert result.returncode != 0
    assert "src/pkg/shapes.py differs from what its chapters produce" in result.stderr
    assert "Edit docs/chapters/01-shapes.md" in result.stderr


def test_a_raising_block_fails_the_build_with_file_and_line(book):
    assert mkdocs_build(book).returncode == 0
    cache = book / ".cache/literate/execution"
    before = set(cache.iterdir())
    edit(book / "docs/chapters/03-plain.md", "print(6 * 7)", "x = 1\nprint(6 / (x - 1))")
    result = mkdocs_build(book)
    assert result.returncode != 0
    assert "docs/chapters/03-plain.md:5: ZeroDivisionError: division by zero" in result.stderr
    after = set(cache.iterdir())
    assert {p for p in after if p.suffix != ".failed"} == before, "a failed run's outputs are not cached"
    # Only the failure itself, for a build that waited on the lock meanwhile (tests/tool/test_execute.py).
    [failure] = after - before
    message = Cache(cache, ".failed").read_text(failure.stem)
    assert message is not None and message.startswith("docs/chapters/03-plain.md:5: ZeroDivisionError")
    edit(book / "docs/chapters/03-plain.md", "(x - 1)", "(x + 1)")
    fixed = mkdocs_build(book)
    assert fixed.returncode == 0 and executed(fixed) == ["docs/chapters/03-plain.md"]
    assert "3.0" in (book / "site/chapters/03-plain/index.html").read_text()
    assert failure.exists(), "another code's failure stays until it is evicted"


def test_a_block_that_never_ends_times_out_and_leaves_no_process(book):
    edit(book / "docs/chapters/03-plain.md", "print(6 * 7)", "import time\nwhile True:\n    time.sleep(0.1)")
    start = time.monotonic()
    # Per chapter, from its own start: the fixture's other chapters take milliseconds.
    result = mkdocs_build(book, LITERATE_TIMEOUT="3")
    assert result.returncode != 0
    assert time.monotonic() - start < 60
    assert re.search(r"docs/chapters/03-plain\.md:4: timed out: the chapter ran longer than 3 s", result.stderr)
    leftovers = [
        p
        for p in psutil.process_iter(["cmdline", "cwd"])
        if "literate.run.worker" in " ".join(p.info["cmdline"] or []) and p.info["cwd"] == str(book)
    ]
    assert leftovers == []


def test_while_serving_a_raising_chapter_shows_its_error_and_the_site_still_answers(book):
    import urllib.request

    edit(book / "docs/chapters/03-plain.md", "print(6 * 7)", "print(6 / 0)")
    port = free_port()
    environment = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "PYTHONPATH": str(book / "src")}
    server = subprocess.Popen(
        [sys.executable, "-m", "mkdocs", "serve", "--dev-addr", f"127.0.0.1:{port}", "--no-livereload"],
        cwd=book,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        page = None
        deadline = time.monotonic() + 90
        while page is None and time.monotonic() < deadline and server.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/chapters/03-plain/", timeout=10) as response:
                    page = response.read().decode()
            except OSError:
                time.sleep(0.5)
        assert page is not None, "the server answered"
        assert "This chapter failed to run" in page
        assert "docs/chapters/03-plain.md:4: ZeroDivisionError: division by zero" in page
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/chapters/02-use/", timeout=10) as response:
            assert "hello &lt;b&gt;world" in response.read().decode(), "the other chapters are built as usual"
    finally:
        server.terminate()
        server.wait(timeout=30)
