"""Every page of the English edition in a real browser: the tests are in every_page.py."""

import pytest

from .every_page import *  # noqa: F403 - the tests this module collects


@pytest.fixture(scope="module")
def edition() -> str:
    return "en"
