"""Lighthouse's mobile preset (slow 4G, a 4x slower CPU) on the heaviest page of each kind in each
edition, served gzip-compressed: the median of three runs must be at least 0.9.

Not part of `make test` (of tests/perf, pyproject's testpaths name only test_page_kinds.py, which
needs no Lighthouse): a run takes several minutes and its scores move with the machine's load
(README, "Fast on a phone"). `make bench` runs the
same check through `scripts/lighthouse.py --mobile --strict`; by hand, after `make site`:

    .venv/bin/pytest tests/perf -n 0            # LIGHTHOUSE_SITE=other/site for another build
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from .lighthouse_script import load

ROOT = Path(__file__).resolve().parents[2]


def test_every_page_kind_scores_on_a_phone():
    lighthouse = load()
    site = Path(os.environ.get("LIGHTHOUSE_SITE", ROOT / "site")).resolve()
    if not (site / "zh" / "index.html").is_file():
        pytest.fail(f"{site}: no built site (make site, or set LIGHTHOUSE_SITE)")
    if not os.access(lighthouse.CHROME, os.X_OK):
        pytest.skip(f"{lighthouse.CHROME} not found (apt-get install chromium)")
    results = lighthouse.measure_mobile(site, runs=3)
    problems = lighthouse.mobile_problems(results)
    assert not problems, "\n".join(problems) + "\n\n" + lighthouse.mobile_table(results, 3)
