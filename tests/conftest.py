"""Shared fixtures: the project root and one strict build of the real site (both editions) per test session."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

import pytest
from builds import ROOT, free_port, make_site

# One math thread per process, as the build runs each chapter (literate.pool): `make test` runs
# a process per core already, and two threads each would fight over the cores, which slows
# everything and skews the timing claims of chapter 7b. Set before any test imports torch.
for _name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(_name, "1")


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def built_site(tmp_path_factory) -> Path:
    """Build the whole book once as `make site` does (`make editions`: zh/ and en/), strictly, with
    execution and the link check on; tests read the result. Its addresses (site_url) name a free
    port of 127.0.0.1, where tests/browser serves it: the language switcher matches pages through
    the sitemaps' full addresses. Under `pytest -n` the workers share one build: the first to
    need it builds, the others wait for it."""
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent  # the folder all workers' temporary folders are in
    site, failure = shared / "built-site", shared / "built-site.failed"
    with open(shared / "built-site.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not site.exists() and not failure.exists():
            # Two chapters at a time whatever the machine: tests/site/test_faults.py compares
            # what this build caches with a run of one chapter at a time.
            result = make_site(ROOT, site, f"http://127.0.0.1:{free_port()}", LINK_CHECK="true", LITERATE_WORKERS="2")
            if result.returncode != 0:
                failure.write_text(f"make editions (two strict builds) failed:\n{result.stdout}\n{result.stderr}")
    if failure.exists():
        pytest.fail(failure.read_text(), pytrace=False)
    return site
