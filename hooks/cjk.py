"""MkDocs hook: no stray spaces in Chinese text broken over several source lines.

On pages in a CJK language, a line break between two CJK characters is removed (it would render
as a space). The rule lives in `literate.cjk`, shared with the exported notebooks.
"""

from __future__ import annotations

from literate.cjk import is_cjk_language, join_cjk_lines


def on_page_markdown(markdown, *, page, config, files):
    return join_cjk_lines(markdown) if is_cjk_language(config.theme.get("language")) else markdown
