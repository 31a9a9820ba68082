"""MkDocs hook: no stray spaces in Chinese text broken over several source lines.

On pages in a CJK language, a line break between two CJK characters is removed (it would render
as a space). The rule lives in `literate.cjk`, shared with the exported notebooks.
"""

from __future__ import annotations

from literate.cjk import join_cjk_lines


def on_page_markdown(markdown, *, page, config, files):
    language = str(config.theme.get("language") or "")
    return join_cjk_lines(markdown) if language.split("-")[0] in {"zh", "ja"} else markdown
