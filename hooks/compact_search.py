"""MkDocs hook: the search index written as UTF-8, not as \\u escapes.

Every page loads its edition's search index. Written with JSON's ASCII escapes, each Chinese
character and each zero-width space (the separator the Chinese index is cut with) takes six
bytes; as UTF-8, three. Same JSON, read the same by the search; runs after every hook and
plugin that writes an index.
"""

from __future__ import annotations

import json
from pathlib import Path

from mkdocs.plugins import event_priority


@event_priority(-1000)
def on_post_build(*, config):
    for path in Path(config.site_dir).glob("**/search/search_index.json"):
        index = json.loads(path.read_text(encoding="utf-8"))
        path.write_text(json.dumps(index, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
