"""Shared fixtures: the project root and one strict build of the real site (both editions) per test session."""

from __future__ import annotations

from pathlib import Path

import pytest
from builds import ROOT, free_port, make_site


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def built_site(tmp_path_factory) -> Path:
    """Build the whole book once as `make site` does (`make editions`: zh/ and en/), strictly, with
    execution and the link check on; tests read the result. Its addresses (site_url) name a free
    port of 127.0.0.1, where tests/browser serves it: the language switcher matches pages through
    the sitemaps' full addresses."""
    site = tmp_path_factory.mktemp("built") / "site"
    result = make_site(ROOT, site, f"http://127.0.0.1:{free_port()}", LINK_CHECK="true")
    if result.returncode != 0:
        pytest.fail(f"make editions (two strict builds) failed:\n{result.stdout}\n{result.stderr}", pytrace=False)
    return site
