"""The package tests' fixtures: `book_runs`, chapter 7's run over the 20 seeds of book.py, trained once per
test session (per xdist worker) for every test that needs it. The constants and helpers are in book.py."""

from __future__ import annotations

import pytest

from package.book import SEEDS, BookRun, run_book


@pytest.fixture(scope="session")
def book_runs() -> list[BookRun]:
    """Chapter 7's run for every seed in SEEDS, trained once per session. Tests must not modify them."""
    return [run_book(seed) for seed in SEEDS]
