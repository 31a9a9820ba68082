"""Executing chapters in the pool, without MkDocs: isolation, order, limits and the faults it names."""

from __future__ import annotations

import fcntl
import os
import py_compile
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import psutil
import pytest
from pool_books import chapter, project, run

from literate.run.execute import ExecutionError, execution_lock
from literate.run.outputs import Result, Stream, Truncated


def texts(run) -> list[str]:
    return ["".join(o.text for o in block if isinstance(o, (Stream, Result))) for block in run.outputs]


def test_each_chapter_starts_from_the_same_state_whatever_ran_before_or_beside(tmp_path):
    book = project(
        tmp_path,
        a=chapter("""
            import json, random, threading, time
            json.leaked = True
            random.seed(1)
            def chatter():
                while True:
                    print("stray line from a thread")
                    time.sleep(0.001)
            threading.Thread(target=chatter, daemon=True).start()
            time.sleep(0.05)
        """),
        b=chapter("""
            import json, random, threading
            print(hasattr(json, "leaked"), threading.active_count())
            print(random.random() == __import__("random").Random(1).random())
        """),
    )
    for workers in (1, 2):
        runs = run(book, workers)
        assert texts(runs[1]) == ["False 1\nFalse\n"], f"{workers} worker(s)"
        assert "stray" not in "".join(texts(runs[1]))


def test_outputs_do_not_depend_on_the_number_of_workers(tmp_path):
    code = "import random\nrandom.seed(3)\nprint([random.random() for _ in range(3)])\n---\nsorted({'b', 'a', 'c'})"
    book = project(tmp_path, **{f"{i:02d}": chapter(code) for i in range(5)})
    serial = [r.outputs for r in run(book, 1)]
    (book.root / ".cache").rename(book.root / ".cache-serial")
    assert [r.outputs for r in run(book, 3)] == serial


SECOND_ENDED = """
import time
def second_ended():
    try:
        pid = int(open({barrier!r}).read())
    except (OSError, ValueError):
        return False
    try:  # gone, or a zombie the server has yet to reap
        return open(f"/proc/{{pid}}/stat").read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True
deadline = time.monotonic() + 60
while not second_ended() and time.monotonic() < deadline:
    time.sleep(0.01)
"""


@pytest.mark.parametrize("workers", [1, 3])
def test_the_first_failing_chapter_in_reading_order_is_reported_whatever_finishes_first(tmp_path, workers):
    """With three workers the first chapter fails only after the second has failed and its
    process has ended: a file barrier (the second writes its pid) orders the two failures."""
    barrier = tmp_path / "second-failed"
    first = (SECOND_ENDED.format(barrier=str(barrier)) if workers > 1 else "") + "raise ValueError('first')"
    second = (
        f"import os\nwith open({str(barrier)!r}, 'w') as f:\n    f.write(str(os.getpid()))\nraise KeyError('second')"
    )
    book = project(
        tmp_path / "book",
        **{"1-slow-fail": chapter(first), "2-quick-fail": chapter(second), "3-fine": chapter("print('ok')")},
    )
    with pytest.raises(ExecutionError) as error:
        run(book, workers)
    line = 4 + first.strip("\n").split("\n").index("raise ValueError('first')")  # the block starts at line 4
    assert str(error.value).startswith(f"docs/chapters/1-slow-fail.md:{line}: ValueError: first")
    assert barrier.exists() == (workers > 1), "serially the second chapter never runs; side by side it failed first"


def test_the_projects_own_package_is_imported_not_an_installed_copy(tmp_path, monkeypatch):
    installed = tmp_path / "site-packages" / "pkg"
    installed.mkdir(parents=True)
    (installed / "__init__.py").write_text("ORIGIN = 'an installed copy'\n")
    monkeypatch.setenv("PYTHONPATH", str(installed.parent))
    book = project(tmp_path, a=chapter("import pkg\npkg.ORIGIN"))
    assert texts(run(book)[0]) == ["'project source'"]


def test_a_block_that_ends_the_process_is_named(tmp_path):
    book = project(tmp_path, a=chapter("print('before')\n---\nimport os\nos._exit(0)"))
    with pytest.raises(
        ExecutionError, match=r"docs/chapters/a\.md:8: the chapter's process ended while running this block"
    ):
        run(book)


def test_sys_exit_is_an_error_of_the_block(tmp_path):
    book = project(tmp_path, a=chapter("import sys\nsys.exit(3)"))
    with pytest.raises(ExecutionError, match=r"docs/chapters/a\.md:5: SystemExit: 3"):
        run(book)


def test_output_past_the_limit_is_cut_and_capture_is_linear(tmp_path):
    book = project(tmp_path, a=chapter("for i in range(1_000_000):\n    print(i)\n---\nprint('next block')"))
    start = time.monotonic()
    (result,) = run(book, output_limit=10_000)
    assert time.monotonic() - start < 30  # a million small writes: seconds, not minutes
    first, second = result.outputs
    kept = "".join(o.text for o in first if isinstance(o, Stream))
    assert len(kept) == 10_000 and kept.startswith("0\n1\n2\n")
    (truncated,) = [o for o in first if isinstance(o, Truncated)]
    assert truncated.limit == 10_000 and truncated.dropped == len("".join(f"{i}\n" for i in range(1_000_000))) - 10_000
    assert second == (Stream("stdout", "next block\n"),)


def test_a_lone_surrogate_is_kept_as_its_escape(tmp_path):
    book = project(tmp_path, a=chapter("print('a\\udc80b')"))
    assert texts(run(book)[0]) == ["a\\udc80b\n"]


def test_stopping_the_build_with_sigterm_leaves_no_process(tmp_path):
    book = project(tmp_path, a=chapter("import time\ntime.sleep(600)"))
    script = (
        "from literate.run.execute import Executor\nfrom literate.project import Project\n"
        f"p = Project.load({str(book.root)!r})\nExecutor(p, p.root / '.cache', workers=1).run_all(p.source_chapters())\n"
    )
    build = subprocess.Popen([sys.executable, "-c", script], cwd=book.root, start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and len(psutil.Process(build.pid).children(recursive=True)) < 2:
        time.sleep(0.1)
    family = psutil.Process(build.pid).children(recursive=True)
    assert len(family) >= 2, "the server and the chapter's process were started"
    os.killpg(build.pid, signal.SIGTERM)  # what `timeout` and CI send to the build's process group
    build.wait(timeout=30)
    gone, alive = psutil.wait_procs(family, timeout=10)
    assert alive == []


def test_a_syntax_error_found_by_the_compiler_names_its_own_line_once(tmp_path):
    book = project(tmp_path, a=chapter("x = 1\n---\ny = 2\nbreak"))
    with pytest.raises(ExecutionError) as error:
        run(book)
    first_line = str(error.value).splitlines()[0]
    assert first_line == "docs/chapters/a.md:9: SyntaxError: 'break' outside loop"


def test_the_cache_key_follows_the_package_source_even_edited_behind_the_chapters_back(tmp_path):
    """Edited within the second it was compiled, to a text of the same length: Python would
    take the stale `.pyc` (same recorded time and size) and run the code before the edit."""
    book = project(tmp_path, a=chapter("import pkg\npkg.ORIGIN"))
    first = run(book)[0]
    module = book.package_dir / "__init__.py"
    py_compile.compile(str(module))  # as any earlier import that wrote bytecode leaves it
    compiled = module.stat()
    edited = "ORIGIN = 'edited by hand'\n"
    assert len(edited) == compiled.st_size
    module.write_text(edited)
    os.utime(module, ns=(compiled.st_atime_ns, compiled.st_mtime_ns))
    second = run(book)[0]
    assert second.executed and second.key != first.key
    assert texts(second) == ["'edited by hand'"]


def test_builds_sharing_a_cache_run_each_chapter_once_failures_too(tmp_path):
    """Two builds at once (the two editions): one runs the chapters, the other waits on the
    cache's lock and takes their outputs, or the failure the first one met, without running
    the failing chapter again (a chapter that times out would cost its timeout twice)."""
    book = project(
        tmp_path,
        a=chapter('open("ran-a", "a").write("x")'),
        b=chapter("""
            open("ran-b", "a").write("x")
            1 / 0
        """),
        c=chapter('open("ran-c", "a").write("x")'),
    )

    def build():
        try:
            run(book, workers=1)  # one at a time: c, after the failure, never starts
        except ExecutionError as exc:
            return str(exc)

    with ThreadPoolExecutor(2) as pool:
        messages = list(pool.map(lambda _: build(), range(2)))
    assert messages[0] == messages[1] and messages[0].startswith("docs/chapters/b.md:"), messages
    assert (tmp_path / "ran-a").read_text() == "x"
    assert (tmp_path / "ran-b").read_text() == "x", "the failing chapter ran once"
    assert not (tmp_path / "ran-c").exists(), "nothing after the failure runs"
    # A later build tries the failing chapter again (the failure may have been fixed since).
    with pytest.raises(ExecutionError):
        run(book)
    assert (tmp_path / "ran-b").read_text() == "xx"


def test_a_run_waiting_on_the_lock_is_keyed_by_the_package_it_runs_against(tmp_path, monkeypatch):
    """A serve tangles under the execution lock while another run waits for it: that run's
    chapters import the new package, and their outputs must be stored under its key, not the
    key planned before (the old package would later be shown the new package's outputs)."""
    book = project(tmp_path, a=chapter("import pkg\npkg.ORIGIN"))
    module = book.package_dir / "__init__.py"
    refused, flock = threading.Event(), fcntl.flock

    def noting_a_refusal(fd: int, operation: int) -> None:
        try:
            flock(fd, operation)
        except BlockingIOError:
            refused.set()
            raise

    monkeypatch.setattr(fcntl, "flock", noting_a_refusal)
    with ThreadPoolExecutor(1) as pool:
        with execution_lock(book.root / ".cache"):
            waiting = pool.submit(run, book)
            assert refused.wait(30), "the run planned its key and waits for the lock"
            module.write_text("ORIGIN = 'tangled meanwhile'\n")
        assert texts(waiting.result()[0]) == ["'tangled meanwhile'"]
    module.write_text("ORIGIN = 'project source'\n")
    again = run(book)[0]
    assert again.executed and texts(again) == ["'project source'"]


WAIT_THEN_CTRL_C = """
import signal, sys, threading
from pathlib import Path
from literate.run.execute import execution_lock

signal.signal(signal.SIGINT, signal.default_int_handler)  # Ctrl-C, even where the test runner ignores it
held, release = threading.Event(), threading.Event()

def hold():
    with execution_lock(Path(sys.argv[1])):
        held.set()
        release.wait(60)

holder = threading.Thread(target=hold, daemon=True)
holder.start()
held.wait()
# Linux hands a signal sent to a process to any of its threads: here, the one holding the lock.
threading.Timer(0.3, signal.pthread_kill, (holder.ident, signal.SIGINT)).start()
try:
    with execution_lock(Path(sys.argv[1])):
        print("acquired")
except KeyboardInterrupt:
    print("interrupted")
"""


def test_ctrl_c_ends_a_wait_for_the_execution_lock_whichever_thread_gets_it(tmp_path):
    """`mkdocs serve` builds in its main thread, which may wait for the lock while the run
    ahead of the rebuild holds it; Ctrl-C must end that wait at once, not when the run ends."""
    result = subprocess.run(
        [sys.executable, "-c", WAIT_THEN_CTRL_C, str(tmp_path / "cache")], capture_output=True, text=True, timeout=30
    )
    assert result.stdout == "interrupted\n", result.stderr
