"""Notebooks made to work once downloaded: the package cell, the prose, the links."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from literate.export.notebook import (
    PACKAGE_TAG,
    SetupTexts,
    absolute_links,
    notebook,
    package_cells,
    package_code,
    package_sources,
    readable,
    site_resolver,
)
from literate.source.blocks import parse_markdown
from literate.source.imports import third_party

SITE = "https://example.org/book/"
URLS = {"chapters/02-b.md": "chapters/02-b/", "chapters/01-a.md": "chapters/01-a/", "index.md": "./"}


def resolve(target):
    return site_resolver(SITE, "chapters/01-a.md", URLS.get)(target)


def test_relative_links_become_absolute_to_the_site():
    text = 'See [B](02-b.md), [its part](02-b.md#part "title"), [here](#top) and [home](../index.md).'
    assert absolute_links(text, resolve) == (
        "See [B](https://example.org/book/chapters/02-b/), "
        '[its part](https://example.org/book/chapters/02-b/#part "title"), '
        "[here](https://example.org/book/chapters/01-a/#top) and [home](https://example.org/book/)."
    )


def test_links_that_cannot_be_resolved_keep_their_text_and_others_are_left_alone():
    text = "[gone](99-missing.md) ![a plot](fig.svg) [web](https://x.org/a.md) `[code](02-b.md)`\n[ref]: 02-b.md\n[x]: nope.md"
    assert absolute_links(text, resolve) == (
        "gone a plot [web](https://x.org/a.md) `[code](02-b.md)`\n[ref]: https://example.org/book/chapters/02-b/\n"
    )


def test_without_a_site_url_relative_links_are_removed():
    assert absolute_links(
        "[B](02-b.md) and [web](http://x.org)", site_resolver(None, "chapters/01-a.md", URLS.get)
    ) == ("B and [web](http://x.org)")


@pytest.fixture
def package(tmp_path) -> Path:
    """A tiny tangled package: `tiny.core` and `tiny.extra`, which imports from core."""
    folder = tmp_path / "tiny"
    folder.mkdir()
    (folder / "__init__.py").write_text(
        '"""tiny: a package."""\n\n# GENERATED\n\nfrom .core import double\nfrom .extra import (\n    quadruple,\n)\n\n'
        '__all__ = ["double", "quadruple"]\n'
    )
    (folder / "core.py").write_text("import math\n\n\ndef double(x):\n    return 2 * x\n")
    (folder / "extra.py").write_text(
        "from .core import double\n\n\ndef quadruple(x):\n    raise_if_negative(x)\n    return double(double(x))\n\n\n"
        "def raise_if_negative(x):\n    if x < 0:\n        raise ValueError('x must be >= 0')\n"
    )
    return folder


def test_package_sources_keep_the_init_imports_of_the_chosen_modules_only(package):
    sources = package_sources("tiny", package, [package / "core.py"])
    assert sources == {
        "tiny": '"""tiny: a package."""\n\nfrom .core import double\n',
        "tiny.core": (package / "core.py").read_text(),
    }


def run_python(code: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, text=True, cwd=cwd)


def test_the_package_cell_makes_the_package_importable_from_its_source_alone(package, tmp_path):
    code = package_code("tiny", package_sources("tiny", package, [package / "core.py", package / "extra.py"]))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    check = (
        "import importlib.util\nassert importlib.util.find_spec('tiny') is None\n"
        + code
        + "\n"
        + code  # running the cell again is harmless
        + "\nfrom tiny import double, quadruple\nimport tiny.extra\nprint(double(3), quadruple(3), tiny.extra.double is double)\n"
        "import traceback\ntry:\n    quadruple(-1)\nexcept ValueError:\n    print(traceback.format_exc().splitlines()[-2].strip())\n"
    )
    result = run_python(check, elsewhere)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:2] == ["6 12 True", "raise ValueError('x must be >= 0')"], result.stdout


@pytest.mark.parametrize(
    "awkward",
    ["TEXT = '''quoted'''\nPATH = 'C:\\\\'\n", "PATH = 'C:\\\\'", "TEXT = 'ends with a quote'", "x = 1\n"],
)
def test_every_source_is_held_exactly(tmp_path, awkward):
    code = package_code("odd", {"odd": awkward})
    result = run_python(
        code + f"\nimport sys, odd\nprint(sys.modules['odd'].__loader__.get_source('odd') == {awkward!r})", tmp_path
    )
    assert result.stdout.strip() == "True", result.stderr


def test_third_party_imports_leave_out_the_standard_library_and_the_package():
    codes = [
        "import math, torch.nn\nfrom matplotlib import pyplot\nfrom tiny import x\nfrom . import y",
        "not python (",
    ]
    assert third_party(codes, "tiny") == ["matplotlib", "torch"]


CHAPTER = """---
module: extra
---
# 第二章

这一段的文字
分在两行。

```{.python continuation}
from tiny import double
print(double(2))
```

见[第一章](01-a.md)。
"""


TEXTS = SetupTexts("Defines {modules} of `{package}`; needs {needs}.", "Or: `pip install {wheel_url}`")


def blocks(markdown: str):
    return parse_markdown(markdown).python_blocks


def test_the_notebook_gets_the_package_cell_before_its_first_code_cell_and_clean_prose(package):
    prelude = package_cells(blocks(CHAPTER), "tiny", package, TEXTS, wheel_url="https://example.org/tiny.whl")
    explanation, cell = prelude
    assert "`tiny.core`" in explanation["source"] and "tiny.extra" not in explanation["source"]
    assert "pip install https://example.org/tiny.whl" in explanation["source"]
    assert cell["metadata"] == {"jupyter": {"source_hidden": True}, "tags": [PACKAGE_TAG]}
    assert cell["outputs"] == [] and cell["execution_count"] is None

    cells = [
        {"cell_type": "markdown", "metadata": {}, "source": "# 第二章\n\n这一段的文字\n分在两行。"},
        {"cell_type": "code", "metadata": {}, "source": "print(1)", "outputs": []},
        {"cell_type": "markdown", "metadata": {}, "source": "见[第一章](01-a.md)。"},
    ]
    result = notebook(readable(cells, prelude, site_resolver(SITE, "chapters/02-b.md", URLS.get), join_lines=True))
    assert [c["cell_type"] for c in result["cells"]] == ["markdown", "markdown", "code", "code", "markdown"]
    assert result["cells"][2] is not cell and result["cells"][2]["source"] == cell["source"]
    assert [c["id"] for c in result["cells"]] == [f"cell-{n}" for n in range(5)]
    assert result["cells"][0]["source"] == "# 第二章\n\n这一段的文字分在两行。"
    assert result["cells"][4]["source"] == "见[第一章](https://example.org/book/chapters/01-a/)。"
    assert cells[0]["source"].endswith("\n分在两行。"), "the input is not changed"


def test_a_chapter_that_imports_nothing_from_the_package_gets_no_package_cell(package):
    assert (
        package_cells(blocks(CHAPTER.replace("from tiny import double", "double = abs")), "tiny", package, TEXTS) == []
    )


def test_lines_are_joined_only_when_asked():
    cells = [{"cell_type": "markdown", "metadata": {}, "source": "中文\n中文"}]
    assert readable(cells, [], resolve)[0]["source"] == "中文\n中文"
    assert readable(cells, [], resolve, join_lines=True)[0]["source"] == "中文中文"
