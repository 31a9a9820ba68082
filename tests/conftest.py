"""Shared fixtures: the project root and one strict build of the real site (both editions) per
test session, started in the background as the session starts when the run includes tests
that read it."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import builds
import pytest
from builds import ROOT, shared_site, shared_site_log

# One math thread per process, as the build runs each chapter (literate.run.pool): `make test` runs
# a process per core already, and two threads each would fight over the cores, which slows
# everything and skews the timing claims of chapter 13. Set before any test imports torch.
for _name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

SHARED = "LITERATE_TESTS_SHARED"  # the folder all processes of one run share (set by the first)
_BUILDER = pytest.StashKey[subprocess.Popen]()


def _reads_the_site(config: pytest.Config) -> bool:
    """Whether the run includes tests that read the session's build (the browser tests read
    $BROWSER_TESTS_SITE instead when it is set: see tests/browser/conftest.py)."""
    readers = [ROOT / "tests" / "site"]
    if not os.environ.get("BROWSER_TESTS_SITE"):
        readers.append(ROOT / "tests" / "browser")
    for arg in config.args:
        path = Path(arg.split("::")[0]).resolve()
        if any(path == folder or path in folder.parents or folder in path.parents for folder in readers):
            return True
    return False


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    """In the run's first process, before pytest-xdist starts its workers (they inherit the
    environment): the shared folder, and the site build started at once, so that the tests that
    need no site run while it builds instead of waiting for it."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        return
    folder = tempfile.mkdtemp(prefix="literate-tests-")
    os.environ[SHARED] = folder
    if _reads_the_site(session.config) and not session.config.option.collectonly:
        session.config.stash[_BUILDER] = subprocess.Popen(
            [sys.executable, builds.__file__, folder],
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )


def pytest_sessionfinish(session: pytest.Session) -> None:
    if os.environ.get("PYTEST_XDIST_WORKER"):
        return
    builder = session.config.stash.get(_BUILDER, None)
    if builder is not None and builder.poll() is None:  # a run that ended before the site was needed
        os.killpg(builder.pid, signal.SIGTERM)
        builder.wait()
    shutil.rmtree(os.environ.pop(SHARED, ""), ignore_errors=True)


# The files that take longest, in the order the workers should start them (`make test` runs
# pytest-xdist with `--dist loadfile --no-loadscope-reorder`: a worker takes the next file in
# collection order when it is nearly done, instead of the files with the most tests first). The
# two page crawls first, one per worker: they wait for the site build, which meanwhile has the
# cores, then crawl side by side; then the other tests of the built site, then the toolchain's
# and the package's longest; every other file after them in `testpaths` order, the doc tests
# (one small file per chapter) last but the two longest, so both workers stay busy to the end.
LONGEST_FIRST = [
    "tests/browser/test_every_page_zh.py",
    "tests/browser/test_every_page_en.py",
    "tests/site/test_downloads.py",
    "tests/browser/test_browser_pages.py",
    "tests/site/test_faults.py",
    "tests/site/test_determinism.py",
    "tests/tool/test_plugin.py",
    "tests/package/test_exercises.py",
    "tests/tool/test_linters.py",
    "tests/tool/test_run_faults.py",
    "tests/package/test_lessons.py",
    "tests/tool/test_execute.py",
    "tests/tool/test_build_faults.py",
    "docs/chapters/13-why-minibatches.md",  # the two longest chapters' doc tests
    "docs/chapters/14-common-bugs.md",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Files in LONGEST_FIRST's order, then the rest as collected; within a file, nothing moves
    (a chapter's doc tests are chained in reading order)."""
    rank = {name: index for index, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::")[0], len(rank)))


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def built_site() -> Path:
    """The whole book built once for the run, as `make site` does (`make editions`: zh/ and en/),
    strictly, with execution and the link check on; tests read the result. Its addresses
    (site_url) name a free port of 127.0.0.1, where tests/browser serves it: the language
    switcher matches pages through the sitemaps' full addresses."""
    site, failure = shared_site(Path(os.environ[SHARED]))
    if failure:
        pytest.fail(failure, pytrace=False)
    return site


@pytest.fixture(scope="session")
def built_site_log(built_site: Path) -> str:
    """What the build of `built_site` printed: `make editions`, three processes at once."""
    return shared_site_log(Path(os.environ[SHARED]))
