"""A translated chapter keeps its source chapter's code, block for block.

Only the prose is translated: every fenced block (language, options and code) must be the
same, so both editions show one execution of the same code. Fences whose content is prose
(diagram labels) need only the same language and options.
"""

from __future__ import annotations

from literate.source.blocks import Block, Chapter

TRANSLATED_TEXT = frozenset({"mermaid", "dot"})  # fences whose content is prose


def differences(source: Chapter, translation: Chapter) -> list[str]:
    """One message per fenced block of `translation` that differs from `source`'s; [] when none."""
    ours, theirs = translation.blocks, source.blocks
    problems = []
    for number, (mine, original) in enumerate(zip(ours, theirs, strict=False), start=1):
        if problem := describe_difference(mine, original):
            problems.append(
                f"{translation.name}:{mine.line - 1}: block {number} differs from block {number} of "
                f"{source.name} (line {original.line - 1}): {problem}"
            )
    if len(ours) != len(theirs):
        extra = f"; the first extra one is at line {ours[len(theirs)].line - 1}" if len(ours) > len(theirs) else ""
        missing = (
            f"; the first missing one is at line {theirs[len(ours)].line - 1} there" if len(theirs) > len(ours) else ""
        )
        problems.append(
            f"{translation.name}: {len(ours)} fenced blocks, but {source.name} has {len(theirs)}{extra}{missing}"
        )
    return problems


def describe_difference(mine: Block, original: Block) -> str | None:
    if mine.lang != original.lang:
        return f"language {mine.lang!r} instead of {original.lang!r}"
    if mine.options != original.options:
        return f"options {sorted(mine.options)} instead of {sorted(original.options)}"
    if mine.lang in TRANSLATED_TEXT or mine.code == original.code:
        return None
    my_lines, original_lines = mine.code.split("\n"), original.code.split("\n")
    for index, (a, b) in enumerate(zip(my_lines, original_lines, strict=False)):
        if a != b:
            return (
                f"first difference at line {mine.line + index}: {a!r} instead of {b!r} (line {original.line + index})"
            )
    index = min(len(my_lines), len(original_lines))
    if len(my_lines) > len(original_lines):
        return f"extra line {mine.line + index}: {my_lines[index]!r}"
    return f"missing line {original_lines[index]!r} (line {original.line + index}) at line {mine.line + index}"
