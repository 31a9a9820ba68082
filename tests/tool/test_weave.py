"""Weaving outputs into a page: verbatim text, no terminal effects, figures as links."""

from __future__ import annotations

import pytest

from literate.render.weave import WeaveError, fenced, weave
from literate.run.outputs import Figure, Result, Stream, Truncated
from literate.source.blocks import parse_markdown

PAGE = "---\nmodule: m\n---\n# T\n\n```{.python continuation}\nprint(1)\n```\n\nAfter.\n"


def test_terminal_codes_and_control_characters_are_not_shown():
    shown = fenced(
        "\x1b[31mred\x1b[0m \x1b]0;title\x07\x1b[?25lhidden-cursor nul\x00 bel\x07 bs\x08 ff\x0c tab\tend", ".o"
    )
    body = shown.split("\n")[1]
    assert body == "red hidden-cursor nul bel bs ff tab\tend"


def test_text_with_backticks_gets_a_longer_fence():
    shown = fenced("a ```` b", ".o")
    assert shown.startswith("`````{.text .o}\n") and shown.endswith("\n`````")


def test_outputs_go_under_their_block_in_the_text_mkdocs_hands_over():
    chapter = parse_markdown(PAGE, "ch.md")
    body = PAGE.split("---\n", 2)[2]  # MkDocs strips the front matter
    figure = Figure("<svg/>", "A [bracketed] title", 300, 200)
    outputs = ((Stream("stdout", "1\n"), Result("2"), figure, Truncated(5, 10)),)
    woven = weave(chapter, body, outputs, lambda f: f"fig/{f.digest}.svg")
    lines = woven.split("\n")
    closing = lines.index("```", lines.index("print(1)"))
    after = "\n".join(lines[closing + 1 :])
    assert after.index("```{.text .literate-output}\n1\n```") < after.index("After.")
    assert "```{.text .literate-output .literate-result}\n2\n```" in after
    assert (
        f'![A \\[bracketed\\] title](fig/{figure.digest}.svg){{ .literate-figure width="300" height="200" }}' in after
    )
    assert "[output truncated: 5 more characters not shown; the limit is 10 per block]" in after


def test_a_page_changed_before_weaving_is_refused():
    chapter = parse_markdown(PAGE, "ch.md")
    with pytest.raises(WeaveError, match="ch.md: the page's Markdown was changed"):
        weave(chapter, "# Something else\n", ((),), str)
