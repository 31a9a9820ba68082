"""CJK line joining: Chinese broken over lines renders without stray spaces; nothing else moves."""

from literate.render import cjk


def test_joins_chinese_lines_only():
    text = "第一行文字，\n第二行。\nEnglish here\n中文\n- 列表项，\n  接着写\n## 标题\n正文"
    assert cjk.join_cjk_lines(text) == "第一行文字，第二行。\nEnglish here\n中文\n- 列表项，接着写\n## 标题\n正文"


def test_curly_quotes_count_as_chinese_text():
    text = "负责\n“切成小批量”\n这件事。\nHe said “yes”\nthen"
    assert cjk.join_cjk_lines(text) == "负责“切成小批量”这件事。\nHe said “yes”\nthen"


def test_code_blocks_are_untouched():
    text = "说明：\n```python\n# 中文\n# 注释\n```\n````md\n```\n中文\n中文\n```\n````"
    assert cjk.join_cjk_lines(text) == text
