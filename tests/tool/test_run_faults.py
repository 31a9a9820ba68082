"""Faults of the run family: every process a chapter starts is ended with the chapter, whatever
exit path it takes; a block's failure, even one met while drawing its figures, is named at its line."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from pool_books import chapter, project, run

from literate.run.execute import ExecutionError
from literate.run.outputs import Figure, Truncated
from literate.source import tangle

# A block that starts three processes that would outlive it: a plain child, a child in a session
# of its own, and a daemon (started through an intermediate that exits, so it has no parent).
# Their pids go to a file, so the test can look for them afterwards.
STARTS_PROCESSES = """
import os, subprocess, sys
plain = subprocess.Popen(["sleep", "75"])
own_session = subprocess.Popen(["sleep", "76"], start_new_session=True)
launcher = subprocess.Popen([sys.executable, "-c",
    "import subprocess; print(subprocess.Popen(['setsid', 'sleep', '77'], stdout=subprocess.DEVNULL).pid)"],
    stdout=subprocess.PIPE, text=True)
daemon = int(launcher.communicate()[0])
with open("pids.txt", "w") as f:
    f.write(f"{plain.pid} {own_session.pid} {daemon}")
"""


def alive(pid: int) -> bool:
    """Whether `pid` runs (a zombie, ended but not yet collected, does not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def started(book) -> list[int]:
    pids = [int(p) for p in (book.root / "pids.txt").read_text().split()]
    assert len(pids) == 3
    return pids


def assert_all_ended(pids: list[int]) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(alive(p) for p in pids):
        time.sleep(0.05)
    assert [p for p in pids if alive(p)] == []


@pytest.mark.skipif(sys.platform != "linux", reason="ends descendants through /proc and a subreaper")
@pytest.mark.parametrize(
    "ending",
    ["", "\n---\nprint('a later block')", "\n---\nraise ValueError('late')", "\n---\nimport os\nos._exit(0)"],
    ids=["last-block", "later-block", "later-block-raises", "os-exit"],
)
def test_every_process_a_chapter_starts_ends_with_it(tmp_path, ending):
    book = project(tmp_path, a=chapter(STARTS_PROCESSES + ending))
    try:
        run(book, workers=1)
    except ExecutionError:
        assert "raise" in ending or "_exit" in ending
    assert_all_ended(started(book))


@pytest.mark.skipif(sys.platform != "linux", reason="ends descendants through /proc and a subreaper")
def test_a_chapter_stopped_by_its_timeout_leaves_no_process(tmp_path):
    book = project(tmp_path, a=chapter(STARTS_PROCESSES + "\n---\nimport time\ntime.sleep(600)"))
    with pytest.raises(ExecutionError, match="timed out"):
        run(book, workers=1, timeout=3)  # from the chapter's start: its first block takes far less
    assert_all_ended(started(book))


@pytest.mark.skipif(sys.platform != "linux", reason="ends descendants through /proc and a subreaper")
def test_a_build_read_through_a_pipe_ends_when_its_chapters_do(tmp_path):
    """`mkdocs build | cat` waits for every holder of the pipe: a leftover child would hold it."""
    book = project(tmp_path, a=chapter(STARTS_PROCESSES))
    script = (
        "from literate.run.execute import Executor\nfrom literate.project import Project\n"
        f"p = Project.load({str(book.root)!r})\nExecutor(p, p.root / '.cache', workers=1).run_all(p.source_chapters())\n"
    )
    start = time.monotonic()
    build = subprocess.run([sys.executable, "-c", script], cwd=book.root, capture_output=True, timeout=60, check=True)
    assert build.returncode == 0
    assert time.monotonic() - start < 40  # the children sleep 75 s or more
    assert_all_ended(started(book))


def test_a_figure_that_cannot_be_drawn_is_the_blocks_error_at_its_line(tmp_path):
    book = project(
        tmp_path,
        a=chapter("""
            import matplotlib.pyplot as plt
            fig, ax = plt.subplots()
            ax.set_title(r"$\\frac{1}{$")
            ---
            print("never")
        """),
    )
    with pytest.raises(ExecutionError) as error:
        run(book)
    message = str(error.value)
    assert message.startswith("docs/chapters/a.md:4: ValueError:"), message
    assert "must not end the interpreter" not in message


# Top-level `await` (fault 9): run to its end, as a notebook runs it, the same in the build and
# the doc tests; a block that awaits and then fails must fail, not pass without running.
AWAITS_THEN_FAILS = "import asyncio\nawait asyncio.sleep(0)\nassert False, 'ran past the await'"


def test_top_level_await_runs_in_the_build(tmp_path):
    book = project(
        tmp_path,
        a=chapter("import asyncio\nasync def two():\n    return 2\nprint(await two())\n---\nawait two()"),
        b=chapter(AWAITS_THEN_FAILS),
    )
    with pytest.raises(ExecutionError, match=r"docs/chapters/b\.md:6: AssertionError: ran past the await"):
        run(book)
    (ran,) = run(
        project(
            tmp_path / "ok",
            a=chapter("import asyncio\nasync def two():\n    return 2\nprint(await two())\n---\nawait two()"),
        )
    )
    assert [[getattr(o, "text", None) for o in block] for block in ran.outputs] == [["2\n"], ["2"]]


DOC_TEST_OPTIONS = ["-p", "literate.adapter.pytest_plugin", "--markdown-docs", "--markdown-docs-syntax=superfences"]


@pytest.mark.parametrize("first", [True, False], ids=["first-block", "later-block"])
def test_top_level_await_runs_in_the_doc_tests(pytester, first):
    blocks = [AWAITS_THEN_FAILS] if first else ["x = 1", AWAITS_THEN_FAILS]
    pytester.makefile(".md", chapter="".join(f"```{{.python continuation}}\n{b}\n```\n\n" for b in blocks))
    result = pytester.runpytest_subprocess(*DOC_TEST_OPTIONS, "-p", "no:cacheprovider", "chapter.md")
    result.assert_outcomes(passed=len(blocks) - 1, failed=1)
    result.stdout.fnmatch_lines(["*ran past the await*"])


def test_figures_past_the_output_limit_are_counted_not_kept(tmp_path):
    book = project(
        tmp_path,
        a=chapter("""
            import matplotlib.pyplot as plt
            plt.figure(label="small")
            plt.plot([0, 1], [0, 1])
            plt.figure(label="large")
            plt.scatter(range(2000), range(2000))
        """),
    )
    (ran,) = run(book, output_limit=100_000)
    (block,) = ran.outputs
    figures = [o for o in block if isinstance(o, Figure)]
    (cut,) = [o for o in block if isinstance(o, Truncated)]
    assert [f.alt for f in figures] == ["small"] and len(figures[0].svg) <= 100_000
    assert cut.figures == 1 and cut.dropped > 100_000 and cut.limit == 100_000
    assert "1 figure(s) not shown" in cut.describe()


BIG_FIGURE_BOOK = """\
site_name: Fixture
markdown_extensions:
  - attr_list
  - pymdownx.superfences
plugins:
  - literate:
      output_limit: 100000
"""


@pytest.mark.slow
def test_a_build_warns_of_figures_past_the_limit_naming_the_block(tmp_path):
    from builds import mkdocs_build

    book = project(
        tmp_path,
        big=chapter("""
            import matplotlib.pyplot as plt
            plt.figure(label="many points")
            plt.scatter(range(2000), range(2000));
        """),
    )
    (tmp_path / "mkdocs.yml").write_text(BIG_FIGURE_BOOK)
    (tmp_path / "docs/index.md").write_text("# Home\n")
    tangle.write(book)
    result = mkdocs_build(tmp_path)
    line = (tmp_path / "docs/chapters/big.md").read_text().split("\n").index("import matplotlib.pyplot as plt") + 1
    warning = f"WARNING -  literate: docs/chapters/big.md:{line}: 1 figure(s) not shown: their SVG is "
    assert warning in result.stderr, result.stderr
    assert result.returncode != 0, "a strict build fails on it"


def test_the_timeout_counts_from_the_chapters_start_not_the_servers(tmp_path):
    """The server imports what it preloads before it starts a chapter; that wait is not the
    chapter's: a chapter of 0.5 s under a 2 s timeout runs to its end behind a 3 s start, and is
    said to take 0.5 s. (Counted from the request, the kill raced the chapter's own start: it
    stopped the chapter, or found no process group yet and was lost.)"""
    book = project(tmp_path, a=chapter("import time\ntime.sleep(0.5)\nprint('done')"))
    (tmp_path / "slow_start.py").write_text("import time\ntime.sleep(3)\n")  # the server works in the book
    [result] = run(book, workers=1, timeout=2, preload=["slow_start"])
    assert result.executed and result.seconds < 2, result.seconds
