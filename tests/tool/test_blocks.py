"""Parsing chapters into blocks: line numbers, fence forms, what is and is not code."""

from literate.blocks import parse_info, parse_markdown

CHAPTER = """\
---
module: data
---
# Title

```{.python continuation}
x = 1
y = 2
```

Text with `inline` code.

```text
not python
```

- a list item

    ```python
    nested_in_a_list = True
    ```

````markdown
```python
shown_as_an_example = True
```
````

```python
z = 3
```
"""


def test_front_matter_is_read():
    assert parse_markdown(CHAPTER).meta == {"module": "data"}


def test_python_blocks_and_their_lines():
    blocks = parse_markdown(CHAPTER).python_blocks
    assert [b.code for b in blocks] == ["x = 1\ny = 2\n", "z = 3\n"]
    lines = CHAPTER.splitlines()
    for block in blocks:
        assert lines[block.line - 1] == block.code.splitlines()[0]  # first code line
        assert lines[block.end_line - 1].startswith("```")  # closing fence


def test_non_python_and_nested_fences_are_not_code():
    blocks = parse_markdown(CHAPTER).blocks
    assert [b.lang for b in blocks] == ["python", "text", "markdown", "python"]
    assert "shown_as_an_example" in blocks[2].code  # inside a longer fence: text of that block
    assert not any("nested_in_a_list" in b.code for b in blocks)


def test_fence_info_forms():
    assert parse_info("python") == ("python", frozenset())
    assert parse_info("python continuation") == ("python", frozenset({"continuation"}))
    assert parse_info("{.python continuation varying}") == ("python", frozenset({"continuation", "varying"}))
    assert parse_info("{ .python .extra }") == ("python", frozenset({"extra"}))
    assert parse_info("") == ("", frozenset())


def test_bad_front_matter_names_the_file():
    import pytest

    with pytest.raises(ValueError, match="ch.md:1"):
        parse_markdown("---\n- a list\n---\n# T\n", "ch.md")
