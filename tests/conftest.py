"""Shared fixtures: the project root and one strict build of the real site (both editions) per test session."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def built_site(tmp_path_factory) -> Path:
    """Build the whole book once as `make site` does (`make editions`: zh/ and en/), strictly, with
    execution and the link check on; tests read the result. Its addresses (site_url) name a free
    port of 127.0.0.1, where tests/browser serves it: the language switcher matches pages through
    the sitemaps' full addresses."""
    site = tmp_path_factory.mktemp("built") / "site"
    command = [
        "make", "--no-print-directory", "editions",
        f"SITE={site}", f"ORIGIN=http://127.0.0.1:{free_port()}", f"BIN={Path(sys.executable).parent}",
    ]
    result = subprocess.run(
        command,
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1", "LINK_CHECK": "true"},
    )
    if result.returncode != 0:
        pytest.fail(f"make editions (two strict builds) failed:\n{result.stdout}\n{result.stderr}", pytrace=False)
    return site
