"""Parsing chapters into blocks: line numbers, fence forms, what is and is not code."""

import pytest

from literate.source.blocks import ChapterError, parse_file, parse_info, parse_markdown

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

    ```text
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
    with pytest.raises(ChapterError, match="ch.md:1: the front matter must be a YAML mapping"):
        parse_markdown("---\n- a list\n---\n# T\n", "ch.md")


def test_malformed_yaml_names_the_file_and_line():
    with pytest.raises(ChapterError, match=r"ch.md:3: the front matter is not valid YAML"):
        parse_markdown("---\nmodule: data\ndescription: a: b\n---\n# T\n", "ch.md")


def test_a_file_that_is_not_utf8_names_its_line(tmp_path):
    path = tmp_path / "ch.md"
    path.write_bytes("# T\n\ncaf\u00e9\n".encode("latin-1"))
    with pytest.raises(ChapterError, match=r"ch.md:3: not UTF-8 text \(byte 0xe9\)"):
        parse_file(path, "ch.md")


def test_body_line_is_where_the_text_after_the_front_matter_starts():
    chapter = parse_markdown(CHAPTER, "ch.md")
    assert chapter.body_line == 4 and chapter.text.split("\n")[chapter.body_line - 1] == "# Title"
    assert parse_markdown("# T\n").body_line == 1


def test_a_parsed_chapter_cannot_be_changed():
    chapter = parse_markdown(CHAPTER)
    with pytest.raises(TypeError):
        chapter.meta["module"] = "other"  # type: ignore[index]
